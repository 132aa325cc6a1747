//! The tracking page's headline in words: the page shows it, and the Worker writes it into the
//! page's HTML so a slow phone shows the ETA before the page's wasm has arrived. One function
//! for both, so the first paint and the page never disagree.

use chrono::{DateTime, Utc};

use crate::job::JobStatus;
use crate::view::LocationView;

/// A fix older than this is not "live".
pub const STALE_AFTER_S: i64 = 120;

pub fn is_stale(age_s: i64) -> bool {
    age_s >= STALE_AFTER_S
}

/// "Arriving in about 12 min", "Arriving in about 1 h 5 min", "Arriving now".
pub fn eta_phrase(seconds: i64) -> String {
    if seconds < 60 {
        return "Arriving now".into();
    }
    let minutes = (seconds + 30) / 60;
    if minutes < 60 {
        return format!("Arriving in about {minutes} min");
    }
    let (h, m) = (minutes / 60, minutes % 60);
    if m == 0 {
        format!("Arriving in about {h} h")
    } else {
        format!("Arriving in about {h} h {m} min")
    }
}

pub fn status_headline(s: JobStatus) -> &'static str {
    match s {
        JobStatus::Scheduled => "Your trailer is scheduled",
        JobStatus::EnRoute => "Your trailer is on the way",
        JobStatus::AtSite => "Your trailer has arrived",
        JobStatus::EnRouteNext => "Your trailer is heading to its next stop",
        JobStatus::Completed => "This job is complete",
        JobStatus::Cancelled => "This job was cancelled",
    }
}

/// Seconds since the view's position was recorded, at `now`.
pub fn age_s(v: &LocationView, now: DateTime<Utc>) -> Option<i64> {
    v.position.as_ref().map(|p| (now - p.recorded_at).num_seconds())
}

/// The big line: the ETA while the trailer moves and reports, else the status. A stale
/// position never shows as a live ETA.
pub fn headline(v: &LocationView, now: DateTime<Utc>) -> String {
    let stale = age_s(v, now).is_some_and(is_stale);
    match (&v.eta, stale, v.status.is_moving()) {
        (Some(eta), false, true) => eta_phrase((eta.arrive_at - now).num_seconds().max(0)),
        _ => status_headline(v.status).into(),
    }
}
