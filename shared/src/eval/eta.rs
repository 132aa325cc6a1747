//! The ETA against the real remaining time: predictions at 20/40/60/80 % of each trip.
//!
//! The learned estimate may only learn from trips that had arrived before the moment it
//! predicts (their degraded tracks, as the Worker would have stored them): no trip teaches
//! its own outcome or one still under way.

use super::{degrade, median, Rng, Trip, Variant};
use crate::eta::{estimate_learned_with, estimate_with, Params, PastTrip, Point};

/// Median absolute percentage errors (0.1 = 10 %) over every prediction of a variant.
#[derive(Debug, Clone, PartialEq)]
pub struct EtaFigures {
    pub variant: &'static str,
    /// Live and past trips ([`crate::eta::estimate_learned`]): what the Worker should show.
    pub learned: f64,
    /// The trailer's own movement only ([`crate::eta::estimate`]).
    pub live: f64,
    /// A constant 30 km/h on the straight-line distance.
    pub baseline: f64,
    pub predictions: usize,
}

pub const FRACTIONS: [f64; 4] = [0.2, 0.4, 0.6, 0.8];

pub fn eta_figures(trips: &[Trip], variant: &Variant, seed: u64) -> EtaFigures {
    eta_figures_with(trips, variant, seed, &Params::DEFAULT)
}

/// As [`eta_figures`] with the live estimator's knobs (for tuning them).
pub fn eta_figures_with(trips: &[Trip], variant: &Variant, seed: u64, params: &Params) -> EtaFigures {
    figures(trips, variant, seed, params, Teachers::ArrivedBefore)
}

/// A ceiling, not a figure the Worker could reach: the learned estimate's MdAPE when every
/// other trip teaches it, including trips that arrived later (leave-one-trip-out, so no trip
/// teaches its own outcome). It shows how much of the error is the first trips of the day
/// having nothing to learn from, and how much is the estimator.
pub fn learned_ceiling(trips: &[Trip], variant: &Variant, seed: u64) -> f64 {
    figures(trips, variant, seed, &Params::DEFAULT, Teachers::AllOthers).learned
}

/// Which finished trips a prediction may learn from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Teachers {
    /// Those that had arrived before the prediction: what the Worker knows.
    ArrivedBefore,
    /// Every trip but the one predicted.
    AllOthers,
}

fn figures(trips: &[Trip], variant: &Variant, seed: u64, params: &Params, teachers: Teachers) -> EtaFigures {
    let mut rng = Rng(seed);
    let observed: Vec<Vec<Point>> = trips
        .iter()
        .map(|trip| degrade(&trip.points[..trip.points.len() - 1], variant, &mut rng))
        .collect();
    let past: Vec<(usize, f64, PastTrip)> = trips
        .iter()
        .zip(&observed)
        .enumerate()
        .filter_map(|(i, (trip, seen))| {
            let at = crate::time::from_ms((trip.arrived_at() * 1000.0).round() as i64)?;
            Some((i, trip.arrived_at(), PastTrip::new(seen, trip.dest(), at)?))
        })
        .collect();
    let (mut learned, mut live, mut base) = (Vec::new(), Vec::new(), Vec::new());
    for (i, (trip, observed)) in trips.iter().zip(&observed).enumerate() {
        let (dest, end, t0) = (trip.dest(), trip.arrived_at(), trip.points[0].t);
        for frac in FRACTIONS {
            let cut = t0 + frac * (end - t0);
            let seen: Vec<Point> = observed.iter().copied().filter(|p| p.t <= cut).collect();
            let Some(last) = seen.last() else { continue };
            let actual = end - last.t;
            if actual <= 0.0 {
                continue;
            }
            let known: Vec<PastTrip> = past
                .iter()
                .filter(|(j, arrived, _)| match teachers {
                    Teachers::ArrivedBefore => *arrived < last.t,
                    Teachers::AllOthers => *j != i,
                })
                .map(|(_, _, p)| p.clone())
                .collect();
            let ape = |s: f64| (s - actual).abs() / actual;
            let est = estimate_with(&seen, dest, params).expect("a track with a fix");
            live.push(ape(est.seconds));
            base.push(ape(est.distance_m / (30.0 / 3.6)));
            learned.push(ape(estimate_learned_with(&seen, dest, &known, params)
                .expect("a track with a fix")
                .seconds));
        }
    }
    EtaFigures {
        variant: variant.name,
        predictions: learned.len(),
        learned: median(learned),
        live: median(live),
        baseline: median(base),
    }
}
