//! The `arrival_states`, `eta_outcomes`, `past_trips` and `silent_trackers` tables (migration
//! 0520), and the trip's fixes read back on arrival.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Env;

use super::{changes, db, ms, s, time};

/// A job's stored arrival state and its version, if it has one.
pub async fn load(env: &Env, job_id: &str) -> worker::Result<Option<(i64, String)>> {
    #[derive(Deserialize)]
    struct Row {
        version: f64,
        state: String,
    }
    let row: Option<Row> = db(env)?
        .prepare("SELECT version, state FROM arrival_states WHERE job_id = ?1")
        .bind(&[s(job_id)])?
        .first(None)
        .await?;
    Ok(row.map(|r| (r.version as i64, r.state)))
}

/// Stores the state if it is still at `version` (`None`: if there is none yet). `false` when
/// another update stored first: the caller reads it again and decides anew.
pub async fn store(
    env: &Env,
    job_id: &str,
    version: Option<i64>,
    state: &str,
    now: DateTime<Utc>,
) -> worker::Result<bool> {
    let d = db(env)?;
    let r = match version {
        None => d
            .prepare(
                "INSERT INTO arrival_states (job_id, version, state, updated_at) VALUES (?1, 1, ?2, ?3) \
                 ON CONFLICT (job_id) DO NOTHING",
            )
            .bind(&[s(job_id), s(state), ms(now)])?,
        Some(v) => d
            .prepare(
                "UPDATE arrival_states SET version = version + 1, state = ?2, updated_at = ?3 \
                 WHERE job_id = ?1 AND version = ?4",
            )
            .bind(&[s(job_id), s(state), ms(now), JsValue::from_f64(v as f64)])?,
    };
    Ok(changes(&r.run().await?) == 1)
}

/// How a job's arrival at a stop went against what was predicted and texted.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub arrived_at: DateTime<Utc>,
    /// (predicted, actual) seconds to go, replayed along the trip.
    pub pairs: Vec<(f64, f64)>,
    /// How long before the arrival the "arriving soon" text was decided, if one was sent.
    pub notice_lead_s: Option<f64>,
}

/// Keeps a job's arrival at a stop; the first arrival counts.
pub async fn record_outcome(env: &Env, job_id: &str, stop_index: usize, o: &Outcome) -> worker::Result<()> {
    if o.pairs.is_empty() && o.notice_lead_s.is_none() {
        return Ok(());
    }
    let json = serde_json::to_string(&o.pairs).map_err(|e| worker::Error::RustError(e.to_string()))?;
    db(env)?
        .prepare(
            "INSERT INTO eta_outcomes (job_id, stop_index, arrived_at, pairs, notice_lead_s) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&[
            s(job_id),
            JsValue::from_f64(stop_index as f64),
            ms(o.arrived_at),
            s(&json),
            o.notice_lead_s.map_or(JsValue::NULL, JsValue::from_f64),
        ])?
        .run()
        .await?;
    Ok(())
}

/// The arrivals of completed jobs since `since`, with their job ids, oldest first.
pub async fn completed_outcomes(env: &Env, since: DateTime<Utc>) -> worker::Result<Vec<(String, Outcome)>> {
    #[derive(Deserialize)]
    struct Row {
        job_id: String,
        arrived_at: f64,
        pairs: String,
        notice_lead_s: Option<f64>,
    }
    let rows: Vec<Row> = db(env)?
        .prepare(
            "SELECT o.job_id, o.arrived_at, o.pairs, o.notice_lead_s FROM eta_outcomes o JOIN jobs j ON j.job_id = o.job_id \
             WHERE o.arrived_at >= ?1 AND j.status = 'completed' ORDER BY o.arrived_at",
        )
        .bind(&[ms(since)])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let outcome = Outcome {
                arrived_at: time(r.arrived_at),
                pairs: serde_json::from_str(&r.pairs).unwrap_or_default(),
                notice_lead_s: r.notice_lead_s,
            };
            (r.job_id, outcome)
        })
        .collect())
}

/// Deletes outcomes that arrived before `cutoff`.
pub async fn delete_outcomes_before(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    super::delete_before(env, "DELETE FROM eta_outcomes WHERE arrived_at < ?1", cutoff).await
}

/// A trailer of a job under way, and when it was last heard of.
#[derive(Debug, Clone)]
pub struct Heard {
    pub job_id: String,
    pub trailer_id: String,
    pub device_id: Option<String>,
    /// Its newest fix's device time, or when the job set out if it sent none.
    pub since: DateTime<Utc>,
}

/// Every trailer of every `en_route` / `en_route_next` job, with its last fix.
pub async fn moving_trailers(env: &Env) -> worker::Result<Vec<Heard>> {
    #[derive(Deserialize)]
    struct Row {
        job_id: String,
        trailer_id: String,
        device_id: Option<String>,
        last_fix: Option<f64>,
        set_out: Option<f64>,
        updated_at: f64,
    }
    let rows: Vec<Row> = db(env)?
        .prepare(
            "SELECT j.job_id, jt.trailer_id, t.device_id, j.updated_at, \
               (SELECT MAX(b.last_at) FROM fix_buckets b WHERE b.job_id = j.job_id AND b.trailer_id = jt.trailer_id) \
                 AS last_fix, \
               (SELECT MAX(h.at) FROM job_history h WHERE h.job_id = j.job_id AND h.status = j.status) AS set_out \
             FROM jobs j JOIN job_trailers jt ON jt.job_id = j.job_id \
             LEFT JOIN trailers t ON t.trailer_id = jt.trailer_id \
             WHERE j.status IN ('en_route', 'en_route_next')",
        )
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .map(|r| Heard {
            job_id: r.job_id,
            trailer_id: r.trailer_id,
            device_id: r.device_id,
            since: time(r.last_fix.or(r.set_out).unwrap_or(r.updated_at)),
        })
        .collect())
}

/// Takes the one alert of a silence: `false` if this silence (same job, trailer and `since`)
/// was already alerted.
pub async fn claim_silence(env: &Env, h: &Heard, now: DateTime<Utc>) -> worker::Result<bool> {
    let r = db(env)?
        .prepare(
            "INSERT INTO silent_trackers (job_id, trailer_id, since, alerted_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (job_id, trailer_id) DO UPDATE SET since = excluded.since, alerted_at = excluded.alerted_at \
             WHERE silent_trackers.since != excluded.since",
        )
        .bind(&[s(&h.job_id), s(&h.trailer_id), ms(h.since), ms(now)])?
        .run()
        .await?;
    Ok(changes(&r) == 1)
}

/// Forgets the silences of jobs no longer under way, and the arrival states of jobs finished
/// before `cutoff` (a finished job's state decides nothing more).
pub async fn forget_finished(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    let d = db(env)?;
    let r = d
        .batch(vec![
            d.prepare(
                "DELETE FROM silent_trackers WHERE job_id NOT IN \
                 (SELECT job_id FROM jobs WHERE status IN ('en_route', 'en_route_next'))",
            ),
            d.prepare(
                "DELETE FROM arrival_states WHERE job_id IN \
                 (SELECT job_id FROM jobs WHERE status IN ('completed', 'cancelled') AND updated_at < ?1)",
            )
            .bind(&[ms(cutoff)])?,
        ])
        .await?;
    Ok(r.iter().map(changes).sum())
}

/// Keeps a finished trip to a stop (the first arrival counts), with its bounding box.
pub async fn keep_trip(
    env: &Env,
    job_id: &str,
    stop_index: usize,
    trip: &qdn_shared::eta::PastTrip,
    arrived_at: DateTime<Utc>,
) -> worker::Result<()> {
    let json = serde_json::to_string(trip).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let (min_lat, max_lat, min_lon, max_lon) = trip.bounds();
    db(env)?
        .prepare(
            "INSERT INTO past_trips (job_id, stop_index, dest_lat, dest_lon, arrived_at, trip, \
             min_lat, max_lat, min_lon, max_lon) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
        )
        .bind(&[
            s(job_id),
            JsValue::from_f64(stop_index as f64),
            JsValue::from_f64(trip.dest.0),
            JsValue::from_f64(trip.dest.1),
            ms(arrived_at),
            s(&json),
            JsValue::from_f64(min_lat),
            JsValue::from_f64(max_lat),
            JsValue::from_f64(min_lon),
            JsValue::from_f64(max_lon),
        ])?
        .run()
        .await?;
    Ok(())
}

/// Past trips that can teach an ETA to `dest`: those whose track comes within about `MATCH_M`
/// of it — the trips that ended there first, then those that went past it on the way somewhere
/// else (a yard on the road to a bigger site), each newest first, at most `limit`. Which of them
/// passed both here and there is for `qdn_shared::eta` to judge.
pub async fn trips_to(env: &Env, dest: (f64, f64), limit: usize) -> worker::Result<Vec<qdn_shared::eta::PastTrip>> {
    #[derive(Deserialize)]
    struct Row {
        trip: String,
    }
    let dlat = qdn_shared::eta::MATCH_M / 111_000.0;
    let dlon = dlat / dest.0.to_radians().cos().abs().max(0.01);
    let rows: Vec<Row> = db(env)?
        .prepare(
            "SELECT trip FROM past_trips \
             WHERE min_lat <= ?2 AND max_lat >= ?1 AND min_lon <= ?4 AND max_lon >= ?3 \
             ORDER BY (dest_lat BETWEEN ?1 AND ?2 AND dest_lon BETWEEN ?3 AND ?4) DESC, arrived_at DESC \
             LIMIT ?5",
        )
        .bind(&[
            JsValue::from_f64(dest.0 - dlat),
            JsValue::from_f64(dest.0 + dlat),
            JsValue::from_f64(dest.1 - dlon),
            JsValue::from_f64(dest.1 + dlon),
            JsValue::from_f64(limit as f64),
        ])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .filter_map(|r| serde_json::from_str(&r.trip).ok())
        .collect())
}

/// Deletes past trips that arrived before `cutoff` (roads and habits change).
pub async fn delete_trips_before(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    super::delete_before(env, "DELETE FROM past_trips WHERE arrived_at < ?1", cutoff).await
}
