//! The `relay_roster`, `roster_history` and `dispatcher_heartbeats` tables.

use chrono::{DateTime, Utc};
use qdn_shared::metrics::RosterVersion;
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

/// Stores the roster, and the same version in its history (one batch: both or neither).
pub async fn put(env: &Env, roster: &Roster) -> worker::Result<()> {
    let json = serde_json::to_string(roster).map_err(|e| worker::Error::RustError(e.to_string()))?;
    let now = ms(crate::clock::now());
    let d = db(env)?;
    d.batch(vec![
        d.prepare(
            "INSERT INTO relay_roster (id, roster, updated_at) VALUES (1, ?1, ?2) \
             ON CONFLICT (id) DO UPDATE SET roster = excluded.roster, updated_at = excluded.updated_at",
        )
        .bind(&[s(&json), now.clone()])?,
        d.prepare("INSERT INTO roster_history (changed_at, roster) VALUES (?2, ?1)")
            .bind(&[s(&json), now])?,
    ])
    .await?;
    Ok(())
}

/// The roster's versions in effect from `since` on, oldest first: the one in effect at `since`
/// and every later one. With no history (never stored), the settings' roster for all time.
pub async fn versions_since(env: &Env, since: DateTime<Utc>) -> worker::Result<Vec<RosterVersion>> {
    #[derive(Deserialize)]
    struct Row {
        changed_at: f64,
        roster: String,
    }
    let rows: Vec<Row> = db(env)?
        .prepare(
            "SELECT changed_at, roster FROM roster_history WHERE changed_at >= \
             (SELECT COALESCE(MAX(changed_at), 0) FROM roster_history WHERE changed_at <= ?1) \
             ORDER BY changed_at",
        )
        .bind(&[ms(since)])?
        .all()
        .await?
        .results()?;
    let versions: Vec<RosterVersion> = rows
        .into_iter()
        .filter_map(|r| {
            Some(RosterVersion {
                since: time(r.changed_at),
                roster: serde_json::from_str(&r.roster).ok()?,
            })
        })
        .collect();
    if versions.is_empty() {
        return Ok(RosterVersion::always(get(env).await?.0));
    }
    Ok(versions)
}

/// Deletes versions replaced before `cutoff`, keeping the one in effect at `cutoff`.
pub async fn delete_history_before(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    super::delete_before(
        env,
        "DELETE FROM roster_history WHERE changed_at < \
         (SELECT MAX(changed_at) FROM roster_history WHERE changed_at <= ?1)",
        cutoff,
    )
    .await
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
