//! Evaluations on real trips: the ETA's error and the arrival automation's timing, each on the
//! trips as recorded and degraded the way trackers degrade (GPS jitter, lost fixes).
//!
//! Pure: the caller reads the trips (`../shared/data/liverpool_bus_route14_outbound.csv`, with
//! [`trips_from_csv`] under the `eval` feature) and prints the figures. Each trip's last fix
//! is its destination and its arrival.

pub mod arrival;
pub mod eta;

use crate::eta::Point;

/// One vehicle's trip, fixes in ascending time; the last fix is where and when it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Trip {
    pub id: String,
    pub points: Vec<Point>,
}

impl Trip {
    pub fn dest(&self) -> (f64, f64) {
        let end = self.points[self.points.len() - 1];
        (end.lat, end.lon)
    }

    pub fn arrived_at(&self) -> f64 {
        self.points[self.points.len() - 1].t
    }
}

/// Fewer fixes than this is not a trip (a vehicle that was switched on and off).
pub const MIN_FIXES: usize = 10;

/// Groups `(trip id, fix)` rows into trips, each sorted by time; short ones are dropped.
pub fn trips_from_rows(rows: impl IntoIterator<Item = (String, Point)>) -> Vec<Trip> {
    let mut by_trip: std::collections::BTreeMap<String, Vec<Point>> = Default::default();
    for (id, p) in rows {
        by_trip.entry(id).or_default().push(p);
    }
    by_trip
        .into_iter()
        .map(|(id, mut points)| {
            points.sort_by(|a, b| a.t.total_cmp(&b.t));
            Trip { id, points }
        })
        .filter(|t| t.points.len() >= MIN_FIXES)
        .collect()
}

/// Reads the movingpandas trip CSV (`trip_id`, `timestamp`, `latitude`, `longitude` columns).
#[cfg(any(test, feature = "eval"))]
pub fn trips_from_csv(reader: impl std::io::Read) -> Result<Vec<Trip>, String> {
    let mut rdr = csv::Reader::from_reader(reader);
    let headers = rdr.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("no {name} column"))
    };
    let (id, ts, lat, lon) = (col("trip_id")?, col("timestamp")?, col("latitude")?, col("longitude")?);
    let mut rows = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| e.to_string())?;
        let bad = || format!("row {}: unreadable fix", n + 2);
        let at = crate::time::parse_timestamp(&rec[ts]).ok_or_else(bad)?;
        let (la, lo) = (
            rec[lat].parse().map_err(|_| bad())?,
            rec[lon].parse().map_err(|_| bad())?,
        );
        rows.push((rec[id].to_string(), Point::new(at, la, lo)));
    }
    Ok(trips_from_rows(rows))
}

/// How the recorded fixes are degraded before the estimators see them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Variant {
    pub name: &'static str,
    /// Gaussian GPS jitter, metres (per axis).
    pub sigma_m: f64,
    /// Share of fixes lost.
    pub drop: f64,
}

pub const VARIANTS: [Variant; 4] = [
    Variant {
        name: "clean",
        sigma_m: 0.0,
        drop: 0.0,
    },
    Variant {
        name: "jitter 25 m",
        sigma_m: 25.0,
        drop: 0.0,
    },
    Variant {
        name: "30% dropped",
        sigma_m: 0.0,
        drop: 0.3,
    },
    Variant {
        name: "jitter 25 m + 30% dropped",
        sigma_m: 25.0,
        drop: 0.3,
    },
];

/// The seed the printed figures use, so they are the same on every run.
pub const SEED: u64 = 0x5eed_1234_abcd_0001;

/// A small deterministic generator (xorshift), so the degraded runs are the same every time.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn gauss(&mut self) -> f64 {
        let (u, v) = (self.next_f64().max(1e-12), self.next_f64());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Adds `variant`'s jitter and drops its share of the fixes (never the first).
pub fn degrade(points: &[Point], variant: &Variant, rng: &mut Rng) -> Vec<Point> {
    let mut out = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        if i > 0 && rng.next_f64() < variant.drop {
            continue;
        }
        out.push(jitter(p, variant.sigma_m, rng));
    }
    out
}

fn jitter(p: &Point, sigma_m: f64, rng: &mut Rng) -> Point {
    let dlat = rng.gauss() * sigma_m / 111_320.0;
    let dlon = rng.gauss() * sigma_m / (111_320.0 * p.lat.to_radians().cos());
    Point {
        t: p.t,
        lat: p.lat + dlat,
        lon: p.lon + dlon,
    }
}

/// The upper median (the value most reports call "the median" for an even count).
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[cfg(test)]
pub(crate) fn bus_trips() -> Vec<Trip> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/liverpool_bus_route14_outbound.csv"
    );
    let file = std::fs::File::open(path).expect("the trips file is in testdata/");
    let trips = trips_from_csv(file).unwrap();
    assert!(trips.len() >= 16, "expected the 16 trips, found {}", trips.len());
    trips
}
