//! Words and numbers for people: pure, so they are tested natively.

use qdn_shared::job::JobStatus;

/// A fix older than this is not "live".
pub const STALE_AFTER_S: i64 = 120;

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

/// "1.2 km away", "350 m away".
pub fn distance_phrase(m: f64) -> String {
    if m >= 1000.0 {
        format!("{:.1} km away", m / 1000.0)
    } else {
        format!("{} m away", ((m / 10.0).round() * 10.0) as i64)
    }
}

/// "updated just now", "updated 45 s ago", "last seen 3 min ago".
pub fn freshness(age_s: i64) -> String {
    let age_s = age_s.max(0);
    if age_s < 15 {
        "updated just now".into()
    } else if age_s < STALE_AFTER_S {
        format!("updated {age_s} s ago")
    } else if age_s < 3600 {
        format!("last seen {} min ago", age_s / 60)
    } else if age_s < 48 * 3600 {
        format!("last seen {} h ago", age_s / 3600)
    } else {
        format!("last seen {} days ago", age_s / 86400)
    }
}

pub fn is_stale(age_s: i64) -> bool {
    age_s >= STALE_AFTER_S
}

/// The timeline's steps; `cancelled` replaces the rest.
pub const STEPS: [(JobStatus, &str); 5] = [
    (JobStatus::Scheduled, "Scheduled"),
    (JobStatus::EnRoute, "On the way"),
    (JobStatus::AtSite, "At your site"),
    (JobStatus::EnRouteNext, "Heading to next stop"),
    (JobStatus::Completed, "Completed"),
];

pub fn step_index(s: JobStatus) -> Option<usize> {
    STEPS.iter().position(|(st, _)| *st == s)
}

/// The headline when there is no live ETA to show.
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

/// Where the trailer's position would be, when the view has none: the API shows none before
/// the trailer is on its way, nor from two hours after the job ended.
pub fn no_position(s: JobStatus) -> &'static str {
    match s {
        JobStatus::Scheduled => "its position shows here once it is on its way",
        JobStatus::Completed | JobStatus::Cancelled => "the job is over: the trailer's position is no longer shown",
        JobStatus::EnRoute | JobStatus::AtSite | JobStatus::EnRouteNext => "waiting for the trailer's first position",
    }
}

/// What to tell a person whose link the API refused.
pub fn refusal(status: u16, code: &str, phone: Option<&str>) -> (String, String) {
    let contact = phone.map(|p| format!(" Text or call us at {p}.")).unwrap_or_default();
    match (status, code) {
        (_, "token_expired") => (
            "This tracking link has expired".into(),
            format!("Links stop working after a while.{contact}"),
        ),
        (_, "token_missing") => missing_link(phone),
        (410, _) | (_, "link_revoked") => (
            "This tracking link was withdrawn".into(),
            format!("Use the newest link we texted you.{contact}"),
        ),
        (404, _) => (
            "We couldn't find this job".into(),
            format!("It may have been removed.{contact}"),
        ),
        _ => (
            "This tracking link isn't valid".into(),
            format!("Please open the whole link from your text message.{contact}"),
        ),
    }
}

pub fn missing_link(phone: Option<&str>) -> (String, String) {
    let contact = phone.map(|p| format!(" Text or call us at {p}.")).unwrap_or_default();
    (
        "This page needs a tracking link".into(),
        format!("Open the link from the text message we sent you.{contact}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_phrases() {
        assert_eq!(eta_phrase(20), "Arriving now");
        assert_eq!(eta_phrase(12 * 60), "Arriving in about 12 min");
        assert_eq!(eta_phrase(65 * 60), "Arriving in about 1 h 5 min");
        assert_eq!(eta_phrase(120 * 60), "Arriving in about 2 h");
    }

    #[test]
    fn freshness_and_staleness() {
        assert_eq!(freshness(3), "updated just now");
        assert_eq!(freshness(45), "updated 45 s ago");
        assert!(!is_stale(119));
        assert_eq!(freshness(180), "last seen 3 min ago");
        assert!(is_stale(180));
    }

    #[test]
    fn refusals_say_what_to_do() {
        let (t, b) = refusal(401, "token_expired", Some("+15550100000"));
        assert!(t.contains("expired") && b.contains("+15550100000"));
        assert!(refusal(401, "token_invalid", None).0.contains("isn't valid"));
        assert!(refusal(404, "job_not_found", None).0.contains("couldn't find"));
        let (t, b) = refusal(410, "link_revoked", Some("+15550100000"));
        assert!(t.contains("withdrawn") && b.contains("+15550100000"));
    }

    #[test]
    fn no_position_says_why() {
        assert!(no_position(JobStatus::Scheduled).contains("once it is on its way"));
        assert!(no_position(JobStatus::Completed).contains("no longer shown"));
        assert!(no_position(JobStatus::Cancelled).contains("no longer shown"));
        assert!(no_position(JobStatus::EnRoute).contains("first position"));
    }

    #[test]
    fn distances() {
        assert_eq!(distance_phrase(1234.0), "1.2 km away");
        assert_eq!(distance_phrase(347.0), "350 m away");
    }
}
