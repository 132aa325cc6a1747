//! Arrival estimates without a routing engine.
//!
//! The only signal is the trailer's own movement: how fast the straight-line distance to the
//! destination has been shrinking. That "closure speed" already folds in the road's detours,
//! traffic lights and stops, so it is measured over a trailing window long enough to span a
//! dwell, on distances smoothed against GPS jitter, and blended with a prior while the history
//! is short.

use chrono::{DateTime, Utc};
use geo::{Distance, Haversine, Point as GeoPoint};

/// Closure speed assumed with no history: city roads ~1.4x the straight line at ~20 km/h.
pub const PRIOR_CLOSURE_MPS: f64 = 4.0;
/// The trailing window the closure speed is measured over: long enough to span a stop at
/// lights, short enough that the road's early turns away from the destination are forgotten.
pub const WINDOW_S: f64 = 300.0;
/// History at which the measured speed has the same weight as the prior. (A pure prior scores
/// best on the bus trips, but that is one route's speed; a truck on a highway needs the
/// measurement to win within minutes.)
pub const HALF_TRUST_S: f64 = 600.0;
/// Below this straight-line distance the trailer is there.
pub const ARRIVED_M: f64 = 40.0;
/// Fixes implying a speed above this are GPS glitches and are dropped.
const MAX_PLAUSIBLE_MPS: f64 = 70.0;
/// Slowest closure speed used, so a parked trailer still gets a (long) finite estimate.
const MIN_CLOSURE_MPS: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Seconds since the epoch.
    pub t: f64,
    pub lat: f64,
    pub lon: f64,
}

impl Point {
    pub fn new(at: DateTime<Utc>, lat: f64, lon: f64) -> Self {
        Point {
            t: at.timestamp_millis() as f64 / 1000.0,
            lat,
            lon,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Seconds from the newest point to arrival.
    pub seconds: f64,
    /// Straight-line metres from the newest point to the destination.
    pub distance_m: f64,
}

pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    Haversine.distance(GeoPoint::new(a.1, a.0), GeoPoint::new(b.1, b.0))
}

/// Estimates arrival from a track (ascending time, one trailer) to `dest` (lat, lon).
/// `None` only for an empty track.
pub fn estimate(track: &[Point], dest: (f64, f64)) -> Option<Estimate> {
    estimate_with(track, dest, &Params::DEFAULT)
}

/// The estimator's knobs; [`Params::DEFAULT`] was chosen on the real trips in the tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub prior_mps: f64,
    pub window_s: f64,
    pub half_trust_s: f64,
}

impl Params {
    pub const DEFAULT: Params = Params {
        prior_mps: PRIOR_CLOSURE_MPS,
        window_s: WINDOW_S,
        half_trust_s: HALF_TRUST_S,
    };
}

pub fn estimate_with(track: &[Point], dest: (f64, f64), params: &Params) -> Option<Estimate> {
    let clean = plausible(track);
    let last = *clean.last()?;
    let d_now = distance_m((last.lat, last.lon), dest);
    if d_now <= ARRIVED_M {
        return Some(Estimate {
            seconds: 0.0,
            distance_m: d_now,
        });
    }
    let speed = closure_speed(&clean, dest, params).max(MIN_CLOSURE_MPS);
    Some(Estimate {
        seconds: d_now / speed,
        distance_m: d_now,
    })
}

/// Drops out-of-order points and single-fix spikes: a fix implausibly far from both its
/// neighbours while they are plausibly close to each other. A jump that persists (a gap in
/// reporting, a real move) is kept, and so is the newest fix: it is the position.
fn plausible(track: &[Point]) -> Vec<Point> {
    let mut ordered: Vec<Point> = Vec::with_capacity(track.len());
    for p in track {
        if p.lat.is_finite() && p.lon.is_finite() && p.t.is_finite() && ordered.last().is_none_or(|q| p.t > q.t) {
            ordered.push(*p);
        }
    }
    let fast = |a: &Point, b: &Point| distance_m((a.lat, a.lon), (b.lat, b.lon)) / (b.t - a.t) > MAX_PLAUSIBLE_MPS;
    let mut out: Vec<Point> = Vec::with_capacity(ordered.len());
    for (i, p) in ordered.iter().enumerate() {
        let spike = match (out.last(), ordered.get(i + 1)) {
            (Some(prev), Some(next)) => fast(prev, p) && fast(p, next) && !fast(prev, next),
            _ => false,
        };
        if !spike {
            out.push(*p);
        }
    }
    out
}

/// Closure speed over the trailing window, blended with the prior by how much history there is.
fn closure_speed(track: &[Point], dest: (f64, f64), params: &Params) -> f64 {
    let last = track[track.len() - 1];
    let window: Vec<(f64, f64)> = track
        .iter()
        .filter(|p| last.t - p.t <= params.window_s)
        .map(|p| (p.t, distance_m((p.lat, p.lon), dest)))
        .collect();
    let span = last.t - window[0].0;
    if window.len() < 2 || span <= 0.0 {
        return params.prior_mps;
    }
    let measured = (-slope(&window)).max(0.0);
    let trust = span / (span + params.half_trust_s);
    trust * measured + (1.0 - trust) * params.prior_mps
}

/// Least-squares slope of distance over time: every fix counts, so one jittered fix at either
/// end of the window cannot swing it.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (mt, md) = points.iter().fold((0.0, 0.0), |(a, b), (t, d)| (a + t / n, b + d / n));
    let (mut num, mut den) = (0.0, 0.0);
    for (t, d) in points {
        num += (t - mt) * (d - md);
        den += (t - mt) * (t - mt);
    }
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests;
