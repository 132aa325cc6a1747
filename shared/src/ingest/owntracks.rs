//! OwnTracks in HTTP mode: `{"_type": "location", "lat", "lon", "tst", "vel" (km/h), ...}`.

use serde_json::Value;

use super::IngestError;
use crate::fix::RawFix;

/// What an OwnTracks POST carried.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Location(RawFix),
    /// Any other `_type` (transition, waypoint, lwt, card, ...) or an empty body: answered
    /// `[]` and otherwise ignored, because an error stalls the app's upload queue.
    Other,
}

pub fn parse(body: &[u8]) -> Result<Message, IngestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Message::Other);
    }
    let v: Value = serde_json::from_slice(body).map_err(|_| IngestError::Json)?;
    let o = v.as_object().ok_or(IngestError::Shape)?;
    if o.get("_type").and_then(Value::as_str) != Some("location") {
        return Ok(Message::Other);
    }
    let number = |key: &'static str| -> Result<Option<f64>, IngestError> {
        match o.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or(IngestError::NotANumber(key)),
        }
    };
    let tst = number("tst")?.ok_or(IngestError::Timestamp)?;
    let recorded_at = crate::time::from_epoch_number(tst).ok_or(IngestError::Timestamp)?;
    Ok(Message::Location(RawFix {
        lat: number("lat")?,
        lon: number("lon")?,
        recorded_at: Some(recorded_at),
        speed_mps: number("vel")?.map(|kmh| kmh / 3.6),
        heading_deg: number("cog")?,
        accuracy_m: number("acc")?,
        trailer_id: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location() {
        let m = parse(br#"{"_type":"location","lat":53.4,"lon":-2.9,"tst":1777636700,"vel":36,"cog":270,"acc":10,"batt":77,"tid":"t1"}"#).unwrap();
        let Message::Location(f) = m else {
            panic!("not a location")
        };
        assert_eq!(f.speed_mps, Some(10.0));
        assert_eq!(f.heading_deg, Some(270.0));
        assert_eq!(f.recorded_at.unwrap().timestamp(), 1_777_636_700);
    }

    #[test]
    fn other_types_and_empty_bodies_are_ignored() {
        assert_eq!(parse(b"").unwrap(), Message::Other);
        assert_eq!(parse(b"  \n").unwrap(), Message::Other);
        assert_eq!(
            parse(br#"{"_type":"transition","event":"enter"}"#).unwrap(),
            Message::Other
        );
        assert_eq!(parse(b"[1]").unwrap_err(), IngestError::Shape);
        assert_eq!(
            parse(br#"{"_type":"location","lat":1,"lon":2}"#).unwrap_err(),
            IngestError::Timestamp
        );
        assert_eq!(parse(b"{nope").unwrap_err(), IngestError::Json);
    }
}
