//! The `alert_marks` table: when each kind of alert last went out.

use chrono::{DateTime, Utc};
use worker::Env;

use super::{changes, db, ms, s};

/// Takes the right to send an alert of `key` (at most one per `every`); false if one went out recently.
/// `key` is an alert kind, or a kind and its window (`failovers@2026-11-22T05`).
pub async fn claim(env: &Env, key: &str, now: DateTime<Utc>, every: chrono::Duration) -> worker::Result<bool> {
    let r = db(env)?
        .prepare(
            "INSERT INTO alert_marks (kind, last_at) VALUES (?1, ?2) \
             ON CONFLICT (kind) DO UPDATE SET last_at = excluded.last_at WHERE alert_marks.last_at <= ?3",
        )
        .bind(&[s(key), ms(now), ms(now - every)])?
        .run()
        .await?;
    Ok(changes(&r) == 1)
}

/// Drops marks older than `cutoff` (the per-hour windows leave one row each).
pub async fn forget_before(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    let r = db(env)?
        .prepare("DELETE FROM alert_marks WHERE last_at < ?1")
        .bind(&[ms(cutoff)])?
        .run()
        .await?;
    Ok(changes(&r))
}
