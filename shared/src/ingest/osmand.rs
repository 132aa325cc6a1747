//! The OsmAnd protocol as Traccar's `OsmAndProtocolDecoder` reads it: query or form parameters
//! (Traccar Client 7-10, OsmAnd's online tracking), or the Transistorsoft JSON body (Traccar
//! Client 9, Lacak), one location or a batch.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value};

use super::{device, known, known_accuracy, Ignored, IngestError, Report, Reported};
use crate::fix::{RawFix, MAX_BATCH};

const KNOT_MPS: f64 = 1852.0 / 3600.0;

/// Reads the key/value pairs of a query string and/or a form body (later pairs win, as the edge
/// appends the body's after the query's). A report without a timestamp was taken `now`.
pub fn from_params<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    now: DateTime<Utc>,
) -> Result<Report, IngestError> {
    let mut p = std::collections::HashMap::new();
    for (k, v) in pairs {
        p.insert(k, v.trim());
    }
    let device_id = device(p.get("id").or(p.get("deviceid")).copied())?;
    let number = |key: &'static str| -> Result<Option<f64>, IngestError> {
        match p.get(key) {
            None | Some(&"") => Ok(None),
            Some(s) => s.parse::<f64>().map(Some).map_err(|_| IngestError::NotANumber(key)),
        }
    };
    let (mut lat, mut lon) = (number("lat")?, number("lon")?);
    if let Some(loc) = p.get("location").filter(|l| !l.is_empty()) {
        let (a, b) = loc.split_once(',').ok_or(IngestError::Location)?;
        lat = Some(a.trim().parse().map_err(|_| IngestError::Location)?);
        lon = Some(b.trim().parse().map_err(|_| IngestError::Location)?);
    }
    let recorded_at = match p.get("timestamp") {
        None | Some(&"") => now,
        Some(s) => traccar_time(s).ok_or(IngestError::Timestamp)?,
    };
    // Read (and so checked) even when unused: Traccar answers 400 when they are not numbers.
    for key in ["altitude", "hdop", "batt"] {
        number(key)?;
    }
    let fix = RawFix {
        lat,
        lon,
        recorded_at: Some(recorded_at),
        speed_mps: known(number("speed")?).map(|knots| knots * KNOT_MPS),
        heading_deg: known(number("bearing")?.or(number("heading")?)),
        // `hdop` is not read as an accuracy: it has no unit in the protocol (OsmAnd puts its
        // accuracy in metres there; the README's OsmAnd URL sends it as `accuracy`).
        accuracy_m: known_accuracy(number("accuracy")?),
        trailer_id: None,
    };
    let valid = p
        .get("valid")
        .is_none_or(|v| v.eq_ignore_ascii_case("true") || *v == "1");
    let (cell, wifi) = (p.contains_key("cell"), p.contains_key("wifi"));
    let reported = if lat.is_some() && lon.is_some() {
        if valid {
            Reported::Fix(fix)
        } else {
            Reported::Ignored(Ignored::MarkedInvalid)
        }
    } else if p.contains_key("notificationToken") {
        Reported::Ignored(Ignored::PushToken)
    } else if lat.is_none() && lon.is_none() && !cell && !wifi {
        Reported::Ignored(Ignored::Heartbeat)
    } else {
        Reported::Ignored(Ignored::NoCoordinates)
    };
    Ok(Report {
        device_id,
        positions: vec![reported],
    })
}

/// `timestamp` as Traccar reads it: an integer below 2^31 is epoch seconds, above it epoch
/// milliseconds; otherwise ISO 8601 or `yyyy-MM-dd HH:mm:ss` (UTC).
fn traccar_time(s: &str) -> Option<DateTime<Utc>> {
    match s.parse::<i64>() {
        Ok(n) if n < 0 => None,
        Ok(n) if n < i64::from(i32::MAX) => Utc.timestamp_opt(n, 0).single(),
        Ok(n) => crate::time::from_ms(n),
        Err(_) => crate::time::parse_timestamp(s),
    }
}

/// The Transistorsoft background-geolocation body: `{"device_id", "location": {...}}`, or
/// `"location": [{...}, ...]` when the app batches its queue (`batchSync`). Speeds are m/s and
/// -1 means unknown.
pub fn from_json(body: &[u8], now: DateTime<Utc>) -> Result<Report, IngestError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| IngestError::Json)?;
    let o = v.as_object().ok_or(IngestError::Shape)?;
    let device_id = match o.get("device_id") {
        Some(Value::Number(n)) => device(Some(&n.to_string()))?,
        Some(Value::String(s)) => device(Some(s))?,
        _ => device(None)?,
    };
    let positions = match o.get("location") {
        Some(Value::Object(loc)) => vec![location(loc, now)?],
        Some(Value::Array(list)) if list.len() > MAX_BATCH => return Err(IngestError::TooMany),
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .map(|l| location(l.as_object().ok_or(IngestError::Shape)?, now))
            .collect::<Result<_, _>>()?,
        _ => return Err(IngestError::Shape),
    };
    Ok(Report { device_id, positions })
}

fn location(loc: &Map<String, Value>, now: DateTime<Utc>) -> Result<Reported, IngestError> {
    let recorded_at = match loc.get("timestamp") {
        None | Some(Value::Null) => now,
        Some(Value::String(s)) => crate::time::parse_timestamp(s).ok_or(IngestError::Timestamp)?,
        Some(Value::Number(n)) => n
            .as_f64()
            .and_then(crate::time::from_epoch_number)
            .ok_or(IngestError::Timestamp)?,
        Some(_) => return Err(IngestError::Timestamp),
    };
    let Some(coords) = loc.get("coords").filter(|c| !c.is_null()) else {
        let heartbeat = loc.get("event").and_then(Value::as_str) == Some("heartbeat");
        return Ok(Reported::Ignored(if heartbeat {
            Ignored::Heartbeat
        } else {
            Ignored::NoCoordinates
        }));
    };
    let coords = coords.as_object().ok_or(IngestError::Shape)?;
    let number = |key: &'static str| super::json_number(coords, key);
    let (lat, lon) = (number("latitude")?, number("longitude")?);
    if lat.is_none() || lon.is_none() {
        return Ok(Reported::Ignored(Ignored::NoCoordinates));
    }
    Ok(Reported::Fix(RawFix {
        lat,
        lon,
        recorded_at: Some(recorded_at),
        speed_mps: known(number("speed")?),
        heading_deg: known(number("heading")?),
        accuracy_m: known_accuracy(number("accuracy")?),
        trailer_id: None,
    }))
}

#[cfg(test)]
mod tests;
