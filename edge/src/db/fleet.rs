//! The fleet as the console's map shows it: every registered trailer and every trailer of an
//! open job, with its device, its open job and its newest fix (`trailers`, `job_trailers`,
//! `jobs`, `fix_buckets`).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Env;

use super::{db, ms};

/// A fix as stored in a bucket's array: instant (ms), lat, lon, speed, heading, accuracy, skew.
type Stored = (i64, f64, f64, Option<f64>, Option<f64>, Option<f64>, i64);

pub struct LastFix {
    pub job_id: String,
    pub lat: f64,
    pub lon: f64,
    pub recorded_at: DateTime<Utc>,
    pub speed_mps: Option<f64>,
}

pub struct TrailerRow {
    pub trailer_id: String,
    pub device_id: Option<String>,
    pub job_id: Option<String>,
    pub job_status: Option<String>,
    pub last_fix: Option<LastFix>,
}

/// At most `limit` trailers, by id. Only each trailer's newest hour of fixes is read.
pub async fn trailers(env: &Env, since: DateTime<Utc>, limit: u32) -> worker::Result<Vec<TrailerRow>> {
    #[derive(Deserialize)]
    struct Row {
        trailer_id: String,
        device_id: Option<String>,
        job_id: Option<String>,
        job_status: Option<String>,
        fix_job_id: Option<String>,
        fixes: Option<String>,
    }
    let rows: Vec<Row> = db(env)?
        .prepare(
            "WITH t AS (SELECT trailer_id FROM trailers UNION SELECT jt.trailer_id FROM job_trailers jt \
               JOIN jobs j ON j.job_id = jt.job_id WHERE j.status NOT IN ('completed', 'cancelled')), \
             open_job AS (SELECT jt.trailer_id, j.job_id, j.status, \
               row_number() OVER (PARTITION BY jt.trailer_id ORDER BY j.status = 'scheduled', j.created_at DESC) AS k \
               FROM job_trailers jt JOIN jobs j ON j.job_id = jt.job_id WHERE j.status NOT IN ('completed', 'cancelled')), \
             newest AS (SELECT trailer_id, job_id, fixes, \
               row_number() OVER (PARTITION BY trailer_id ORDER BY last_at DESC) AS k \
               FROM fix_buckets WHERE last_at >= ?1 AND trailer_id IN (SELECT trailer_id FROM t)) \
             SELECT t.trailer_id, tr.device_id, o.job_id, o.status AS job_status, n.job_id AS fix_job_id, n.fixes \
             FROM t LEFT JOIN trailers tr ON tr.trailer_id = t.trailer_id \
             LEFT JOIN open_job o ON o.trailer_id = t.trailer_id AND o.k = 1 \
             LEFT JOIN newest n ON n.trailer_id = t.trailer_id AND n.k = 1 \
             ORDER BY t.trailer_id LIMIT ?2",
        )
        .bind(&[ms(since), JsValue::from(limit)])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let last_fix = r.fixes.as_deref().and_then(|f| {
                let held: Vec<Stored> = serde_json::from_str(f).ok()?;
                let (at, lat, lon, speed_mps, ..) = held.into_iter().max_by_key(|f| f.0)?;
                Some(LastFix {
                    job_id: r.fix_job_id.clone().unwrap_or_default(),
                    lat,
                    lon,
                    recorded_at: qdn_shared::time::from_ms(at)?,
                    speed_mps,
                })
            });
            TrailerRow {
                trailer_id: r.trailer_id,
                device_id: r.device_id,
                job_id: r.job_id,
                job_status: r.job_status,
                last_fix,
            }
        })
        .collect())
}
