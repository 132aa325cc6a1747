//! Trailers and the tracker devices on them.

use serde::Deserialize;

use crate::body::{Field, Invalid, RequestBody};

/// `PUT /api/trailers/{trailer_id}` `{"device_id"}`.
#[derive(Debug, Deserialize)]
pub struct DeviceBody {
    #[serde(default)]
    pub device_id: Field<String>,
}

impl RequestBody for DeviceBody {}

impl DeviceBody {
    /// The device id, as trackers will send it.
    pub fn validate(self) -> Result<String, Invalid> {
        match self.device_id {
            Field::Value(d) if crate::ingest::valid_device_id(&d) => Ok(d),
            _ => Err(Invalid::new(
                "invalid_device_id",
                "device_id must be 1-64 letters, digits, '.', ':', '-' or '_'",
            )),
        }
    }
}

/// Trailer ids are job-style ids: they land in paths and logs.
pub fn check_id(trailer_id: &str) -> Result<(), Invalid> {
    if crate::job::valid_id(trailer_id) {
        Ok(())
    } else {
        Err(Invalid::new(
            "invalid_trailer_id",
            "trailer ids are 1-64 letters, digits, - or _",
        ))
    }
}
