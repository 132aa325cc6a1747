//! Words and numbers for people: pure, so they are tested natively.

use qdn_shared::job::JobStatus;
/// The headline's words are shared with the Worker, which writes the first one into the HTML.
pub use qdn_shared::words::{eta_phrase, is_stale, status_headline, STALE_AFTER_S};

/// `v` rounded to `decimals` digits after the point, with integer formatting (the map writes
/// many coordinates; measured ~1 KB smaller in the wasm than `{:.1}`, which serde's error
/// messages keep linked anyway).
pub fn fixed(v: f64, decimals: u32) -> String {
    let scale = 10i64.pow(decimals);
    let n = (v * scale as f64).round() as i64;
    let sign = if n < 0 { "-" } else { "" };
    let n = n.unsigned_abs();
    let scale = scale as u64;
    if decimals == 0 {
        return format!("{sign}{n}");
    }
    format!("{sign}{}.{:0width$}", n / scale, n % scale, width = decimals as usize)
}

/// "1.2 km away", "350 m away".
pub fn distance_phrase(m: f64) -> String {
    if m >= 1000.0 {
        format!("{} km away", fixed(m / 1000.0, 1))
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

#[cfg(test)]
mod fixed_tests {
    use super::fixed;

    #[test]
    fn fixed_point_as_format_would_write_it() {
        for (v, d) in [
            (0.0, 1),
            (12.34, 1),
            (-12.36, 1),
            (-0.04, 1),
            (259.99, 1),
            (180.4, 0),
            (-7.5, 0),
            (1.005, 2),
        ] {
            let want = format!("{v:.*}", d as usize).replace("-0.0", "0.0");
            assert_eq!(fixed(v, d), want, "{v} to {d}");
        }
    }
}
