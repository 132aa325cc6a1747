//! The `thread_reads` table: how far each dispatcher has read each job's thread, and what of the
//! jobs' inbound items (`relay_messages` and `calls` of the job) comes after it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Env;

use super::{db, ms, s, time};

/// Moves `dispatcher_id`'s read mark on `job_id` to `until`, never back; returns the mark.
pub async fn mark(env: &Env, dispatcher_id: &str, job_id: &str, until: DateTime<Utc>) -> worker::Result<DateTime<Utc>> {
    #[derive(Deserialize)]
    struct Row {
        read_until: f64,
    }
    let row: Option<Row> = db(env)?
        .prepare(
            "INSERT INTO thread_reads (dispatcher_id, job_id, read_until) VALUES (?1, ?2, ?3) \
             ON CONFLICT (dispatcher_id, job_id) DO UPDATE SET read_until = MAX(read_until, excluded.read_until) \
             RETURNING read_until",
        )
        .bind(&[s(dispatcher_id), s(job_id), ms(until)])?
        .first(None)
        .await?;
    Ok(row.map_or(until, |r| time(r.read_until)))
}

/// Per job of `job_ids` with inbound items: (the newest one's time, how many came after
/// `dispatcher_id`'s read mark — all of them without a dispatcher). One query for the list.
pub async fn inbound_summary(
    env: &Env,
    job_ids: &[&str],
    dispatcher_id: Option<&str>,
) -> worker::Result<HashMap<String, (DateTime<Utc>, u32)>> {
    #[derive(Deserialize)]
    struct Row {
        job_id: String,
        last_at: f64,
        unread: f64,
    }
    if job_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = serde_json::to_string(job_ids).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let rows: Vec<Row> = db(env)?
        .prepare(
            "WITH ids AS (SELECT value AS job_id FROM json_each(?1)), \
             inbound AS ( \
               SELECT m.job_id, m.created_at AS at FROM relay_messages m JOIN ids ON m.job_id = ids.job_id \
               UNION ALL \
               SELECT c.job_id, c.at FROM calls c JOIN ids ON c.job_id = ids.job_id) \
             SELECT i.job_id, MAX(i.at) AS last_at, \
               SUM(CASE WHEN i.at > COALESCE(r.read_until, 0) THEN 1 ELSE 0 END) AS unread \
             FROM inbound i LEFT JOIN thread_reads r ON r.job_id = i.job_id AND r.dispatcher_id = ?2 \
             GROUP BY i.job_id",
        )
        .bind(&[s(&ids), dispatcher_id.map_or(JsValue::NULL, JsValue::from_str)])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|r| (r.job_id, (time(r.last_at), r.unread as u32)))
        .collect())
}

/// Deletes read marks not moved since `cutoff` (the thread they mark has expired with it).
pub async fn delete_before(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    super::delete_before(env, "DELETE FROM thread_reads WHERE read_until < ?1", cutoff).await
}
