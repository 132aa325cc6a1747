//! Timestamps as outside parties write them.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// Epoch numbers at or above this are milliseconds (year 2286 in seconds, 1973 in ms).
const EPOCH_MS_THRESHOLD: f64 = 1e10;

pub fn from_ms(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single()
}

/// Epoch seconds or milliseconds (told apart by magnitude), possibly fractional.
pub fn from_epoch_number(n: f64) -> Option<DateTime<Utc>> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let ms = if n >= EPOCH_MS_THRESHOLD { n } else { n * 1000.0 };
    if ms > 32_503_680_000_000.0 {
        return None; // past year 3000: a unit mix-up, not a time
    }
    from_ms(ms.round() as i64)
}

/// RFC 3339 / ISO 8601 (`Z`, offsets, a space instead of `T`, naive = UTC) or an epoch number
/// in a string, as trackers send them.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let spaced = s.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&spaced) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&spaced, fmt) {
            return Some(t.and_utc());
        }
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return s.parse::<f64>().ok().and_then(from_epoch_number);
    }
    None
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_and_millis_are_the_same_instant() {
        let a = parse_timestamp("1700000000").unwrap();
        let b = parse_timestamp("1700000000000").unwrap();
        let c = parse_timestamp("2023-11-14T22:13:20Z").unwrap();
        let d = parse_timestamp("2023-11-14 22:13:20").unwrap();
        let e = parse_timestamp("2023-11-14T23:13:20+01:00").unwrap();
        assert!(a == b && b == c && c == d && d == e);
        assert_eq!(
            parse_timestamp("1700000000.5").unwrap().timestamp_millis(),
            1_700_000_000_500
        );
    }

    #[test]
    fn garbage_is_not_a_time() {
        for s in [
            "",
            "yesterday",
            "2023-13-45T00:00:00Z",
            "-5",
            "1e400",
            "99999999999999999999",
        ] {
            assert!(parse_timestamp(s).is_none(), "{s}");
        }
    }
}
