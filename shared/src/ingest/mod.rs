//! Off-the-shelf tracker apps' formats, turned into [`RawFix`](crate::fix::RawFix)es.

pub mod osmand;
pub mod owntracks;

use crate::ErrorCode;

/// A fix from a device known by its id (not yet bound to a trailer or job).
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceFix {
    pub device_id: String,
    pub fix: crate::fix::RawFix,
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
    #[error("timestamp is not a time (epoch s, epoch ms or ISO 8601)")]
    Timestamp,
    #[error("the body is not valid JSON")]
    Json,
    #[error("the body does not hold a location")]
    Shape,
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
