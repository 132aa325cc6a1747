//! The `relay_roster` and `dispatcher_heartbeats` tables.

use chrono::{DateTime, Utc};
use qdn_shared::relay::roster::{Heartbeats, Roster};
use serde::Deserialize;
use worker::Env;

use super::{db, ms, s, time};

/// The stored roster, else the one made of the `*_HANDLER_PHONE` settings.
pub async fn get(env: &Env) -> worker::Result<(Roster, bool)> {
    #[derive(Deserialize)]
    struct Row {
        roster: String,
    }
    let row: Option<Row> = db(env)?
        .prepare("SELECT roster FROM relay_roster WHERE id = 1")
        .first(None)
        .await?;
    if let Some(r) = row.and_then(|r| serde_json::from_str(&r.roster).ok()) {
        return Ok((r, true));
    }
    Ok((Roster::from_phones(&crate::config::get(env).handler_phones), false))
}

pub async fn put(env: &Env, roster: &Roster) -> worker::Result<()> {
    let json = serde_json::to_string(roster).map_err(|e| worker::Error::RustError(e.to_string()))?;
    db(env)?
        .prepare(
            "INSERT INTO relay_roster (id, roster, updated_at) VALUES (1, ?1, ?2) \
             ON CONFLICT (id) DO UPDATE SET roster = excluded.roster, updated_at = excluded.updated_at",
        )
        .bind(&[s(&json), ms(crate::clock::now())])?
        .run()
        .await?;
    Ok(())
}

pub async fn heartbeats(env: &Env) -> worker::Result<Heartbeats> {
    #[derive(Deserialize)]
    struct Row {
        dispatcher_id: String,
        last_heartbeat: f64,
    }
    let rows: Vec<Row> = db(env)?
        .prepare("SELECT dispatcher_id, last_heartbeat FROM dispatcher_heartbeats")
        .all()
        .await?
        .results()?;
    Ok(Heartbeats(
        rows.into_iter()
            .map(|r| (r.dispatcher_id, time(r.last_heartbeat)))
            .collect(),
    ))
}

pub async fn heartbeat(env: &Env, dispatcher_id: &str, at: DateTime<Utc>) -> worker::Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO dispatcher_heartbeats (dispatcher_id, last_heartbeat) VALUES (?1, ?2) \
             ON CONFLICT (dispatcher_id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat",
        )
        .bind(&[s(dispatcher_id), ms(at)])?
        .run()
        .await?;
    Ok(())
}
