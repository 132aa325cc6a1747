//! How good the ETA was: what it predicted along the way against when the trailer arrived.
//!
//! While a trailer heads for a stop the Worker keeps a few of the ETAs it computed
//! ([`Predictions::record`], one every [`EVERY_S`] of device time); when the trailer arrives each
//! becomes a (predicted, actual) pair of seconds to arrival ([`Predictions::outcomes`]), and
//! `GET /api/metrics/eta` summarises the pairs of completed jobs ([`summary`]).

use serde::{Deserialize, Serialize};

/// One prediction kept per this many seconds of device time: a two-hour trip keeps 24.
pub const EVERY_S: f64 = 300.0;
/// Most predictions kept per stop (the oldest go first).
pub const MAX_KEPT: usize = 48;

/// ETAs computed on the way to one stop: (device time in seconds, predicted seconds to go).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Predictions(pub Vec<(f64, f64)>);

impl Predictions {
    /// Keeps the prediction made at `at` (seconds since the epoch) if it is the first, or
    /// [`EVERY_S`] after the last kept; returns whether it was kept.
    pub fn record(&mut self, at: f64, seconds: f64) -> bool {
        if !at.is_finite() || !seconds.is_finite() || seconds < 0.0 {
            return false;
        }
        if self.0.last().is_some_and(|(last, _)| at < last + EVERY_S) {
            return false;
        }
        self.0.push((at, seconds));
        if self.0.len() > MAX_KEPT {
            self.0.remove(0);
        }
        true
    }

    /// (predicted, actual) seconds to arrival for each prediction made before `arrived_at`.
    pub fn outcomes(&self, arrived_at: f64) -> Vec<(f64, f64)> {
        self.0
            .iter()
            .filter(|(at, _)| *at < arrived_at)
            .map(|(at, predicted)| (*predicted, arrived_at - at))
            .collect()
    }
}

/// Median absolute percentage error (0.1 = 10 %) and the 90th percentile of the absolute
/// error in seconds, over (predicted, actual) pairs with an actual time to go.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub mdape: Option<f64>,
    pub p90_abs_error_s: Option<f64>,
}

pub fn summary(pairs: &[(f64, f64)]) -> Summary {
    let usable: Vec<(f64, f64)> = pairs
        .iter()
        .copied()
        .filter(|(p, a)| p.is_finite() && a.is_finite() && *a > 0.0)
        .collect();
    let mut ape: Vec<f64> = usable.iter().map(|(p, a)| (p - a).abs() / a).collect();
    let mut abs: Vec<f64> = usable.iter().map(|(p, a)| (p - a).abs()).collect();
    Summary {
        mdape: percentile(&mut ape, 0.5),
        p90_abs_error_s: percentile(&mut abs, 0.9),
    }
}

/// The value at rank `q` (for 0.5 the upper median, as the evaluation reports it).
fn percentile(v: &mut [f64], q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[((q * v.len() as f64) as usize).min(v.len() - 1)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_prediction_per_five_minutes_becomes_a_pair_at_arrival() {
        let mut p = Predictions::default();
        assert!(p.record(0.0, 1200.0));
        assert!(!p.record(100.0, 1100.0));
        assert!(p.record(300.0, 1000.0));
        assert!(!p.record(400.0, f64::NAN));
        assert!(p.record(900.0, 240.0));
        // Arrived at 1000 s: 1000, 700 and 100 s were to go.
        assert_eq!(
            p.outcomes(1000.0),
            vec![(1200.0, 1000.0), (1000.0, 700.0), (240.0, 100.0)]
        );
        assert_eq!(p.outcomes(600.0).len(), 2);
    }

    #[test]
    fn the_kept_predictions_are_bounded() {
        let mut p = Predictions::default();
        for i in 0..200 {
            p.record(i as f64 * EVERY_S, 100.0);
        }
        assert_eq!(p.0.len(), MAX_KEPT);
        assert_eq!(p.0[0].0, (200 - MAX_KEPT) as f64 * EVERY_S);
    }

    #[test]
    fn the_summary_is_the_median_percentage_and_the_p90_seconds() {
        // Errors of 10 %, 20 %, 50 % and 0 % (100, 100, 100, 0 s); a pair with nothing to go is left out.
        let pairs = [
            (1100.0, 1000.0),
            (400.0, 500.0),
            (300.0, 200.0),
            (60.0, 60.0),
            (30.0, 0.0),
        ];
        let s = summary(&pairs);
        assert_eq!(s.mdape, Some(0.2));
        assert_eq!(s.p90_abs_error_s, Some(100.0));
        assert_eq!(
            summary(&[]),
            Summary {
                mdape: None,
                p90_abs_error_s: None
            }
        );
    }
}
