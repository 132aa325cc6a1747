//! The `voice_screens` table: which dispatcher pressed 1 to take a call.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use worker::Env;

use super::{changes, db, ms, s};

pub async fn accept(env: &Env, call_sid: &str, dispatcher_id: &str) -> worker::Result<()> {
    db(env)?
        .prepare("INSERT OR REPLACE INTO voice_screens (call_sid, dispatcher_id, accepted_at) VALUES (?1, ?2, ?3)")
        .bind(&[s(call_sid), s(dispatcher_id), ms(crate::clock::now())])?
        .run()
        .await?;
    Ok(())
}

pub async fn was_accepted(env: &Env, call_sid: &str) -> worker::Result<bool> {
    #[derive(Deserialize)]
    struct Row {
        #[allow(dead_code)]
        call_sid: String,
    }
    let row: Option<Row> = db(env)?
        .prepare("SELECT call_sid FROM voice_screens WHERE call_sid = ?1")
        .bind(&[s(call_sid)])?
        .first(None)
        .await?;
    Ok(row.is_some())
}

/// Kept as long as the relay's audit log.
pub async fn delete_older_than(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    let r = db(env)?
        .prepare("DELETE FROM voice_screens WHERE accepted_at < ?1")
        .bind(&[ms(cutoff)])?
        .run()
        .await?;
    Ok(changes(&r))
}
