//! The `trailers` table: which tracker device is on which trailer, and its OwnTracks key.

use qdn_shared::trailer::{KeyChange, TrailerUpdate};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Env;

use super::{db, ms, s};

#[derive(Deserialize)]
struct TrailerRow {
    trailer_id: String,
}

pub async fn by_device(env: &Env, device_id: &str) -> worker::Result<Option<String>> {
    let row: Option<TrailerRow> = db(env)?
        .prepare("SELECT trailer_id FROM trailers WHERE device_id = ?1")
        .bind(&[s(device_id)])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.trailer_id))
}

/// A registered tracker, as ingest needs it.
#[derive(Deserialize)]
pub struct Device {
    pub trailer_id: String,
    /// A secret: used to open OwnTracks' boxes, never answered or logged.
    pub owntracks_key: Option<String>,
    /// Whether a dispatcher was told something about it (`device_flags`), so that a stored fix
    /// clears that only when there is something to clear.
    pub flagged: f64,
}

impl Device {
    pub fn is_flagged(&self) -> bool {
        self.flagged > 0.0
    }
}

/// The trailer of a device id, in one read with what ingest needs of it.
pub async fn device(env: &Env, device_id: &str) -> worker::Result<Option<Device>> {
    db(env)?
        .prepare(
            "SELECT t.trailer_id, t.owntracks_key, \
             EXISTS (SELECT 1 FROM device_flags f WHERE f.device_id = t.device_id) AS flagged \
             FROM trailers t WHERE t.device_id = ?1",
        )
        .bind(&[s(device_id)])?
        .first(None)
        .await
}

/// A trailer as a dispatcher sees it: never the key itself, only whether one is stored.
#[derive(Deserialize)]
pub struct Trailer {
    pub device_id: Option<String>,
    pub owntracks_key_set: f64,
}

pub async fn get(env: &Env, trailer_id: &str) -> worker::Result<Option<Trailer>> {
    db(env)?
        .prepare("SELECT device_id, owntracks_key IS NOT NULL AS owntracks_key_set FROM trailers WHERE trailer_id = ?1")
        .bind(&[s(trailer_id)])?
        .first(None)
        .await
}

pub enum Registered {
    Ok,
    /// Another trailer has this device.
    DeviceTaken,
}

/// Applies a dispatcher's PUT: the device (which then is no longer unknown) and/or the key.
pub async fn update(env: &Env, trailer_id: &str, u: &TrailerUpdate) -> worker::Result<Registered> {
    if let Some(device_id) = &u.device_id {
        if let Some(other) = by_device(env, device_id).await? {
            if other != trailer_id {
                return Ok(Registered::DeviceTaken);
            }
        }
    }
    let now = crate::clock::now();
    let device = u.device_id.as_deref().map_or(JsValue::NULL, JsValue::from_str);
    let (key_given, key) = match &u.owntracks_key {
        KeyChange::Keep => (false, JsValue::NULL),
        KeyChange::Set(k) => (true, JsValue::from_str(k)),
        KeyChange::Clear => (true, JsValue::NULL),
    };
    let d = db(env)?;
    let mut stmts = vec![d
        .prepare(
            "INSERT INTO trailers (trailer_id, device_id, owntracks_key, updated_at) VALUES (?1, ?2, ?4, ?5) \
             ON CONFLICT (trailer_id) DO UPDATE SET device_id = coalesce(excluded.device_id, trailers.device_id), \
             owntracks_key = CASE WHEN ?3 THEN excluded.owntracks_key ELSE trailers.owntracks_key END, \
             updated_at = excluded.updated_at",
        )
        .bind(&[s(trailer_id), device, JsValue::from(u8::from(key_given)), key, ms(now)])?];
    if let Some(device_id) = &u.device_id {
        stmts.push(super::devices::forget_unknown(&d, device_id)?);
    }
    if key_given {
        // A new key (or none) changes what the device's encrypted messages do: judge it afresh.
        stmts.push(super::devices::clear_encrypted_flags(&d, trailer_id)?);
    }
    match d.batch(stmts).await {
        Ok(_) => Ok(Registered::Ok),
        // Another trailer took the device between the check and the write (the column is UNIQUE).
        Err(e) if e.to_string().contains("UNIQUE") => Ok(Registered::DeviceTaken),
        Err(e) => Err(e),
    }
}
