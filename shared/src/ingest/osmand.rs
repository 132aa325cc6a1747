//! The OsmAnd protocol as Traccar Client (and OsmAnd itself) speaks it: query or form
//! parameters, or Traccar Client's JSON body.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{device, DeviceFix, IngestError};
use crate::fix::RawFix;

const KNOT_MPS: f64 = 1852.0 / 3600.0;

/// Reads the key/value pairs of a query string and/or a form body (later pairs win).
/// A fix without a timestamp was taken `now`.
pub fn from_params<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    now: DateTime<Utc>,
) -> Result<DeviceFix, IngestError> {
    let mut p = std::collections::HashMap::new();
    for (k, v) in pairs {
        p.insert(k, v);
    }
    let device_id = device(p.get("id").or(p.get("deviceid")).copied())?;
    let number = |key: &'static str| -> Result<Option<f64>, IngestError> {
        match p.get(key).map(|s| s.trim()) {
            None | Some("") => Ok(None),
            Some(s) => s.parse::<f64>().map(Some).map_err(|_| IngestError::NotANumber(key)),
        }
    };
    let (mut lat, mut lon) = (number("lat")?, number("lon")?);
    if let Some(loc) = p.get("location") {
        let (a, b) = loc.split_once(',').ok_or(IngestError::Location)?;
        lat = Some(a.trim().parse().map_err(|_| IngestError::Location)?);
        lon = Some(b.trim().parse().map_err(|_| IngestError::Location)?);
    }
    let recorded_at = match p.get("timestamp").map(|s| s.trim()) {
        None | Some("") => now,
        Some(s) => crate::time::parse_timestamp(s).ok_or(IngestError::Timestamp)?,
    };
    Ok(DeviceFix {
        device_id,
        fix: RawFix {
            lat,
            lon,
            recorded_at: Some(recorded_at),
            speed_mps: number("speed")?.map(|knots| knots * KNOT_MPS),
            heading_deg: number("bearing")?.or(number("heading")?),
            accuracy_m: number("accuracy")?,
            trailer_id: None,
        },
    })
}

/// Traccar Client's JSON: `{"device_id", "location": {"timestamp", "coords": {...}}}`.
/// Its speed is already in m/s.
pub fn from_json(body: &[u8], now: DateTime<Utc>) -> Result<DeviceFix, IngestError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| IngestError::Json)?;
    let o = v.as_object().ok_or(IngestError::Shape)?;
    let device_id = device(o.get("device_id").and_then(Value::as_str))?;
    let loc = o.get("location").and_then(Value::as_object).ok_or(IngestError::Shape)?;
    let coords = loc.get("coords").and_then(Value::as_object).ok_or(IngestError::Shape)?;
    let number = |key: &'static str| -> Result<Option<f64>, IngestError> {
        match coords.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or(IngestError::NotANumber(key)),
        }
    };
    let recorded_at = match loc.get("timestamp") {
        None | Some(Value::Null) => now,
        Some(Value::String(s)) => crate::time::parse_timestamp(s).ok_or(IngestError::Timestamp)?,
        Some(Value::Number(n)) => n
            .as_f64()
            .and_then(crate::time::from_epoch_number)
            .ok_or(IngestError::Timestamp)?,
        Some(_) => return Err(IngestError::Timestamp),
    };
    // Traccar sends -1 for "unknown" speed and heading.
    let known = |x: Option<f64>| x.filter(|v| *v >= 0.0);
    Ok(DeviceFix {
        device_id,
        fix: RawFix {
            lat: number("latitude")?,
            lon: number("longitude")?,
            recorded_at: Some(recorded_at),
            speed_mps: known(number("speed")?),
            heading_deg: known(number("heading")?),
            accuracy_m: known(number("accuracy")?),
            trailer_id: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        crate::time::parse_timestamp("2026-05-01T12:00:00Z").unwrap()
    }

    fn q(s: &str) -> Result<DeviceFix, IngestError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(s.as_bytes()).into_owned().collect();
        from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), now())
    }

    #[test]
    fn query_with_every_timestamp_form() {
        let want = crate::time::parse_timestamp("2026-05-01T11:58:20Z").unwrap();
        for ts in [
            "1777636700",
            "1777636700000",
            "2026-05-01T11:58:20Z",
            "2026-05-01%2011:58:20",
        ] {
            let f = q(&format!(
                "id=4711&lat=53.4&lon=-2.9&timestamp={ts}&speed=10&bearing=90&accuracy=5&batt=80"
            ))
            .unwrap();
            assert_eq!(f.fix.recorded_at, Some(want), "{ts}");
            assert_eq!(f.device_id, "4711");
            assert!((f.fix.speed_mps.unwrap() - 5.144).abs() < 0.001);
            assert_eq!(f.fix.heading_deg, Some(90.0));
        }
    }

    #[test]
    fn location_pair_and_missing_timestamp() {
        let f = q("deviceid=abc&location=53.1,-2.5").unwrap();
        assert_eq!((f.fix.lat, f.fix.lon), (Some(53.1), Some(-2.5)));
        assert_eq!(f.fix.recorded_at, Some(now()));
    }

    #[test]
    fn errors() {
        assert_eq!(q("lat=1&lon=2").unwrap_err(), IngestError::MissingDevice);
        assert_eq!(q("id=a/b&lat=1&lon=2").unwrap_err(), IngestError::BadDevice);
        assert_eq!(q("id=a&lat=x&lon=2").unwrap_err(), IngestError::NotANumber("lat"));
        assert_eq!(q("id=a&location=1;2").unwrap_err(), IngestError::Location);
        assert_eq!(
            q("id=a&lat=1&lon=2&timestamp=tomorrow").unwrap_err(),
            IngestError::Timestamp
        );
    }

    #[test]
    fn traccar_json() {
        let body = br#"{"device_id":"4711","location":{"timestamp":"2026-05-01T11:59:00.000Z",
            "coords":{"latitude":53.4,"longitude":-2.9,"speed":4.2,"heading":-1,"accuracy":8,"altitude":20},
            "battery":{"level":0.8,"is_charging":false},"is_moving":true}}"#;
        let f = from_json(body, now()).unwrap();
        assert_eq!(f.fix.speed_mps, Some(4.2));
        assert_eq!(f.fix.heading_deg, None);
        assert_eq!(f.fix.lat, Some(53.4));
        assert_eq!(from_json(b"{", now()).unwrap_err(), IngestError::Json);
        assert_eq!(
            from_json(br#"{"device_id":"1"}"#, now()).unwrap_err(),
            IngestError::Shape
        );
    }
}
