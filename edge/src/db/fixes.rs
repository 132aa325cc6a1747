//! The `fix_buckets` table: a job's fixes, one row per trailer and hour (see
//! `migrations/0300_fix_buckets.sql` for the layout, COST.md for why).
//!
//! D1 bills a row written for every row and index entry a statement writes. A row per fix cost
//! three over its life (row and age-index entry on insert, the row on delete); a bucket updated
//! in place costs one per fix, plus its index entry and its delete, and one per cron run that
//! trims it while it straddles the 7-day line: about 1.01 a fix every 5 s, 1.07 every 30 s.
//!
//! Every write is one statement that merges inside SQLite, so concurrent posts into the same
//! bucket serialise in D1's single writer and lose nothing, and the answer (202) is sent only
//! once the fixes are stored.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use qdn_shared::fix::Fix;
use qdn_shared::view::StoredFix;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Env;

use super::{db, ms, s};

/// Fixes read per trailer for the view: the trail plus the ETA's window.
const PER_TRAILER: usize = 120;

/// A bucket's length. Part of the stored format (the migration groups by it too): a fix's
/// bucket must never change, or a re-sent fix would no longer meet its first copy.
const BUCKET_MS: i64 = 3_600_000;

/// One fix as stored: `[recorded_at, lat, lon, speed_mps, heading_deg, accuracy_m,
/// received_at - recorded_at]` (ms). Reals of up to 15 significant digits (what trackers send)
/// read back exactly; serde_json's default parser may move a longer one by its last unit
/// (~1e-14°), as it already may when the fix is posted.
type Stored = (i64, f64, f64, Option<f64>, Option<f64>, Option<f64>, i64);

/// Upserts one bucket per `[trailer_id, bucket_start, [fix, ...]]` of `?2`. When every incoming
/// fix is newer than the bucket's newest (a tracker's next fix, a fresh backlog), the arrays are
/// joined as text. Otherwise (late, out-of-order or re-sent fixes) both arrays are grouped by
/// instant, the stored copy winning (`MIN(src)` picks its row's `v`): one sort of both, never a
/// lookup per fix. A post whose instants are all held writes nothing (the `WHERE`).
/// `last_change` comes back per bucket. (The merge's `FROM` is empty when the join applies:
/// its `WHERE` depends on the outer row only, so SQLite tests it once, before reading any array.)
const UPSERT: &str =
    "INSERT INTO fix_buckets (job_id, trailer_id, bucket_start, n, first_at, last_at, last_change, fixes) \
     SELECT ?1, value ->> 0, value ->> 1, json_array_length(value, '$[2]'), value ->> '$[2][0][0]', \
            value ->> '$[2][#-1][0]', json_array_length(value, '$[2]'), value ->> 2 \
     FROM json_each(?2) WHERE true \
     ON CONFLICT DO UPDATE SET (fixes, n, first_at, last_at, last_change) = ( \
       SELECT CASE WHEN excluded.first_at > fix_buckets.last_at \
                THEN substr(fix_buckets.fixes, 1, length(fix_buckets.fixes) - 1) || ',' || substr(excluded.fixes, 2) \
                ELSE json_group_array(json(v)) END, \
              CASE WHEN excluded.first_at > fix_buckets.last_at THEN fix_buckets.n + excluded.n ELSE COUNT(*) END, \
              min(fix_buckets.first_at, excluded.first_at), \
              max(fix_buckets.last_at, excluded.last_at), \
              CASE WHEN excluded.first_at > fix_buckets.last_at THEN excluded.n ELSE COUNT(*) - fix_buckets.n END \
       FROM (SELECT v, MIN(src) FROM ( \
               SELECT value ->> 0 AS t, value AS v, 0 AS src FROM json_each(fix_buckets.fixes) \
                 WHERE excluded.first_at <= fix_buckets.last_at \
               UNION ALL \
               SELECT value ->> 0, value, 1 FROM json_each(excluded.fixes) \
                 WHERE excluded.first_at <= fix_buckets.last_at) \
             GROUP BY t)) \
     WHERE excluded.first_at > last_at \
        OR (SELECT COUNT(*) FROM (SELECT value ->> 0 FROM json_each(fix_buckets.fixes) \
                                  UNION SELECT value ->> 0 FROM json_each(excluded.fixes))) > n \
     RETURNING last_change";

#[derive(Deserialize)]
struct Change {
    last_change: i64,
}

/// Stores fixes for one job in a single statement. Returns how many were new; the rest were
/// duplicates (of stored fixes, or of an earlier fix of the same post: the first one counts).
pub async fn insert(env: &Env, job_id: &str, fixes: &[Fix], received_at: DateTime<Utc>) -> worker::Result<usize> {
    if fixes.is_empty() {
        return Ok(0);
    }
    let received = received_at.timestamp_millis();
    // (trailer, bucket) → instant → fix; the first of a post's copies wins, as INSERT OR IGNORE did.
    let mut buckets: BTreeMap<(&str, i64), BTreeMap<i64, Stored>> = BTreeMap::new();
    for f in fixes {
        let at = f.recorded_at.timestamp_millis();
        let key = (
            f.trailer_id.as_deref().unwrap_or(""),
            at.div_euclid(BUCKET_MS) * BUCKET_MS,
        );
        buckets.entry(key).or_default().entry(at).or_insert((
            at,
            f.lat,
            f.lon,
            f.speed_mps,
            f.heading_deg,
            f.accuracy_m,
            received - at,
        ));
    }
    let groups: Vec<(&str, i64, Vec<Stored>)> = buckets
        .into_iter()
        .map(|((trailer, start), held)| (trailer, start, held.into_values().collect()))
        .collect();
    let groups = serde_json::to_string(&groups).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let changes: Vec<Change> = db(env)?
        .prepare(UPSERT)
        .bind(&[s(job_id), JsValue::from_str(&groups)])?
        .all()
        .await?
        .results()?;
    Ok(changes.iter().map(|c| c.last_change.max(0) as usize).sum())
}

#[derive(Deserialize)]
struct Bucket {
    trailer_id: String,
    fixes: String,
}

/// The newest fixes (up to [`PER_TRAILER`]) of each of the job's trailers, none older than
/// retention keeps: a bucket is deleted when its newest fix expires, so older ones may remain
/// in it until the next cron run trims them.
pub async fn recent(env: &Env, job_id: &str) -> worker::Result<Vec<StoredFix>> {
    let cutoff = (crate::clock::now() - qdn_shared::fix::MAX_AGE).timestamp_millis();
    // Per trailer, newest bucket first, the buckets until PER_TRAILER fixes are covered: picked
    // on the small columns, then only those buckets' arrays are read.
    let buckets: Vec<Bucket> = db(env)?
        .prepare(
            "SELECT b.trailer_id, b.fixes FROM ( \
               SELECT trailer_id, bucket_start, \
                 SUM(n) OVER (PARTITION BY trailer_id ORDER BY bucket_start DESC ROWS UNBOUNDED PRECEDING) - n AS newer \
               FROM fix_buckets WHERE job_id = ?1 AND last_at >= ?3) AS w \
             JOIN fix_buckets AS b ON b.job_id = ?1 AND b.trailer_id = w.trailer_id AND b.bucket_start = w.bucket_start \
             WHERE w.newer < ?2",
        )
        .bind(&[
            s(job_id),
            JsValue::from_f64(PER_TRAILER as f64),
            JsValue::from_f64(cutoff as f64),
        ])?
        .all()
        .await?
        .results()?;
    let mut by_trailer: BTreeMap<String, Vec<Stored>> = BTreeMap::new();
    for b in buckets {
        let held: Vec<Stored> =
            serde_json::from_str(&b.fixes).map_err(|e| worker::Error::RustError(format!("a stored bucket: {e}")))?;
        by_trailer
            .entry(b.trailer_id)
            .or_default()
            .extend(held.into_iter().filter(|f| f.0 >= cutoff));
    }
    let mut out = Vec::new();
    for (trailer_id, mut held) in by_trailer {
        held.sort_unstable_by_key(|f| std::cmp::Reverse(f.0));
        held.truncate(PER_TRAILER);
        out.extend(held.into_iter().filter_map(|f| stored_fix(&trailer_id, f)));
    }
    Ok(out)
}

#[derive(Deserialize)]
struct Removed {
    removed: i64,
}

/// Deletes fixes recorded before `cutoff`: whole buckets whose newest fix is older, and the old
/// part of a bucket that straddles the cutoff (its newer fixes stay). One transaction. Returns
/// how many fixes went.
pub async fn delete_older_than(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    let d = db(env)?;
    let results = d
        .batch(vec![
            d.prepare("DELETE FROM fix_buckets WHERE bucket_start < ?1 AND last_at < ?1 RETURNING n AS removed")
                .bind(&[ms(cutoff)])?,
            // One pass over each straddling array (json_each rows count as rows read).
            d.prepare(
                "UPDATE fix_buckets SET (fixes, n, first_at, last_change) = ( \
                   SELECT json_group_array(json(value)), COUNT(*), MIN(value ->> 0), COUNT(*) - fix_buckets.n \
                   FROM json_each(fix_buckets.fixes) WHERE value ->> 0 >= ?1) \
                 WHERE bucket_start < ?1 AND first_at < ?1 RETURNING -last_change AS removed",
            )
            .bind(&[ms(cutoff)])?,
        ])
        .await?;
    let mut removed = 0;
    for r in results {
        removed += r
            .results::<Removed>()?
            .iter()
            .map(|r| r.removed.max(0) as usize)
            .sum::<usize>();
    }
    Ok(removed)
}

fn stored_fix(trailer_id: &str, (at, lat, lon, speed_mps, heading_deg, accuracy_m, _): Stored) -> Option<StoredFix> {
    Some(StoredFix {
        trailer_id: trailer_id.to_string(),
        lat,
        lon,
        recorded_at: qdn_shared::time::from_ms(at)?,
        speed_mps,
        heading_deg,
        accuracy_m,
    })
}

/// The job's fixes (every trailer) recorded in `[from, to)`: the arrival automation's replay of
/// a trip's ETAs.
pub async fn between(
    env: &Env,
    job_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> worker::Result<Vec<StoredFix>> {
    let buckets: Vec<Bucket> = db(env)?
        .prepare(
            "SELECT trailer_id, fixes FROM fix_buckets WHERE job_id = ?1 AND last_at >= ?2 AND first_at < ?3 \
             ORDER BY bucket_start",
        )
        .bind(&[s(job_id), ms(from), ms(to)])?
        .all()
        .await?
        .results()?;
    let (from, to) = (from.timestamp_millis(), to.timestamp_millis());
    let mut out = Vec::new();
    for b in buckets {
        let held: Vec<Stored> =
            serde_json::from_str(&b.fixes).map_err(|e| worker::Error::RustError(format!("a stored bucket: {e}")))?;
        out.extend(
            held.into_iter()
                .filter(|f| f.0 >= from && f.0 < to)
                .filter_map(|f| stored_fix(&b.trailer_id, f)),
        );
    }
    Ok(out)
}
