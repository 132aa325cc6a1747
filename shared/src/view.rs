//! What the API answers, shared by the Worker (which builds it) and the page (which reads it).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::eta;
use crate::job::{Destination, JobStatus};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
    #[cfg_attr(feature = "browser-dates", serde(deserialize_with = "browser_dates::deserialize"))]
    pub recorded_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_mps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading_deg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eta {
    /// Estimated seconds to arrival as of `position.recorded_at`; count down from `arrive_at`.
    pub seconds: i64,
    #[cfg_attr(feature = "browser-dates", serde(deserialize_with = "browser_dates::deserialize"))]
    pub arrive_at: DateTime<Utc>,
    /// Straight-line distance from the position to the destination.
    pub distance_m: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailPoint {
    pub lat: f64,
    pub lon: f64,
    #[cfg_attr(feature = "browser-dates", serde(deserialize_with = "browser_dates::deserialize"))]
    pub recorded_at: DateTime<Utc>,
}

/// `GET /api/jobs/{token}/location`. `destination` and `company_phone` are additions to the
/// contract, for the page's map pin and contact button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationView {
    pub job_id: String,
    pub status: JobStatus,
    pub trailer_count: u32,
    pub position: Option<Position>,
    pub eta: Option<Eta>,
    pub trail: Vec<TrailPoint>,
    #[cfg_attr(feature = "browser-dates", serde(deserialize_with = "browser_dates::deserialize"))]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub destination: Option<Destination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_phone: Option<String>,
}

/// The contract's error body. `attempts` is there when a text could not be sent from any number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Vec<crate::notify::SendAttempt>>,
}

/// The view's times, parsed by the browser in the tracking page (feature `browser-dates`):
/// chrono's parser was ~16 KB of the page's wasm. The Worker writes them as chrono serializes a
/// `DateTime<Utc>` of at most millisecond precision (`2026-05-01T12:00:00.123Z`): the
/// ECMAScript date-time string format, which `Date.parse` must accept (tested below).
#[cfg(feature = "browser-dates")]
mod browser_dates {
    use chrono::{DateTime, Utc};
    use serde::de::{Deserializer, Error, Unexpected, Visitor};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        struct Time;
        impl Visitor<'_> for Time {
            type Value = DateTime<Utc>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an RFC 3339 time")
            }
            fn visit_str<E: Error>(self, s: &str) -> Result<Self::Value, E> {
                parse(s).ok_or_else(|| E::invalid_value(Unexpected::Str(s), &self))
            }
        }
        d.deserialize_str(Time)
    }

    #[cfg(target_arch = "wasm32")]
    fn parse(s: &str) -> Option<DateTime<Utc>> {
        let ms = js_sys::Date::parse(s);
        ms.is_finite().then(|| DateTime::from_timestamp_millis(ms as i64))?
    }

    /// Natively (the page's unit tests) there is no browser: chrono's parser.
    #[cfg(not(target_arch = "wasm32"))]
    fn parse(s: &str) -> Option<DateTime<Utc>> {
        s.parse().ok()
    }
}

/// A stored fix as the view needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFix {
    pub trailer_id: String,
    pub lat: f64,
    pub lon: f64,
    pub recorded_at: DateTime<Utc>,
    pub speed_mps: Option<f64>,
    pub heading_deg: Option<f64>,
    pub accuracy_m: Option<f64>,
}

/// The job facts the view needs.
#[derive(Debug, Clone, PartialEq)]
pub struct JobFacts {
    pub job_id: String,
    pub status: JobStatus,
    pub trailer_count: u32,
    pub destination: Destination,
    pub updated_at: DateTime<Utc>,
}

/// Most trail points in a view: enough for the map, small enough for a 10 s poll on a phone.
pub const TRAIL_MAX: usize = 60;

/// A finished job's trailer is shown this long after the job ended (the customer checking where
/// it went), then never again: the trailer is on someone else's job by then.
pub const SHOWN_AFTER_END_S: i64 = 2 * 3600;

/// Whether the customer may see where the trailer is at `now`: not before it is on its way
/// (`scheduled`: it may be parked at another customer's), and not from [`SHOWN_AFTER_END_S`]
/// after the job was completed or cancelled (`updated_at` of a finished job is when it ended).
pub fn shows_position(status: JobStatus, updated_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    match status {
        JobStatus::Scheduled => false,
        JobStatus::Completed | JobStatus::Cancelled => now < updated_at + chrono::Duration::seconds(SHOWN_AFTER_END_S),
        JobStatus::EnRoute | JobStatus::AtSite | JobStatus::EnRouteNext => true,
    }
}

/// [`location_view`] as the customer may see it at `now`: without position, ETA or trail when
/// [`shows_position`] says no.
pub fn location_view_at(
    job: &JobFacts,
    fixes: Vec<StoredFix>,
    past: &[eta::PastTrip],
    company_phone: Option<String>,
    now: DateTime<Utc>,
) -> LocationView {
    let fixes = if shows_position(job.status, job.updated_at, now) {
        fixes
    } else {
        Vec::new()
    };
    location_view(job, fixes, past, company_phone)
}

/// Builds the customer's view from the job and its recent fixes (any order, any trailers).
/// With several trailers, the view follows the one expected to arrive first. The ETA learns
/// from `past` trips to this destination exactly as the arrival texts' does
/// ([`crate::arrival::eta_reading`]), so the page never says 14 minutes while the text says 9.
pub fn location_view(
    job: &JobFacts,
    mut fixes: Vec<StoredFix>,
    past: &[eta::PastTrip],
    company_phone: Option<String>,
) -> LocationView {
    fixes.sort_by(|a, b| (a.trailer_id.as_str(), a.recorded_at).cmp(&(b.trailer_id.as_str(), b.recorded_at)));
    let dest = (job.destination.lat, job.destination.lon);
    let mut best: Option<(&[StoredFix], eta::Estimate)> = None;
    for track in fixes.chunk_by(|a, b| a.trailer_id == b.trailer_id) {
        let points: Vec<eta::Point> = track
            .iter()
            .map(|f| eta::Point::new(f.recorded_at, f.lat, f.lon))
            .collect();
        // A chunk is never empty, so it always has an estimate; the soonest arrival wins.
        let Some(est) = eta::estimate_learned(&points, dest, past) else {
            continue;
        };
        if best.as_ref().is_none_or(|(_, soonest)| est.seconds < soonest.seconds) {
            best = Some((track, est));
        }
    }
    let (position, eta, trail, newest) = match best {
        None => (None, None, Vec::new(), None),
        Some((track, est)) => {
            let last = track.last().expect("chunks are never empty");
            let position = Position {
                lat: last.lat,
                lon: last.lon,
                recorded_at: last.recorded_at,
                speed_mps: last.speed_mps,
                heading_deg: last.heading_deg,
                accuracy_m: last.accuracy_m,
            };
            let eta = job.status.is_moving().then(|| Eta {
                seconds: est.seconds.round() as i64,
                arrive_at: last.recorded_at + chrono::Duration::seconds(est.seconds.round() as i64),
                distance_m: est.distance_m.round(),
            });
            let start = track.len().saturating_sub(TRAIL_MAX);
            let trail = track[start..]
                .iter()
                .map(|f| TrailPoint {
                    lat: f.lat,
                    lon: f.lon,
                    recorded_at: f.recorded_at,
                })
                .collect();
            (Some(position), eta, trail, Some(last.recorded_at))
        }
    };
    LocationView {
        job_id: job.job_id.clone(),
        status: job.status,
        trailer_count: job.trailer_count,
        position,
        eta,
        trail,
        updated_at: newest.map_or(job.updated_at, |n| n.max(job.updated_at)),
        destination: Some(job.destination.clone()),
        company_phone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t0() -> DateTime<Utc> {
        crate::time::parse_timestamp("2026-05-01T12:00:00Z").unwrap()
    }

    fn fix(trailer: &str, min: i64, lat: f64) -> StoredFix {
        StoredFix {
            trailer_id: trailer.into(),
            lat,
            lon: 0.0,
            recorded_at: t0() + Duration::minutes(min),
            speed_mps: None,
            heading_deg: None,
            accuracy_m: None,
        }
    }

    fn job(status: JobStatus) -> JobFacts {
        JobFacts {
            job_id: "j".into(),
            status,
            trailer_count: 2,
            destination: Destination {
                lat: 1.0,
                lon: 0.0,
                address: None,
            },
            updated_at: t0(),
        }
    }

    #[test]
    fn the_eta_learns_from_past_trips_as_the_texts_do() {
        // Yesterday the same road north to (1.0, 0) took 5 h from lat 0.5 (a closure); today the trailer
        // has covered 0.45 → 0.5 in 9 minutes. The page's ETA is the texts' ETA, past trip and all.
        let dest = (1.0, 0.0);
        let yesterday: Vec<eta::Point> = (0..=100)
            .map(|m| {
                eta::Point::new(
                    t0() - Duration::days(1) + Duration::minutes(m),
                    0.5 * m as f64 / 100.0,
                    0.0,
                )
            })
            .chain((1..100).map(|m| {
                eta::Point::new(
                    t0() - Duration::days(1) + Duration::minutes(100 + 3 * m),
                    0.5 + 0.5 * m as f64 / 100.0,
                    0.0,
                )
            }))
            .collect();
        let past = [eta::PastTrip::new(&yesterday, dest, t0() - Duration::days(1) + Duration::minutes(400)).unwrap()];
        let fixes: Vec<StoredFix> = (0..10).map(|m| fix("a", m, 0.45 + m as f64 * 0.05 / 9.0)).collect();
        let live = location_view(&job(JobStatus::EnRoute), fixes.clone(), &[], None)
            .eta
            .unwrap();
        let learned = location_view(&job(JobStatus::EnRoute), fixes.clone(), &past, None)
            .eta
            .unwrap();
        let text = crate::arrival::eta_reading(&fixes, dest, &past).unwrap();
        assert_eq!(learned.seconds, text.seconds.round() as i64);
        assert!(
            learned.seconds > live.seconds + 600,
            "learned {} vs live {}",
            learned.seconds,
            live.seconds
        );
    }

    #[test]
    fn follows_the_trailer_that_arrives_first() {
        // "far" is 0.5 deg away and crawling; "near" is 0.1 deg away and moving.
        let mut fixes = Vec::new();
        for m in 0..10 {
            fixes.push(fix("far", m, 0.5 + m as f64 * 0.0001));
            fixes.push(fix("near", m, 0.8 + m as f64 * 0.01));
        }
        let v = location_view(&job(JobStatus::EnRoute), fixes, &[], None);
        let p = v.position.unwrap();
        assert!((p.lat - 0.89).abs() < 1e-9);
        assert!(v.eta.is_some());
        assert_eq!(v.trail.len(), 10);
        assert_eq!(v.updated_at, t0() + Duration::minutes(9));
    }

    #[test]
    fn the_newest_fix_is_the_position_whatever_the_arrival_order() {
        let fixes = vec![fix("a", 5, 0.5), fix("a", 1, 0.1), fix("a", 3, 0.3)];
        let v = location_view(&job(JobStatus::EnRoute), fixes, &[], None);
        assert_eq!(v.position.unwrap().lat, 0.5);
        assert_eq!(v.trail.iter().map(|p| p.lat).collect::<Vec<_>>(), vec![0.1, 0.3, 0.5]);
    }

    #[test]
    fn no_position_before_en_route_nor_from_two_hours_after_the_end() {
        let fixes = || vec![fix("a", 1, 0.5), fix("a", 2, 0.6)];
        let at = |status, minutes_after_update: i64| {
            let mut j = job(status);
            j.updated_at = t0() + Duration::minutes(3);
            location_view_at(
                &j,
                fixes(),
                &[],
                None,
                j.updated_at + Duration::minutes(minutes_after_update),
            )
        };
        let scheduled = at(JobStatus::Scheduled, 0);
        assert!(scheduled.position.is_none() && scheduled.trail.is_empty() && scheduled.eta.is_none());
        assert!(at(JobStatus::EnRoute, 500).position.is_some());
        assert!(at(JobStatus::AtSite, 500).position.is_some());
        for done in [JobStatus::Completed, JobStatus::Cancelled] {
            assert!(at(done, 119).position.is_some(), "{done:?}");
            let late = at(done, 120);
            assert!(late.position.is_none() && late.trail.is_empty(), "{done:?}");
            assert_eq!(late.status, done);
        }
    }

    /// `YYYY-MM-DDTHH:mm:ss.sssZ` or without the fraction: ECMAScript's date-time string format.
    fn ecmascript_date_time(s: &str) -> bool {
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
        let shape = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
        let head = digits(0..4)
            && shape.iter().all(|&(i, c)| b.get(i) == Some(&c))
            && [5, 8, 11, 14, 17].iter().all(|&i| digits(i..i + 2));
        head && (s.len() == 20 && b[19] == b'Z' || s.len() == 24 && b[19] == b'.' && digits(20..23) && b[23] == b'Z')
    }

    #[test]
    fn the_views_times_are_in_the_format_browsers_parse() {
        // The page parses them with `Date.parse` (feature `browser-dates`), which must accept
        // this format; the Worker's times are whole milliseconds (fixes are stored in ms).
        let mut fixes = vec![fix("a", 1, 0.5), fix("a", 2, 0.6)];
        fixes[1].recorded_at += Duration::milliseconds(123);
        let mut j = job(JobStatus::EnRoute);
        j.updated_at += Duration::milliseconds(7);
        let v = location_view(&j, fixes, &[], Some("+15550100000".into()));
        let json = serde_json::to_value(&v).unwrap();
        let times = [
            &json["updated_at"],
            &json["position"]["recorded_at"],
            &json["eta"]["arrive_at"],
            &json["trail"][0]["recorded_at"],
            &json["trail"][1]["recorded_at"],
        ];
        for t in times {
            let t = t.as_str().unwrap();
            assert!(ecmascript_date_time(t), "{t}");
        }
        assert_eq!(json["position"]["recorded_at"], "2026-05-01T12:02:00.123Z");
        assert_eq!(json["trail"][0]["recorded_at"], "2026-05-01T12:01:00Z");
        assert!(!ecmascript_date_time("2026-05-01T12:02:00.123456Z"));
        // And the JSON reads back into the same view (the page's type is this one).
        assert_eq!(serde_json::from_value::<LocationView>(json).unwrap(), v);
    }

    #[test]
    fn no_eta_unless_moving_and_trail_is_bounded() {
        let fixes: Vec<StoredFix> = (0..100).map(|m| fix("a", m, m as f64 * 0.001)).collect();
        let v = location_view(&job(JobStatus::AtSite), fixes, &[], None);
        assert!(v.eta.is_none());
        assert_eq!(v.trail.len(), TRAIL_MAX);
        let empty = location_view(&job(JobStatus::Scheduled), vec![], &[], None);
        assert!(empty.position.is_none() && empty.trail.is_empty());
        assert_eq!(empty.updated_at, t0());
    }
}
