//! Trailers and the tracker devices on them.

use serde::Deserialize;

use crate::body::{Field, Invalid, RequestBody};

/// `PUT /api/trailers/{trailer_id}` `{"device_id", "owntracks_key"}`, either or both.
#[derive(Debug, Deserialize)]
pub struct TrailerBody {
    #[serde(default)]
    pub device_id: Field<String>,
    /// The device's OwnTracks encryption secret; `null` removes it.
    #[serde(default)]
    pub owntracks_key: Field<String>,
}

impl RequestBody for TrailerBody {}

/// What a dispatcher's PUT changes on a trailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailerUpdate {
    pub device_id: Option<String>,
    pub owntracks_key: KeyChange,
}

#[derive(Clone, PartialEq, Eq)]
pub enum KeyChange {
    Keep,
    Set(String),
    Clear,
}

/// Never prints the secret, so a `{:?}` in a log line cannot leak it.
impl std::fmt::Debug for KeyChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyChange::Keep => "Keep",
            KeyChange::Set(_) => "Set(<secret>)",
            KeyChange::Clear => "Clear",
        })
    }
}

impl TrailerBody {
    pub fn validate(self) -> Result<TrailerUpdate, Invalid> {
        let device_id = match self.device_id {
            Field::Absent => None,
            Field::Value(d) if crate::ingest::valid_device_id(&d) => Some(d),
            _ => {
                return Err(Invalid::new(
                    "invalid_device_id",
                    "device_id must be 1-64 letters, digits, '.', ':', '-' or '_'",
                ))
            }
        };
        let owntracks_key = match self.owntracks_key {
            Field::Absent => KeyChange::Keep,
            Field::Null => KeyChange::Clear,
            Field::Value(k) if crate::ingest::owntracks::valid_key(&k) => KeyChange::Set(k),
            _ => {
                return Err(Invalid::new(
                    "invalid_owntracks_key",
                    "owntracks_key must be the secret set in the OwnTracks app (1-256 characters, no control characters), or null to remove it",
                ))
            }
        };
        if device_id.is_none() && owntracks_key == KeyChange::Keep {
            return Err(Invalid::new(
                "invalid_device_id",
                "send device_id (the tracker's id), owntracks_key, or both",
            ));
        }
        Ok(TrailerUpdate {
            device_id,
            owntracks_key,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn update(json: &str) -> Result<TrailerUpdate, &'static str> {
        crate::body::parse::<TrailerBody>(json.as_bytes())
            .unwrap()
            .validate()
            .map_err(|e| e.code)
    }

    #[test]
    fn a_device_a_key_or_both() {
        assert_eq!(
            update(r#"{"device_id": "48241179"}"#).unwrap(),
            TrailerUpdate {
                device_id: Some("48241179".into()),
                owntracks_key: KeyChange::Keep
            }
        );
        let u = update(r#"{"owntracks_key": "correct horse battery staple"}"#).unwrap();
        assert_eq!(u.device_id, None);
        assert_eq!(u.owntracks_key, KeyChange::Set("correct horse battery staple".into()));
        assert_eq!(
            update(r#"{"device_id": "d1", "owntracks_key": null}"#)
                .unwrap()
                .owntracks_key,
            KeyChange::Clear
        );
    }

    #[test]
    fn what_is_refused() {
        assert_eq!(update("{}").unwrap_err(), "invalid_device_id");
        assert_eq!(update(r#"{"device_id": 12}"#).unwrap_err(), "invalid_device_id");
        assert_eq!(update(r#"{"device_id": null}"#).unwrap_err(), "invalid_device_id");
        assert_eq!(update(r#"{"owntracks_key": ""}"#).unwrap_err(), "invalid_owntracks_key");
        assert_eq!(update(r#"{"owntracks_key": 7}"#).unwrap_err(), "invalid_owntracks_key");
        assert_eq!(
            update(r#"{"owntracks_key": "a\nb"}"#).unwrap_err(),
            "invalid_owntracks_key"
        );
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let u = update(r#"{"owntracks_key": "s3cret-value"}"#).unwrap();
        assert!(!format!("{u:?}").contains("s3cret"));
    }
}
