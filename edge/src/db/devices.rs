//! Devices a dispatcher must look at: ids that trackers send but no trailer has
//! (`unknown_devices`), and registered devices whose reports are acknowledged but dropped for a
//! reason only a person can fix (`device_flags`). Both kept 7 days after last seen.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

use super::{changes, db, ms, s};

/// Counts a report from an id no trailer has.
pub async fn seen_unknown(env: &Env, device_id: &str, protocol: &str, now: DateTime<Utc>) -> worker::Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO unknown_devices (device_id, protocol, first_seen, last_seen, count) VALUES (?1, ?2, ?3, ?3, 1) \
             ON CONFLICT (device_id) DO UPDATE SET protocol = excluded.protocol, last_seen = excluded.last_seen, \
             count = unknown_devices.count + 1",
        )
        .bind(&[s(device_id), s(protocol), ms(now)])?
        .run()
        .await?;
    Ok(())
}

/// Once registered on a trailer, an id is no longer unknown.
pub fn forget_unknown(d: &D1Database, device_id: &str) -> worker::Result<D1PreparedStatement> {
    d.prepare("DELETE FROM unknown_devices WHERE device_id = ?1")
        .bind(&[s(device_id)])
}

/// Records why a registered device's report was not stored.
pub async fn flag(env: &Env, device_id: &str, reason: &str, now: DateTime<Utc>) -> worker::Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO device_flags (device_id, reason, first_seen, last_seen, count) VALUES (?1, ?2, ?3, ?3, 1) \
             ON CONFLICT (device_id, reason) DO UPDATE SET last_seen = excluded.last_seen, count = device_flags.count + 1",
        )
        .bind(&[s(device_id), s(reason), ms(now)])?
        .run()
        .await?;
    Ok(())
}

/// The device stored a fix again: whatever it was flagged for is over.
pub async fn clear_flags(env: &Env, device_id: &str) -> worker::Result<()> {
    db(env)?
        .prepare("DELETE FROM device_flags WHERE device_id = ?1")
        .bind(&[s(device_id)])?
        .run()
        .await?;
    Ok(())
}

/// A trailer's key changed: its device's encrypted messages are judged afresh.
pub fn clear_encrypted_flags(d: &D1Database, trailer_id: &str) -> worker::Result<D1PreparedStatement> {
    d.prepare(
        "DELETE FROM device_flags WHERE reason IN ('encrypted_no_key', 'encrypted_wrong_key') \
         AND device_id = (SELECT device_id FROM trailers WHERE trailer_id = ?1)",
    )
    .bind(&[s(trailer_id)])
}

/// The reasons a device is flagged for.
pub async fn flags_of(env: &Env, device_id: &str) -> worker::Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        reason: String,
    }
    let rows: Vec<Row> = db(env)?
        .prepare("SELECT reason FROM device_flags WHERE device_id = ?1 ORDER BY reason")
        .bind(&[s(device_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(|r| r.reason).collect())
}

/// Most rows one listing returns (newest first); a flood of made-up ids cannot make it huge.
pub const LIST_MAX: u32 = 500;

#[derive(Deserialize)]
pub struct UnknownRow {
    pub device_id: String,
    pub protocol: String,
    pub first_seen: f64,
    pub last_seen: f64,
    pub count: f64,
}

pub async fn unknown_since(env: &Env, since: DateTime<Utc>) -> worker::Result<Vec<UnknownRow>> {
    db(env)?
        .prepare(
            "SELECT device_id, protocol, first_seen, last_seen, count FROM unknown_devices \
             WHERE last_seen >= ?1 ORDER BY last_seen DESC LIMIT ?2",
        )
        .bind(&[ms(since), JsValue::from(LIST_MAX)])?
        .all()
        .await?
        .results()
}

#[derive(Deserialize)]
pub struct FlagRow {
    pub device_id: String,
    pub trailer_id: Option<String>,
    pub reason: String,
    pub first_seen: f64,
    pub last_seen: f64,
    pub count: f64,
}

pub async fn flagged_since(env: &Env, since: DateTime<Utc>) -> worker::Result<Vec<FlagRow>> {
    db(env)?
        .prepare(
            "SELECT f.device_id, t.trailer_id, f.reason, f.first_seen, f.last_seen, f.count FROM device_flags f \
             LEFT JOIN trailers t ON t.device_id = f.device_id WHERE f.last_seen >= ?1 \
             ORDER BY f.last_seen DESC LIMIT ?2",
        )
        .bind(&[ms(since), JsValue::from(LIST_MAX)])?
        .all()
        .await?
        .results()
}

/// Retention: rows not seen since `cutoff`.
pub async fn delete_older_than(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    let d = db(env)?;
    let r = d
        .batch(vec![
            d.prepare("DELETE FROM unknown_devices WHERE last_seen < ?1")
                .bind(&[ms(cutoff)])?,
            d.prepare("DELETE FROM device_flags WHERE last_seen < ?1")
                .bind(&[ms(cutoff)])?,
        ])
        .await?;
    Ok(r.iter().map(changes).sum())
}
