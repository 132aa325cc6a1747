//! The estimator against real bus trips (`testdata/liverpool_bus_route14_outbound.csv`, a copy
//! of `../shared/data/`): each trip's last fix is its destination; we predict at 20/40/60/80 %
//! of the trip and compare with the real remaining time, clean and degraded (GPS jitter, 30 %
//! of fixes dropped), against a constant 30 km/h straight-line baseline.

use super::*;

pub(crate) struct Trip {
    pub points: Vec<Point>,
}

pub(crate) fn trips() -> Vec<Trip> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/liverpool_bus_route14_outbound.csv"
    );
    let mut rdr = csv::Reader::from_path(path).expect("the trips file is in testdata/");
    let mut by_trip: std::collections::BTreeMap<String, Vec<Point>> = Default::default();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let at = crate::time::parse_timestamp(&rec[3]).unwrap();
        let p = Point::new(at, rec[4].parse().unwrap(), rec[5].parse().unwrap());
        by_trip.entry(rec[2].to_string()).or_default().push(p);
    }
    by_trip
        .into_values()
        .map(|mut points| {
            points.sort_by(|a, b| a.t.total_cmp(&b.t));
            Trip { points }
        })
        .filter(|t| t.points.len() >= 10)
        .collect()
}

/// A small deterministic generator, so the degraded runs are the same every time.
pub(crate) struct Rng(u64);

impl Rng {
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn gauss(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-12), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Adds ~`sigma_m` metres of Gaussian jitter and drops `drop` of the fixes (never the first).
pub(crate) fn degrade(points: &[Point], sigma_m: f64, drop: f64, rng: &mut Rng) -> Vec<Point> {
    let mut out = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        if i > 0 && rng.next() < drop {
            continue;
        }
        let dlat = rng.gauss() * sigma_m / 111_320.0;
        let dlon = rng.gauss() * sigma_m / (111_320.0 * p.lat.to_radians().cos());
        out.push(Point {
            t: p.t,
            lat: p.lat + dlat,
            lon: p.lon + dlon,
        });
    }
    out
}

pub(crate) struct Score {
    pub ours: f64,
    pub baseline: f64,
    pub samples: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median absolute percentage errors of ours and the baseline.
pub(crate) fn score(trips: &[Trip], sigma_m: f64, drop: f64, seed: u64) -> Score {
    score_with(trips, sigma_m, drop, seed, &Params::DEFAULT)
}

pub(crate) fn score_with(trips: &[Trip], sigma_m: f64, drop: f64, seed: u64, params: &Params) -> Score {
    let mut rng = Rng(seed);
    let (mut ours, mut base) = (Vec::new(), Vec::new());
    for trip in trips {
        let end = *trip.points.last().unwrap();
        let dest = (end.lat, end.lon);
        let observed = degrade(&trip.points[..trip.points.len() - 1], sigma_m, drop, &mut rng);
        let t0 = trip.points[0].t;
        for frac in [0.2, 0.4, 0.6, 0.8] {
            let cut = t0 + frac * (end.t - t0);
            let seen: Vec<Point> = observed.iter().copied().filter(|p| p.t <= cut).collect();
            let Some(last) = seen.last() else { continue };
            let actual = end.t - last.t;
            if actual <= 0.0 {
                continue;
            }
            let est = estimate_with(&seen, dest, params).unwrap();
            ours.push((est.seconds - actual).abs() / actual);
            base.push((est.distance_m / (30.0 / 3.6) - actual).abs() / actual);
        }
    }
    Score {
        samples: ours.len(),
        ours: median(ours),
        baseline: median(base),
    }
}

#[test]
fn beats_half_the_baseline_error_on_real_trips() {
    let trips = trips();
    assert!(trips.len() >= 10, "expected the 16 trips, found {}", trips.len());
    for (name, sigma, drop) in [
        ("clean", 0.0, 0.0),
        ("jitter 25 m", 25.0, 0.0),
        ("30% dropped", 0.0, 0.3),
        ("jitter 25 m + 30% dropped", 25.0, 0.3),
    ] {
        let s = score(&trips, sigma, drop, 0x5eed_1234_abcd_0001);
        println!(
            "ETA {name:>26}: ours MdAPE {:5.1}%  baseline {:5.1}%  ratio {:.2}  ({} predictions)",
            s.ours * 100.0,
            s.baseline * 100.0,
            s.ours / s.baseline,
            s.samples
        );
        assert!(
            s.ours <= 0.5 * s.baseline,
            "{name}: ours {:.3} vs baseline {:.3}",
            s.ours,
            s.baseline
        );
    }
}

#[test]
fn arrival_and_edge_cases() {
    assert!(estimate(&[], (0.0, 0.0)).is_none());
    let at = Point {
        t: 0.0,
        lat: 53.0,
        lon: -2.0,
    };
    assert_eq!(estimate(&[at], (53.0, -2.0)).unwrap().seconds, 0.0);
    // One fix 4 km away: the prior alone.
    let one = estimate(&[at], (53.0 + 4000.0 / 111_195.0, -2.0)).unwrap();
    assert!((one.seconds - 1000.0).abs() < 5.0, "{}", one.seconds);
}

#[test]
fn a_parked_trailer_gets_a_long_but_finite_estimate() {
    let track: Vec<Point> = (0..60)
        .map(|i| Point {
            t: i as f64 * 10.0,
            lat: 53.0,
            lon: -2.0,
        })
        .collect();
    let e = estimate(&track, (53.1, -2.0)).unwrap();
    assert!(e.seconds.is_finite() && e.seconds > e.distance_m / PRIOR_CLOSURE_MPS);
}

/// `n` fixes 10 s apart, each ~55 m north of the last (5.6 m/s).
fn northbound(n: usize) -> Vec<Point> {
    (0..n)
        .map(|i| Point {
            t: i as f64 * 10.0,
            lat: 53.0 + i as f64 * 0.0005,
            lon: -2.0,
        })
        .collect()
}

#[test]
fn a_real_jump_is_followed() {
    // Reporting resumes 3 km further on: the newest fix is the truth, not a glitch.
    let mut track = northbound(10);
    track.push(Point {
        t: 120.0,
        lat: 53.03,
        lon: -2.0,
    });
    let e = estimate(&track, (53.04, -2.0)).unwrap();
    assert!((e.distance_m - 1112.0).abs() < 5.0, "{}", e.distance_m);
    track.push(Point {
        t: 130.0,
        lat: 53.0305,
        lon: -2.0,
    });
    let e = estimate(&track, (53.04, -2.0)).unwrap();
    assert!((e.distance_m - 1056.0).abs() < 5.0, "{}", e.distance_m);
}

#[test]
fn a_teleporting_fix_is_ignored() {
    let mut track = northbound(30);
    let clean = estimate(&track, (53.1, -2.0)).unwrap();
    track.insert(
        15,
        Point {
            t: 145.0,
            lat: 54.0,
            lon: -2.0,
        },
    );
    let glitch = estimate(&track, (53.1, -2.0)).unwrap();
    assert!((clean.seconds - glitch.seconds).abs() < 1.0);
}

/// Tuning aid: `cargo test -p qdn-shared tune_parameters -- --ignored --nocapture`.
#[test]
#[ignore]
fn tune_parameters() {
    let trips = trips();
    for prior in [2.0, 2.5, 3.0, 3.5, 4.0, 5.0] {
        for window in [120.0, 180.0, 300.0, 450.0] {
            for ht in [300.0, 600.0, 1000.0, 2000.0] {
                let p = Params {
                    prior_mps: prior,
                    window_s: window,
                    half_trust_s: ht,
                };
                let mut worst: f64 = 0.0;
                let mut sum = 0.0;
                for (sigma, drop) in [(0.0, 0.0), (25.0, 0.0), (0.0, 0.3), (25.0, 0.3)] {
                    for seed in [1u64, 2, 3] {
                        let s = score_with(&trips, sigma, drop, 0x5eed_0000 + seed, &p);
                        worst = worst.max(s.ours / s.baseline);
                        sum += s.ours / s.baseline;
                    }
                }
                println!(
                    "prior {prior} window {window} ht {ht}: worst {worst:.2} mean {:.2}",
                    sum / 12.0
                );
            }
        }
    }
}
