//! The `trailers` table: which tracker device is on which trailer.

use serde::Deserialize;
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

pub enum Registered {
    Ok,
    /// Another trailer has this device.
    DeviceTaken,
}

pub async fn set_device(env: &Env, trailer_id: &str, device_id: &str) -> worker::Result<Registered> {
    if let Some(other) = by_device(env, device_id).await? {
        if other != trailer_id {
            return Ok(Registered::DeviceTaken);
        }
    }
    let now = crate::clock::now();
    let written = db(env)?
        .prepare(
            "INSERT INTO trailers (trailer_id, device_id, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (trailer_id) DO UPDATE SET device_id = excluded.device_id, updated_at = excluded.updated_at",
        )
        .bind(&[s(trailer_id), s(device_id), ms(now)])?
        .run()
        .await;
    match written {
        Ok(_) => Ok(Registered::Ok),
        // Another trailer took the device between the check and the write (the column is UNIQUE).
        Err(e) if e.to_string().contains("UNIQUE") => Ok(Registered::DeviceTaken),
        Err(e) => Err(e),
    }
}
