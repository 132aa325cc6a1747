//! What finished trips teach: how long the rest of the road took.
//!
//! A trailer that is where a past trip once was, heading where that trip went on to, will
//! probably need about as long as that trip needed from there. This learns the road's real
//! shape, its lights and its usual traffic without a map: for repeat routes (depot to a regular
//! customer, a shuttle between yards) it is the strongest signal there is. It assumes nothing
//! about speed, so a highway run learns highway times; where no past trip went the same way,
//! nothing is learned and the live estimate stands alone.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{distance_m, plausible, Point};

/// A past trip counts when it passed within this of the trailer and of the destination: wider
/// than GPS jitter and a road's width, narrower than the distance between parallel streets
/// with different traffic.
pub const MATCH_M: f64 = 150.0;
/// Most points kept of a past trip: two hours at one a half-minute, a few kilobytes as JSON.
pub const PAST_TRIP_MAX_POINTS: usize = 240;
/// Points closer in time than this add nothing to the interpolated pass times.
const MIN_SPACING_S: f64 = 20.0;
/// Trips made at another time of day are weighted down by this spread (rush hour is not
/// night), but never below [`OTHER_TIME_WEIGHT`]: a route's shape holds at any hour.
const TIME_OF_DAY_SIGMA_S: f64 = 2.0 * 3600.0;
const OTHER_TIME_WEIGHT: f64 = 0.1;
const DAY_S: f64 = 86_400.0;
/// Metres per degree of latitude (the mean Earth radius, as the Haversine distances use).
const M_PER_DEG: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// A finished trip, remembered to teach later estimates: its track, thinned, ending with the
/// arrival at its destination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastTrip {
    /// Ascending time; the last point is the arrival at `dest`.
    pub points: Vec<Point>,
    /// (lat, lon) of the destination it arrived at.
    pub dest: (f64, f64),
}

impl PastTrip {
    /// From a finished job's track (any order; glitches are dropped) and the time it arrived at
    /// `dest` (its `at_site`). `None` when nothing usable precedes the arrival.
    pub fn new(track: &[Point], dest: (f64, f64), arrived_at: DateTime<Utc>) -> Option<PastTrip> {
        let arrival = Point::new(arrived_at, dest.0, dest.1);
        let mut sorted: Vec<Point> = track.iter().copied().filter(|p| p.t < arrival.t).collect();
        sorted.sort_by(|a, b| a.t.total_cmp(&b.t));
        let clean = plausible(&sorted);
        let first = clean.first()?;
        let spacing = MIN_SPACING_S.max((arrival.t - first.t) / (PAST_TRIP_MAX_POINTS - 2) as f64);
        let mut points: Vec<Point> = Vec::with_capacity(PAST_TRIP_MAX_POINTS);
        for p in clean {
            if points.last().is_none_or(|q| p.t - q.t >= spacing) {
                points.push(p);
            }
        }
        points.push(arrival);
        Some(PastTrip { points, dest })
    }

    /// (min lat, max lat, min lon, max lon) of its points: where it can teach an ETA.
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        self.points.iter().fold(
            (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY),
            |(a, b, c, d), p| (a.min(p.lat), b.max(p.lat), c.min(p.lon), d.max(p.lon)),
        )
    }

    /// Seconds this trip took from where it passed `from` to where it passed `dest`, and the
    /// time it passed `from`; `None` unless it came within [`MATCH_M`] of both, in that order.
    pub(super) fn remaining_from(&self, from: (f64, f64), dest: (f64, f64)) -> Option<(f64, f64)> {
        let n = self.points.len();
        let (to_dest, t_dest, seg_dest) = closest_pass(&self.points, 0..n, dest)?;
        if to_dest > MATCH_M {
            return None;
        }
        // Only the way there counts: on an out-and-back trip the way back also passes `from`.
        let (to_from, t_from, _) = closest_pass(&self.points, 0..seg_dest + 2, from)?;
        (to_from <= MATCH_M && t_dest > t_from).then_some((t_dest - t_from, t_from))
    }
}

/// Typical seconds from `from` to `dest` over the past trips that went that way, and how many
/// trips that rests on (weighted by time of day: `now` is seconds since the epoch).
pub(super) fn typical_remaining(past: &[PastTrip], from: (f64, f64), dest: (f64, f64), now: f64) -> Option<(f64, f64)> {
    let mut samples: Vec<(f64, f64)> = past
        .iter()
        .filter_map(|trip| trip.remaining_from(from, dest))
        .map(|(remaining, passed_at)| (remaining, time_of_day_weight(now, passed_at)))
        .collect();
    if samples.is_empty() {
        return None;
    }
    let weight: f64 = samples.iter().map(|s| s.1).sum();
    Some((weighted_median(&mut samples), weight))
}

fn time_of_day_weight(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(DAY_S);
    let d = d.min(DAY_S - d) / TIME_OF_DAY_SIGMA_S;
    OTHER_TIME_WEIGHT + (1.0 - OTHER_TIME_WEIGHT) * (-0.5 * d * d).exp()
}

/// The median of (value, weight) pairs: robust to the one trip that stopped for lunch.
fn weighted_median(samples: &mut [(f64, f64)]) -> f64 {
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    let half = samples.iter().map(|s| s.1).sum::<f64>() / 2.0;
    let mut acc = 0.0;
    for (v, w) in samples.iter() {
        acc += w;
        if acc >= half {
            return *v;
        }
    }
    samples[samples.len() - 1].0
}

/// Where the polyline `points[range]` passes closest to `p`: (metres, the time it passed there,
/// interpolated along the segment, and the segment's index).
fn closest_pass(points: &[Point], range: std::ops::Range<usize>, p: (f64, f64)) -> Option<(f64, f64, usize)> {
    let range = range.start..range.end.min(points.len());
    let pts = &points[range.clone()];
    if pts.len() == 1 {
        let q = pts[0];
        return Some((distance_m((q.lat, q.lon), p), q.t, range.start));
    }
    // Planar metres around `p`: exact enough within the few hundred metres that can match.
    let k = p.0.to_radians().cos();
    let xy = |q: &Point| ((q.lon - p.1) * k * M_PER_DEG, (q.lat - p.0) * M_PER_DEG);
    let mut best: Option<(f64, f64, usize)> = None;
    for (i, w) in pts.windows(2).enumerate() {
        let (a, b) = (xy(&w[0]), xy(&w[1]));
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        let u = if len2 > 0.0 {
            (-(a.0 * dx + a.1 * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let d = (a.0 + u * dx).hypot(a.1 + u * dy);
        if best.is_none_or(|(bd, _, _)| d < bd) {
            best = Some((d, w[0].t + u * (w[1].t - w[0].t), range.start + i));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A straight run north from (53.0, -2.0), one point every `step_s` at `mps`.
    fn run(t0: f64, n: usize, step_s: f64, mps: f64) -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                t: t0 + i as f64 * step_s,
                lat: 53.0 + i as f64 * step_s * mps / M_PER_DEG,
                lon: -2.0,
            })
            .collect()
    }

    fn at(secs: f64) -> DateTime<Utc> {
        crate::time::from_ms((secs * 1000.0) as i64).unwrap()
    }

    #[test]
    fn a_past_trip_tells_the_time_from_here_to_there() {
        // 10 m/s north for 1000 s: 10 km. From 2 km in to the end took 800 s.
        let track = run(0.0, 101, 10.0, 10.0);
        let dest = (track[100].lat, track[100].lon);
        let trip = PastTrip::new(&track[..100], dest, at(1000.0)).unwrap();
        let here = (53.0 + 2000.0 / M_PER_DEG, -2.0);
        let (remaining, passed) = trip.remaining_from(here, dest).unwrap();
        assert!((remaining - 800.0).abs() < 2.0, "{remaining}");
        assert!((passed - 200.0).abs() < 2.0, "{passed}");
        // Between two kept points, the pass time is interpolated.
        let between = (53.0 + 2035.0 / M_PER_DEG, -2.0);
        assert!((trip.remaining_from(between, dest).unwrap().0 - 796.5).abs() < 2.0);
    }

    #[test]
    fn a_trip_elsewhere_or_the_other_way_teaches_nothing() {
        let track = run(0.0, 101, 10.0, 10.0);
        let start = (track[0].lat, track[0].lon);
        let end = (track[100].lat, track[100].lon);
        let trip = PastTrip::new(&track, end, at(1000.0)).unwrap();
        // Heading back south: the trip never went from the end to the start.
        assert!(trip.remaining_from(end, start).is_none());
        // A point 1 km east of the road.
        assert!(trip
            .remaining_from((53.05, -2.0 + 1000.0 / (M_PER_DEG * 0.6)), end)
            .is_none());
    }

    #[test]
    fn long_trips_are_thinned_to_a_bounded_size() {
        let track = run(0.0, 5000, 5.0, 10.0);
        let dest = (track[4999].lat, track[4999].lon);
        let trip = PastTrip::new(&track, dest, at(25_000.0)).unwrap();
        assert!(trip.points.len() <= PAST_TRIP_MAX_POINTS, "{}", trip.points.len());
        assert_eq!(trip.points.last().unwrap().t, 25_000.0);
        let mid = (track[2500].lat, track[2500].lon);
        assert!((trip.remaining_from(mid, dest).unwrap().0 - 12_500.0).abs() < 5.0);
    }

    #[test]
    fn the_typical_time_is_a_median_weighted_by_time_of_day() {
        let dest_track = run(0.0, 101, 10.0, 10.0);
        let dest = (dest_track[100].lat, dest_track[100].lon);
        let here = (53.0 + 2000.0 / M_PER_DEG, -2.0);
        // Same road at 8:00 (slow, 5 m/s) on three days, and at 14:00 (fast, 20 m/s) on one.
        let day = |d: f64, hour: f64, mps: f64| {
            let t0 = d * DAY_S + hour * 3600.0;
            let step = 10_000.0 / mps / 100.0;
            let track = run(t0, 101, step, mps);
            PastTrip::new(&track[..100], dest, at(t0 + 100.0 * step)).unwrap()
        };
        let past = vec![
            day(0.0, 8.0, 5.0),
            day(1.0, 8.0, 5.0),
            day(2.0, 8.0, 5.0),
            day(3.0, 14.0, 20.0),
        ];
        let (morning, w) = typical_remaining(&past, here, dest, 10.0 * DAY_S + 8.0 * 3600.0).unwrap();
        assert!((morning - 1600.0).abs() < 5.0, "{morning}");
        assert!(w > 3.0 && w < 3.2, "{w}");
        // At 14:00 the one fast trip outweighs three slow ones at 8:00.
        let (afternoon, _) = typical_remaining(&past, here, dest, 10.0 * DAY_S + 14.0 * 3600.0).unwrap();
        assert!((afternoon - 400.0).abs() < 5.0, "{afternoon}");
        assert!(typical_remaining(&past, (54.0, -2.0), dest, 0.0).is_none());
    }
}
