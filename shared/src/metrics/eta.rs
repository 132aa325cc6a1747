//! How the ETAs and the "arriving soon" texts did (`GET /api/metrics/eta`): pure figures over
//! the arrivals the Worker kept, overall and per UTC day.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{day_name, percentile, window_start};
use crate::eta::accuracy;

/// An "arriving soon" text is on time when it comes this long before the arrival: early enough
/// to get to the gate, late enough that the customer is not left waiting.
pub const ON_TIME_LEAD_S: std::ops::RangeInclusive<f64> = 420.0..=780.0;

/// One arrival of a completed job at a stop.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrivalFact {
    pub job_id: String,
    pub arrived_at: DateTime<Utc>,
    /// (predicted, actual) seconds to go along the trip.
    pub pairs: Vec<(f64, f64)>,
    /// How long before the arrival the "arriving soon" text was decided, if one was sent.
    pub notice_lead_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notices {
    /// Arrivals that had an "arriving soon" text.
    pub sent: u32,
    /// Of those, sent 7 to 13 minutes before the arrival.
    pub on_time: u32,
    pub lead_p50_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EtaFigures {
    pub jobs: u32,
    pub predictions: u32,
    pub mdape: Option<f64>,
    pub p90_abs_error_s: Option<f64>,
    pub arriving_soon: Notices,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EtaDay {
    pub day: String,
    #[serde(flatten)]
    pub figures: EtaFigures,
}

/// The figures over `arrivals`, rounded as served (MdAPE to 0.001, seconds to 1).
pub fn eta_figures(arrivals: &[&ArrivalFact]) -> EtaFigures {
    let mut jobs: Vec<&str> = arrivals.iter().map(|a| a.job_id.as_str()).collect();
    jobs.sort_unstable();
    jobs.dedup();
    let pairs: Vec<(f64, f64)> = arrivals.iter().flat_map(|a| a.pairs.iter().copied()).collect();
    let s = accuracy::summary(&pairs);
    let leads: Vec<f64> = arrivals.iter().filter_map(|a| a.notice_lead_s).collect();
    EtaFigures {
        jobs: jobs.len() as u32,
        predictions: pairs.len() as u32,
        mdape: s.mdape.map(|m| (m * 1000.0).round() / 1000.0),
        p90_abs_error_s: s.p90_abs_error_s.map(f64::round),
        arriving_soon: Notices {
            sent: leads.len() as u32,
            on_time: leads.iter().filter(|l| ON_TIME_LEAD_S.contains(l)).count() as u32,
            lead_p50_s: percentile(&leads, 50.0).map(f64::round),
        },
    }
}

/// The figures of each of the `days` UTC days ending on `now`'s day, oldest first.
pub fn eta_days(days: u32, now: DateTime<Utc>, arrivals: &[ArrivalFact]) -> Vec<EtaDay> {
    let start = window_start(days, now);
    (0..days.max(1) as i64)
        .map(|i| {
            let from = start + Duration::days(i);
            let to = from + Duration::days(1);
            let in_day: Vec<&ArrivalFact> = arrivals
                .iter()
                .filter(|a| a.arrived_at >= from && a.arrived_at < to)
                .collect();
            EtaDay {
                day: day_name(from.date_naive()),
                figures: eta_figures(&in_day),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(job: &str, at: &str, pairs: &[(f64, f64)], lead: Option<f64>) -> ArrivalFact {
        ArrivalFact {
            job_id: job.into(),
            arrived_at: at.parse().unwrap(),
            pairs: pairs.to_vec(),
            notice_lead_s: lead,
        }
    }

    #[test]
    fn notices_are_on_time_between_7_and_13_minutes_ahead() {
        let a = [
            arrival("j1", "2026-11-21T10:00:00Z", &[(110.0, 100.0)], Some(600.0)),
            arrival("j1", "2026-11-21T11:00:00Z", &[(90.0, 100.0)], None),
            arrival("j2", "2026-11-22T09:00:00Z", &[(300.0, 100.0)], Some(200.0)),
        ];
        let all: Vec<&ArrivalFact> = a.iter().collect();
        let f = eta_figures(&all);
        assert_eq!((f.jobs, f.predictions), (2, 3));
        assert_eq!(f.mdape, Some(0.1));
        assert_eq!((f.arriving_soon.sent, f.arriving_soon.on_time), (2, 1));
        let days = eta_days(2, "2026-11-22T12:00:00Z".parse().unwrap(), &a);
        assert_eq!(
            days.iter().map(|d| d.day.as_str()).collect::<Vec<_>>(),
            ["2026-11-21", "2026-11-22"]
        );
        assert_eq!(days[0].figures.jobs, 1);
        assert_eq!(days[0].figures.arriving_soon.on_time, 1);
        assert_eq!(days[1].figures.arriving_soon.on_time, 0);
        assert_eq!(days[1].figures.mdape, Some(2.0));
    }

    #[test]
    fn no_arrivals_give_no_figures_rather_than_zeroes() {
        let f = eta_figures(&[]);
        assert_eq!(
            (f.mdape, f.p90_abs_error_s, f.arriving_soon.lead_p50_s),
            (None, None, None)
        );
    }
}
