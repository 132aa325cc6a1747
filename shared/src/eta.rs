//! Arrival estimates without a routing engine.
//!
//! Two signals. The live one is the trailer's own movement: how fast the straight-line distance
//! to the destination has been shrinking. That "closure speed" already folds in the road's
//! detours, traffic lights and stops, so it is measured over a trailing window long enough to
//! span a dwell, on distances smoothed against GPS jitter, and blended with a prior. How fast
//! the measurement takes over from the prior depends on how steady it has been: a truck holding
//! 90 km/h on a highway is believed within minutes, while stop-and-go city driving (whose
//! closure speed swings from window to window, and says little about the road ahead) stays
//! near the prior for long. The learned one is how long past trips took from here to there
//! ([`history`]); where they exist, the two are averaged (in log time, so neither a too-short
//! nor a too-long guess dominates), the past trips weighing more the more of them there are.
//!
//! The learned estimate (what the page and the texts show) then believes only half of its own change over
//! the last window ([`damped`]): on a young track and at a long stop the estimate swings by
//! minutes, and on the bus trips those swings overshoot.

pub mod accuracy;
mod history;

use chrono::{DateTime, Utc};
use geo::{Distance, Haversine, Point as GeoPoint};
use serde::{Deserialize, Serialize};

pub use history::{PastTrip, MATCH_M, PAST_TRIP_MAX_POINTS};

/// Closure speed assumed with no history: city roads ~1.4x the straight line at ~20 km/h.
pub const PRIOR_CLOSURE_MPS: f64 = 4.0;
/// The trailing window the closure speed is measured over: long enough to span a stop at
/// lights, short enough that the road's early turns away from the destination are forgotten.
pub const WINDOW_S: f64 = 300.0;
/// Time watched after which a measured closure speed as steady as [`STEADY_CV`] has the same
/// weight as the prior. (A pure prior scores best on the bus trips, but that is one route's
/// speed; a truck on a highway needs the measurement to win within minutes.)
pub const HALF_TRUST_S: f64 = 600.0;
/// Below this straight-line distance the trailer is there.
pub const ARRIVED_M: f64 = 40.0;
/// Fixes implying a speed above this are GPS glitches and are dropped.
const MAX_PLAUSIBLE_MPS: f64 = 70.0;
/// Windows compared to judge how steady the closure speed is (half an hour).
const STEADY_WINDOWS: usize = 6;
/// The closure speed's spread from window to window (relative to its mean) at which trust builds
/// at the [`HALF_TRUST_S`] pace; it builds (spread / this)² times slower. Highway driving varies
/// by ~10 %, city driving by 25-150 % (the bus trips: median 60 %).
pub const STEADY_CV: f64 = 0.2;
/// However steady, the half-trust time shrinks to no less than this share (30 s).
const STEADIEST: f64 = 0.05;
/// Slowest closure speed used, so a parked trailer still gets a (long) finite estimate.
const MIN_CLOSURE_MPS: f64 = 0.5;
/// Most weight the past trips get against the live estimate, reached with many matching trips.
/// Past trips know the road ahead, which the live speed cannot; the live speed knows today.
pub const HISTORY_WEIGHT: f64 = 2.0;
/// Matching past trips (time-of-day weighted) at which they get half of [`HISTORY_WEIGHT`]: one
/// trip may have been unusual, a handful is a pattern.
pub const HISTORY_HALF_TRUST_TRIPS: f64 = 2.0;
/// Share (in log time) of the estimate's change over the last [`WINDOW_S`] that is believed.
/// On the bus trips a change over five minutes overshoots: regressing the real remaining time on
/// it gives a slope of one half (640 readings, 3 seeds × 4 degradations), mostly from readings
/// in a trip's first quarter hour, when the estimate swings on few fixes (BENCHMARKS.md § ETA
/// and "arriving soon").
pub const CHANGE_BELIEVED: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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

/// As [`estimate`], also learning from past trips (any number, any destinations: only those
/// that went from about here to about there count).
pub fn estimate_learned(track: &[Point], dest: (f64, f64), past: &[PastTrip]) -> Option<Estimate> {
    estimate_learned_with(track, dest, past, &Params::DEFAULT)
}

pub(crate) fn estimate_learned_with(
    track: &[Point],
    dest: (f64, f64),
    past: &[PastTrip],
    params: &Params,
) -> Option<Estimate> {
    let now = live_and_past(track, dest, past, params)?;
    if now.seconds <= 0.0 {
        return Some(now);
    }
    Some(damped(now, track, dest, past, params))
}

/// Believes [`CHANGE_BELIEVED`] of how the estimate moved over the last window. One window ago
/// it said `then` seconds were left; now it says the same span takes the time gone by plus
/// `now.seconds`. Their ratio is the slip (above 1: later than it said), and the estimate is
/// divided by the share of it not believed (its square root). A bus standing three minutes at a stop ten minutes
/// out sees its estimate rise by about that, half of which it makes up when it moves on, so
/// the "arriving soon" text is not held back by the stop; a jam that lasts moves the estimate
/// fully one window later. Only for an unbroken track (a fix within two windows ago and one
/// before it): after a gap in reporting the estimate then is stale and the new one stands. The
/// estimate then uses the same past trips, so only the trailer's own movement moves it.
fn damped(now: Estimate, track: &[Point], dest: (f64, f64), past: &[PastTrip], params: &Params) -> Estimate {
    let Some(newest) = plausible(track).last().map(|p| p.t) else {
        return now;
    };
    let before: Vec<Point> = track
        .iter()
        .copied()
        .filter(|p| p.t <= newest - params.window_s)
        .collect();
    let Some(gone_by) = before.iter().map(|p| newest - p.t).reduce(f64::min) else {
        return now;
    };
    if before.len() < 2 || gone_by > 2.0 * params.window_s {
        return now;
    }
    match live_and_past(&before, dest, past, params) {
        Some(then) if then.seconds > 0.0 => {
            let slip = (gone_by + now.seconds) / then.seconds;
            Estimate {
                seconds: now.seconds * slip.powf(CHANGE_BELIEVED - 1.0),
                ..now
            }
        }
        _ => now,
    }
}

fn live_and_past(track: &[Point], dest: (f64, f64), past: &[PastTrip], params: &Params) -> Option<Estimate> {
    let live = estimate_with(track, dest, params)?;
    if live.seconds <= 0.0 {
        return Some(live);
    }
    let last = plausible(track).last().copied()?;
    let Some((typical, trips)) = history::typical_remaining(past, (last.lat, last.lon), dest, last.t) else {
        return Some(live);
    };
    let w = HISTORY_WEIGHT * trips / (trips + HISTORY_HALF_TRUST_TRIPS);
    let ln = |s: f64| s.max(1.0).ln();
    Some(Estimate {
        seconds: ((w * ln(typical) + ln(live.seconds)) / (w + 1.0)).exp(),
        ..live
    })
}

/// The estimator's knobs; [`Params::DEFAULT`] was chosen on the real trips in the tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub prior_mps: f64,
    pub window_s: f64,
    pub half_trust_s: f64,
    pub steady_cv: f64,
}

impl Params {
    pub const DEFAULT: Params = Params {
        prior_mps: PRIOR_CLOSURE_MPS,
        window_s: WINDOW_S,
        half_trust_s: HALF_TRUST_S,
        steady_cv: STEADY_CV,
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
pub(crate) fn plausible(track: &[Point]) -> Vec<Point> {
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

/// Closure speed over the trailing window, blended with the prior by how long and how steadily
/// it has been measured.
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
    let watched = last.t - track[0].t;
    let unsteady = (unsteadiness(track, dest, params.window_s) / params.steady_cv)
        .powi(2)
        .max(STEADIEST);
    let trust = watched / (watched + params.half_trust_s * unsteady);
    trust * measured + (1.0 - trust) * params.prior_mps
}

/// How much the closure speed varied between consecutive windows over the last
/// [`STEADY_WINDOWS`]: the standard deviation relative to the mean. Unknown (fewer than two
/// windows) counts as the reference spread.
fn unsteadiness(track: &[Point], dest: (f64, f64), window_s: f64) -> f64 {
    let last = track[track.len() - 1].t;
    let speeds: Vec<f64> = (0..STEADY_WINDOWS)
        .map_while(|k| {
            let (from, to) = (last - (k + 1) as f64 * window_s, last - k as f64 * window_s);
            let w: Vec<(f64, f64)> = track
                .iter()
                .filter(|p| p.t > from && p.t <= to)
                .map(|p| (p.t, distance_m((p.lat, p.lon), dest)))
                .collect();
            (w.len() >= 2 && w[w.len() - 1].0 - w[0].0 >= window_s / 2.0).then(|| -slope(&w))
        })
        .collect();
    if speeds.len() < 2 {
        return STEADY_CV;
    }
    let n = speeds.len() as f64;
    let mean = speeds.iter().sum::<f64>() / n;
    let sd = (speeds.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    sd / mean.abs().max(MIN_CLOSURE_MPS)
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
