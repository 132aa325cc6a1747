//! Location fixes: what trackers send, checked before anything is stored.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ErrorCode;

/// How far ahead of our clock a fix may be stamped and still be stored. Phones' clocks run
/// fast (by minutes, or by hours after a wrong time zone), and Traccar Client and OsmAnd retry a
/// refused fix forever; such a fix is stored at the receive time and its skew reported.
pub const MAX_CLOCK_SKEW: Duration = Duration::hours(24);
/// Fixes are kept this long; older ones are refused rather than stored and deleted.
pub const MAX_AGE: Duration = Duration::days(7);
/// Most fixes in one `{"fixes": [...]}` batch.
pub const MAX_BATCH: usize = 500;

/// A checked fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    pub lat: f64,
    pub lon: f64,
    pub recorded_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_mps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading_deg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trailer_id: Option<String>,
}

/// A fix that passed the checks, and by how much the device's clock was ahead when it was
/// stamped in the future (the fix then carries the receive time instead).
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub fix: Fix,
    pub clock_skew_s: Option<i64>,
}

/// A fix as read from some format, before the checks that every format shares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawFix {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub speed_mps: Option<f64>,
    pub heading_deg: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub trailer_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FixError {
    #[error("a fix must be a JSON object")]
    NotAnObject,
    #[error("lat must be a number within -90..90")]
    Lat,
    #[error("lon must be a number within -180..180")]
    Lon,
    #[error("recorded_at must be an RFC 3339 time (or epoch seconds/ms)")]
    RecordedAt,
    #[error("recorded_at is more than 24 hours in the future")]
    Future,
    #[error("recorded_at is more than 7 days old")]
    TooOld,
    #[error("speed must be a number >= 0")]
    Speed,
    #[error("heading must be a number within 0..360")]
    Heading,
    #[error("accuracy must be a number >= 0")]
    Accuracy,
    #[error("trailer_id must be 1-64 letters, digits, - or _")]
    TrailerId,
}

impl ErrorCode for FixError {
    fn code(&self) -> &'static str {
        match self {
            FixError::NotAnObject => "invalid_fix",
            FixError::Lat => "invalid_lat",
            FixError::Lon => "invalid_lon",
            FixError::RecordedAt => "invalid_recorded_at",
            FixError::Future => "recorded_at_in_future",
            FixError::TooOld => "recorded_at_too_old",
            FixError::Speed => "invalid_speed",
            FixError::Heading => "invalid_heading",
            FixError::Accuracy => "invalid_accuracy",
            FixError::TrailerId => "invalid_trailer_id",
        }
    }
}

impl RawFix {
    /// The checks every fix passes, whatever format it came in. A fix stamped up to
    /// [`MAX_CLOCK_SKEW`] after `now` (the receive time) is kept at `now`, with the skew.
    pub fn check(self, now: DateTime<Utc>) -> Result<Checked, FixError> {
        let lat = self
            .lat
            .filter(|x| x.is_finite() && (-90.0..=90.0).contains(x))
            .ok_or(FixError::Lat)?;
        let lon = self
            .lon
            .filter(|x| x.is_finite() && (-180.0..=180.0).contains(x))
            .ok_or(FixError::Lon)?;
        let stamped = self.recorded_at.ok_or(FixError::RecordedAt)?;
        if stamped > now + MAX_CLOCK_SKEW {
            return Err(FixError::Future);
        }
        let (recorded_at, clock_skew_s) = if stamped > now {
            let ahead_ms = (stamped - now).num_milliseconds();
            // Sub-second leads are transit jitter, not a clock to tell anyone about.
            (now, (ahead_ms >= 1000).then(|| (ahead_ms + 500) / 1000))
        } else {
            (stamped, None)
        };
        if recorded_at < now - MAX_AGE {
            return Err(FixError::TooOld);
        }
        let non_negative = |v: Option<f64>, e| match v {
            Some(x) if !(x.is_finite() && x >= 0.0) => Err(e),
            v => Ok(v),
        };
        let speed_mps = non_negative(self.speed_mps, FixError::Speed)?;
        let accuracy_m = non_negative(self.accuracy_m, FixError::Accuracy)?;
        let heading_deg = match self.heading_deg {
            Some(h) if !(h.is_finite() && (0.0..=360.0).contains(&h)) => return Err(FixError::Heading),
            h => h.map(|h| h % 360.0),
        };
        if self.trailer_id.as_deref().is_some_and(|t| !crate::job::valid_id(t)) {
            return Err(FixError::TrailerId);
        }
        Ok(Checked {
            fix: Fix {
                lat,
                lon,
                recorded_at,
                speed_mps,
                heading_deg,
                accuracy_m,
                trailer_id: self.trailer_id,
            },
            clock_skew_s,
        })
    }
}

/// A number field: absent and `null` are `None`; anything but a number is the given error.
pub(crate) fn num(o: &Map<String, Value>, key: &str, e: FixError) -> Result<Option<f64>, FixError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or(e),
    }
}

/// Reads one fix of our own JSON API (`POST /api/jobs/{id}/location`).
pub fn from_json(v: &Value, now: DateTime<Utc>) -> Result<Checked, FixError> {
    let o = v.as_object().ok_or(FixError::NotAnObject)?;
    let recorded_at = match o.get("recorded_at") {
        Some(Value::String(s)) => Some(crate::time::parse_timestamp(s).ok_or(FixError::RecordedAt)?),
        Some(Value::Number(n)) => Some(
            n.as_f64()
                .and_then(crate::time::from_epoch_number)
                .ok_or(FixError::RecordedAt)?,
        ),
        _ => return Err(FixError::RecordedAt),
    };
    let trailer_id = match o.get("trailer_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(FixError::TrailerId),
    };
    RawFix {
        lat: num(o, "lat", FixError::Lat)?,
        lon: num(o, "lon", FixError::Lon)?,
        recorded_at,
        speed_mps: num(o, "speed_mps", FixError::Speed)?,
        heading_deg: num(o, "heading_deg", FixError::Heading)?,
        accuracy_m: num(o, "accuracy_m", FixError::Accuracy)?,
        trailer_id,
    }
    .check(now)
}

/// The body of `POST /api/jobs/{id}/location`: one fix, or `{"fixes": [...]}`.
pub enum Body<'a> {
    One(&'a Value),
    Batch(&'a [Value]),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body must be a fix object or {{\"fixes\": [...]}}")]
    Shape,
    #[error("a batch holds at most 500 fixes")]
    TooMany,
    #[error("a batch must hold at least one fix")]
    Empty,
}

impl ErrorCode for BodyError {
    fn code(&self) -> &'static str {
        match self {
            BodyError::Shape => "invalid_body",
            BodyError::TooMany => "batch_too_large",
            BodyError::Empty => "empty_batch",
        }
    }
}

pub fn body(v: &Value) -> Result<Body<'_>, BodyError> {
    let o = v.as_object().ok_or(BodyError::Shape)?;
    match o.get("fixes") {
        Some(Value::Array(list)) if list.len() > MAX_BATCH => Err(BodyError::TooMany),
        Some(Value::Array(list)) if list.is_empty() => Err(BodyError::Empty),
        Some(Value::Array(list)) => Ok(Body::Batch(list)),
        Some(_) => Err(BodyError::Shape),
        None => Ok(Body::One(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        crate::time::parse_timestamp("2026-05-01T12:00:00Z").unwrap()
    }

    #[test]
    fn a_good_fix() {
        let c = from_json(&json!({"lat": 53.4, "lon": -2.9, "recorded_at": "2026-05-01T11:59:00Z", "speed_mps": 3.5, "heading_deg": 360}), now()).unwrap();
        assert_eq!(c.fix.heading_deg, Some(0.0));
        assert_eq!(c.fix.speed_mps, Some(3.5));
        assert_eq!(c.clock_skew_s, None);
    }

    #[test]
    fn a_fast_clock_is_stored_at_receive_time_up_to_a_day() {
        let at = |t: &str| from_json(&json!({"lat": 1, "lon": 1, "recorded_at": t}), now());
        // A phone whose clock runs 5 minutes fast.
        let c = at("2026-05-01T12:05:00Z").unwrap();
        assert_eq!((c.fix.recorded_at, c.clock_skew_s), (now(), Some(300)));
        // A wrong time zone: 23 h 59 min ahead is still a clock, not a bogus time.
        let c = at("2026-05-02T11:59:00Z").unwrap();
        assert_eq!((c.fix.recorded_at, c.clock_skew_s), (now(), Some(86_340)));
        // Jitter below a second is not reported, but the fix is not left in our future either.
        let c = at("2026-05-01T12:00:00.400Z").unwrap();
        assert_eq!((c.fix.recorded_at, c.clock_skew_s), (now(), None));
        assert_eq!(at("2026-05-02T12:00:01Z").unwrap_err(), FixError::Future);
    }

    #[test]
    fn each_bad_field_has_its_code() {
        let t = "2026-05-01T11:59:00Z";
        let cases = [
            (json!(null), "invalid_fix"),
            (json!([1, 2]), "invalid_fix"),
            (json!({"lat": 91, "lon": 0, "recorded_at": t}), "invalid_lat"),
            (json!({"lat": "53", "lon": 0, "recorded_at": t}), "invalid_lat"),
            (json!({"lon": 0, "recorded_at": t}), "invalid_lat"),
            (json!({"lat": 0, "lon": -181, "recorded_at": t}), "invalid_lon"),
            (
                json!({"lat": 0, "lon": 0, "recorded_at": "soon"}),
                "invalid_recorded_at",
            ),
            (json!({"lat": 0, "lon": 0}), "invalid_recorded_at"),
            (
                json!({"lat": 0, "lon": 0, "recorded_at": "2026-05-02T12:06:00Z"}),
                "recorded_at_in_future",
            ),
            (
                json!({"lat": 0, "lon": 0, "recorded_at": "2026-04-20T12:00:00Z"}),
                "recorded_at_too_old",
            ),
            (
                json!({"lat": 0, "lon": 0, "recorded_at": t, "speed_mps": -1}),
                "invalid_speed",
            ),
            (
                json!({"lat": 0, "lon": 0, "recorded_at": t, "heading_deg": 400}),
                "invalid_heading",
            ),
            (
                json!({"lat": 0, "lon": 0, "recorded_at": t, "accuracy_m": "far"}),
                "invalid_accuracy",
            ),
            (
                json!({"lat": 0, "lon": 0, "recorded_at": t, "trailer_id": "a b"}),
                "invalid_trailer_id",
            ),
        ];
        for (v, code) in cases {
            assert_eq!(from_json(&v, now()).unwrap_err().code(), code, "{v}");
        }
    }

    #[test]
    fn batches_are_bounded() {
        let many: Vec<Value> = (0..501).map(|_| json!({})).collect();
        assert_eq!(body(&json!({"fixes": many})).err(), Some(BodyError::TooMany));
        assert_eq!(body(&json!({"fixes": []})).err(), Some(BodyError::Empty));
        assert_eq!(body(&json!({"fixes": {}})).err(), Some(BodyError::Shape));
        assert!(matches!(body(&json!({"lat": 1})), Ok(Body::One(_))));
    }
}
