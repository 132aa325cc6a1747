//! The `fixes` table.

use chrono::{DateTime, Utc};
use qdn_shared::fix::Fix;
use qdn_shared::view::StoredFix;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Env;

use super::{db, ms, s};

/// Fixes read per trailer for the view: the trail plus the ETA's window.
const PER_TRAILER: u32 = 120;

/// Inserts fixes for one job in a single statement (a JSON array expanded by `json_each`), so a
/// 500-fix batch is one round trip. Returns how many were new; the rest were duplicates.
pub async fn insert(env: &Env, job_id: &str, fixes: &[Fix], received_at: DateTime<Utc>) -> worker::Result<usize> {
    let result = match fixes {
        [] => return Ok(0),
        // One fix (a tracker's usual post): plain bound values, the cheapest statement.
        [f] => {
            let opt = |v: Option<f64>| v.map_or(JsValue::NULL, JsValue::from_f64);
            db(env)?
                .prepare(
                    "INSERT OR IGNORE INTO fixes (job_id, trailer_id, recorded_at, lat, lon, speed_mps, heading_deg, accuracy_m, received_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .bind(&[
                    s(job_id),
                    s(f.trailer_id.as_deref().unwrap_or("")),
                    ms(f.recorded_at),
                    JsValue::from_f64(f.lat),
                    JsValue::from_f64(f.lon),
                    opt(f.speed_mps),
                    opt(f.heading_deg),
                    opt(f.accuracy_m),
                    ms(received_at),
                ])?
                .run()
                .await?
        }
        _ => {
            let rows: Vec<serde_json::Value> = fixes
                .iter()
                .map(|f| {
                    serde_json::json!([
                        f.trailer_id.as_deref().unwrap_or(""),
                        f.recorded_at.timestamp_millis(),
                        f.lat,
                        f.lon,
                        f.speed_mps,
                        f.heading_deg,
                        f.accuracy_m
                    ])
                })
                .collect();
            db(env)?
                .prepare(
                    "INSERT OR IGNORE INTO fixes (job_id, trailer_id, recorded_at, lat, lon, speed_mps, heading_deg, accuracy_m, received_at) \
                     SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, ?2 FROM json_each(?3)",
                )
                .bind(&[s(job_id), ms(received_at), JsValue::from_str(&serde_json::Value::Array(rows).to_string())])?
                .run()
                .await?
        }
    };
    Ok(super::changes(&result))
}

#[derive(Deserialize)]
struct Row {
    trailer_id: String,
    recorded_at: f64,
    lat: f64,
    lon: f64,
    speed_mps: Option<f64>,
    heading_deg: Option<f64>,
    accuracy_m: Option<f64>,
}

/// The newest fixes of each of the job's trailers.
pub async fn recent(env: &Env, job_id: &str) -> worker::Result<Vec<StoredFix>> {
    let rows: Vec<Row> = db(env)?
        .prepare(
            "SELECT trailer_id, recorded_at, lat, lon, speed_mps, heading_deg, accuracy_m FROM ( \
               SELECT *, ROW_NUMBER() OVER (PARTITION BY trailer_id ORDER BY recorded_at DESC) AS n \
               FROM fixes WHERE job_id = ?1) WHERE n <= ?2",
        )
        .bind(&[s(job_id), JsValue::from_f64(PER_TRAILER as f64)])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(StoredFix {
                trailer_id: r.trailer_id,
                lat: r.lat,
                lon: r.lon,
                recorded_at: qdn_shared::time::from_ms(r.recorded_at as i64)?,
                speed_mps: r.speed_mps,
                heading_deg: r.heading_deg,
                accuracy_m: r.accuracy_m,
            })
        })
        .collect())
}

pub async fn delete_older_than(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    let r = db(env)?
        .prepare("DELETE FROM fixes WHERE recorded_at < ?1")
        .bind(&[ms(cutoff)])?
        .run()
        .await?;
    Ok(super::changes(&r))
}
