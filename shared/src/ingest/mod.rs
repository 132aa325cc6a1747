//! Off-the-shelf tracker apps' formats, turned into [`RawFix`](crate::fix::RawFix)es or into
//! positions we acknowledge without storing. Which app sends what, and what it does with each
//! answer, is in `docs/trackers.md`.
//!
//! The apps delete a queued position only after a 2xx and otherwise retry the oldest one
//! forever, so a well-formed report we cannot use is [`Ignored`], never an error: an error
//! here means a request no client sends.

pub mod osmand;
pub mod owntracks;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::fix::{Checked, FixError, RawFix};
use crate::ErrorCode;

/// Why a well-formed report stores no fix. The edge answers it with 2xx and
/// `"ignored": "<code>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ignored {
    /// Older than fixes are kept ([`MAX_AGE`](crate::fix::MAX_AGE)): a phone that was offline
    /// for a week still sends its queue, oldest first.
    TooOld,
    /// Stamped more than [`MAX_CLOCK_SKEW`](crate::fix::MAX_CLOCK_SKEW) ahead of our clock.
    ClockAhead,
    /// A position report without latitude/longitude (cell or Wi-Fi only, Traccar's "use the
    /// last known location", an OwnTracks message without `lat`/`lon`).
    NoCoordinates,
    /// Traccar Client 10's "still alive" report: a device id and a time, nothing else.
    Heartbeat,
    /// Traccar Client's registration of its Firebase push token (`notificationToken`).
    PushToken,
    /// The device says the fix is not valid (`valid=false`).
    MarkedInvalid,
    /// An OwnTracks message that is not a location (transition, waypoint, card, lwt, ...).
    UnusedType,
    /// OwnTracks' zero-length body (sent when a friend is deleted).
    EmptyBody,
    /// An OwnTracks `encrypted` message from a device whose key we do not have.
    EncryptedNoKey,
    /// An OwnTracks `encrypted` message that the device's stored key does not open.
    EncryptedWrongKey,
    /// The trailer of this device has no open job (decided by the edge, listed for one set of
    /// codes).
    NoOpenJob,
}

impl Ignored {
    pub fn code(self) -> &'static str {
        match self {
            Ignored::TooOld => "too_old",
            Ignored::ClockAhead => "clock_ahead",
            Ignored::NoCoordinates => "no_coordinates",
            Ignored::Heartbeat => "heartbeat",
            Ignored::PushToken => "push_token",
            Ignored::MarkedInvalid => "marked_invalid",
            Ignored::UnusedType => "unused_type",
            Ignored::EmptyBody => "empty_body",
            Ignored::EncryptedNoKey => "encrypted_no_key",
            Ignored::EncryptedWrongKey => "encrypted_wrong_key",
            Ignored::NoOpenJob => "no_open_job",
        }
    }

    /// Whether a dispatcher should be told about the device: its fixes will keep being dropped
    /// until someone changes a setting (a key here, the phone's clock there).
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            Ignored::EncryptedNoKey | Ignored::EncryptedWrongKey | Ignored::ClockAhead
        )
    }
}

/// One position a tracker reported, before the time checks.
#[derive(Debug, Clone, PartialEq)]
pub enum Reported {
    Fix(RawFix),
    Ignored(Ignored),
}

/// What becomes of one reported position at receive time.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Store(Checked),
    Ignored(Ignored),
}

impl Reported {
    /// Binds a fix to the trailer its device belongs to (checked with the fix).
    pub fn for_trailer(self, trailer_id: &str) -> Self {
        match self {
            Reported::Fix(raw) => Reported::Fix(RawFix {
                trailer_id: Some(trailer_id.to_string()),
                ..raw
            }),
            other => other,
        }
    }

    /// The shared checks at receive time `now`: a fix too old to keep or from a clock more than
    /// a day fast is acknowledged, not refused; other failures (a latitude of 91) are errors
    /// because no tracker app sends them.
    pub fn settle(self, now: DateTime<Utc>) -> Result<Outcome, FixError> {
        match self {
            Reported::Ignored(why) => Ok(Outcome::Ignored(why)),
            Reported::Fix(raw) => match raw.check(now) {
                Ok(checked) => Ok(Outcome::Store(checked)),
                Err(FixError::TooOld) => Ok(Outcome::Ignored(Ignored::TooOld)),
                Err(FixError::Future) => Ok(Outcome::Ignored(Ignored::ClockAhead)),
                Err(e) => Err(e),
            },
        }
    }
}

/// Everything one tracker request carried: a device and its positions, oldest first as the
/// app queued them (a Transistorsoft batch holds many; every other request one).
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub device_id: String,
    pub positions: Vec<Reported>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("the device id is missing (id= or device_id)")]
    MissingDevice,
    #[error("the device id must be 1-64 letters, digits, '.', ':', '-' or '_'")]
    BadDevice,
    #[error("{0} is not a number")]
    NotANumber(&'static str),
    #[error("location must be \"lat,lon\"")]
    Location,
    #[error("timestamp is not a time (epoch s, epoch ms, ISO 8601 or yyyy-MM-dd HH:mm:ss)")]
    Timestamp,
    #[error("the body is not valid JSON")]
    Json,
    #[error("the body does not hold a location")]
    Shape,
    #[error("a batch holds at most 500 locations")]
    TooMany,
    #[error("data of an encrypted message must be base64 of a nonce and a secretbox")]
    Encrypted,
}

impl ErrorCode for IngestError {
    fn code(&self) -> &'static str {
        match self {
            IngestError::MissingDevice => "missing_device_id",
            IngestError::BadDevice => "invalid_device_id",
            IngestError::NotANumber(_) => "invalid_number",
            IngestError::Location => "invalid_location",
            IngestError::Timestamp => "invalid_timestamp",
            IngestError::Json => "invalid_json",
            IngestError::Shape => "invalid_body",
            IngestError::TooMany => "batch_too_large",
            IngestError::Encrypted => "invalid_encrypted",
        }
    }
}

/// Device ids as trackers make them: Traccar uses digits, OwnTracks `user/device`-like names.
pub fn valid_device_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

pub(crate) fn device(s: Option<&str>) -> Result<String, IngestError> {
    match s.map(str::trim) {
        None | Some("") => Err(IngestError::MissingDevice),
        Some(s) if valid_device_id(s) => Ok(s.to_string()),
        Some(_) => Err(IngestError::BadDevice),
    }
}

/// A JSON tracker format's number field: absent and `null` are `None`; anything else that is no
/// number is a request no client sends.
pub(crate) fn json_number(
    o: &serde_json::Map<String, serde_json::Value>,
    key: &'static str,
) -> Result<Option<f64>, IngestError> {
    match o.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or(IngestError::NotANumber(key)),
    }
}

/// A speed or heading, which trackers send as -1 when they do not know it.
pub(crate) fn known(x: Option<f64>) -> Option<f64> {
    x.filter(|v| *v >= 0.0)
}

/// An accuracy, which trackers send as 0 (Traccar Client for GPS fixes, OwnTracks' default) or
/// -1 when they do not know it: no fix is accurate to the millimetre.
pub(crate) fn known_accuracy(x: Option<f64>) -> Option<f64> {
    x.filter(|v| *v > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        crate::time::parse_timestamp("2026-05-01T12:00:00Z").unwrap()
    }

    fn raw(t: &str) -> Reported {
        Reported::Fix(RawFix {
            lat: Some(53.4),
            lon: Some(-2.9),
            recorded_at: crate::time::parse_timestamp(t),
            ..RawFix::default()
        })
    }

    #[test]
    fn settling_acknowledges_what_a_tracker_would_resend_forever() {
        let settle = |r: Reported| r.settle(now()).unwrap();
        assert_eq!(settle(raw("2026-04-20T12:00:00Z")), Outcome::Ignored(Ignored::TooOld));
        assert_eq!(
            settle(raw("2026-05-03T12:00:00Z")),
            Outcome::Ignored(Ignored::ClockAhead)
        );
        let Outcome::Store(c) = settle(raw("2026-05-01T12:05:00Z").for_trailer("T-1")) else {
            panic!("a 5-minute-fast fix is stored")
        };
        assert_eq!(c.clock_skew_s, Some(300));
        assert_eq!(c.fix.recorded_at, now());
        assert_eq!(c.fix.trailer_id.as_deref(), Some("T-1"));
        assert_eq!(
            settle(Reported::Ignored(Ignored::Heartbeat).for_trailer("T-1")),
            Outcome::Ignored(Ignored::Heartbeat)
        );
        // What no client sends stays an error.
        let bad = Reported::Fix(RawFix {
            lat: Some(91.0),
            lon: Some(0.0),
            recorded_at: Some(now()),
            ..RawFix::default()
        });
        assert_eq!(bad.settle(now()).unwrap_err(), FixError::Lat);
    }

    #[test]
    fn reasons_have_stable_codes() {
        let json = serde_json::to_value(Ignored::EncryptedNoKey).unwrap();
        assert_eq!(json, "encrypted_no_key");
        for why in [
            Ignored::TooOld,
            Ignored::ClockAhead,
            Ignored::NoCoordinates,
            Ignored::Heartbeat,
            Ignored::PushToken,
            Ignored::MarkedInvalid,
            Ignored::UnusedType,
            Ignored::EmptyBody,
            Ignored::EncryptedNoKey,
            Ignored::EncryptedWrongKey,
            Ignored::NoOpenJob,
        ] {
            assert_eq!(serde_json::to_value(why).unwrap(), why.code());
        }
        assert!(Ignored::EncryptedWrongKey.needs_attention());
        assert!(!Ignored::TooOld.needs_attention());
    }
}
