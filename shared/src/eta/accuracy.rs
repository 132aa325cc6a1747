//! How good the ETA was: what it predicted along the way against when the trailer arrived.
//!
//! When a trailer arrives, the Worker replays the ETA at checkpoints of the trip
//! (`arrival::eta_outcomes`), each a (predicted, actual) pair of seconds to arrival, and
//! `GET /api/metrics/eta` summarises the pairs of completed jobs ([`summary`]).

use serde::Serialize;

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
