//! OwnTracks in HTTP mode: one JSON message per POST, `{"_type": "location", "lat", "lon", "tst",
//! "vel" (km/h), ...}` or any other `_type`, optionally sealed as `{"_type": "encrypted",
//! "data"}` with the device's secret. Every message is answered `[]` by the edge.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use serde_json::{Map, Value};

use super::{known, known_accuracy, Ignored, IngestError, Reported};
use crate::fix::RawFix;

const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 24;
const MAC_BYTES: usize = 16;

/// Reads one POSTed message. `secret` is the device's OwnTracks encryption key, when one is
/// stored for it; an `encrypted` message is opened with it.
pub fn parse(body: &[u8], secret: Option<&str>) -> Result<Reported, IngestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Reported::Ignored(Ignored::EmptyBody));
    }
    let v: Value = serde_json::from_slice(body).map_err(|_| IngestError::Json)?;
    let o = v.as_object().ok_or(IngestError::Shape)?;
    match o.get("_type").and_then(Value::as_str) {
        Some("location") => location(o),
        Some("encrypted") => {
            let data = o.get("data").and_then(Value::as_str).ok_or(IngestError::Shape)?;
            let Some(secret) = secret else {
                return Ok(Reported::Ignored(Ignored::EncryptedNoKey));
            };
            match open(data, secret)? {
                // The sealed message is read as a plain one: the apps never seal twice.
                Some(plain) => match parse(&plain, None)? {
                    Reported::Ignored(Ignored::EncryptedNoKey) => Err(IngestError::Shape),
                    r => Ok(r),
                },
                None => Ok(Reported::Ignored(Ignored::EncryptedWrongKey)),
            }
        }
        _ => Ok(Reported::Ignored(Ignored::UnusedType)),
    }
}

fn location(o: &Map<String, Value>) -> Result<Reported, IngestError> {
    let number = |key: &'static str| super::json_number(o, key);
    let tst = number("tst")?.ok_or(IngestError::Timestamp)?;
    let recorded_at = crate::time::from_epoch_number(tst).ok_or(IngestError::Timestamp)?;
    let (lat, lon) = (number("lat")?, number("lon")?);
    if lat.is_none() || lon.is_none() {
        return Ok(Reported::Ignored(Ignored::NoCoordinates));
    }
    Ok(Reported::Fix(RawFix {
        lat,
        lon,
        recorded_at: Some(recorded_at),
        speed_mps: known(number("vel")?).map(|kmh| kmh / 3.6),
        heading_deg: known(number("cog")?),
        accuracy_m: known_accuracy(number("acc")?),
        trailer_id: None,
    }))
}

/// A key the dispatcher may store for a device (`PUT /api/trailers/{id}` `{"owntracks_key"}`):
/// what the apps' settings field takes. Only its first 32 bytes are used, as in the apps.
pub fn valid_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 256 && !s.chars().any(char::is_control)
}

/// The secretbox keys the apps derive from a secret: its UTF-8 bytes, zero-padded to 32.
/// Android cuts a longer secret at byte 32 (`EncryptionProvider.kt`, `copyOf(KEYBYTES)`), iOS at
/// the last whole character that fits (`Connection.m`, `getBytes:maxLength:`); they differ only
/// for a secret of more than 32 bytes with a multi-byte character across byte 32.
fn keys(secret: &str) -> Vec<[u8; KEY_BYTES]> {
    let bytes = secret.as_bytes();
    let mut android = [0u8; KEY_BYTES];
    let n = bytes.len().min(KEY_BYTES);
    android[..n].copy_from_slice(&bytes[..n]);
    let mut ios = [0u8; KEY_BYTES];
    let whole = (0..=n).rev().find(|&i| secret.is_char_boundary(i)).unwrap_or(0);
    ios[..whole].copy_from_slice(&bytes[..whole]);
    if ios == android {
        vec![android]
    } else {
        vec![android, ios]
    }
}

/// Opens `data` (base64 of nonce ‖ MAC ‖ ciphertext, libsodium's `crypto_secretbox_easy` with
/// the nonce in front). `None`: the box is well formed but the secret does not open it.
fn open(data: &str, secret: &str) -> Result<Option<Vec<u8>>, IngestError> {
    let wire = STANDARD.decode(data.trim()).map_err(|_| IngestError::Encrypted)?;
    if wire.len() < NONCE_BYTES + MAC_BYTES {
        return Err(IngestError::Encrypted);
    }
    let (nonce, sealed) = wire.split_at(NONCE_BYTES);
    Ok(keys(secret).iter().find_map(|key| {
        XSalsa20Poly1305::new(Key::from_slice(key))
            .decrypt(Nonce::from_slice(nonce), sealed)
            .ok()
    }))
}

#[cfg(test)]
mod tests;
