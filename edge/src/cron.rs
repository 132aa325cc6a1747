//! The cron trigger's work (also `POST /api/maintenance/run`): fixes are kept 7 days, the relay's
//! audit log 90; tiers whose heartbeats stopped are alerted on.

use qdn_shared::relay::alert::AlertKind;
use worker::Env;

/// What a run deleted.
#[derive(serde::Serialize)]
pub struct Report {
    pub fixes_deleted: usize,
    pub relay_rows_deleted: usize,
}

pub async fn run(env: &Env) -> worker::Result<Report> {
    run_at(env, crate::clock::now()).await
}

/// The work as if it were `now` (the bench ages its fixes this way, see `meter::now_override`).
pub async fn run_at(env: &Env, now: chrono::DateTime<chrono::Utc>) -> worker::Result<Report> {
    let deleted = crate::db::fixes::delete_older_than(env, now - qdn_shared::fix::MAX_AGE).await?;
    let audit_cutoff = now - chrono::Duration::days(90);
    let audit = crate::db::messages::delete_older_than(env, audit_cutoff).await?
        + crate::db::notifications::delete_older_than(env, audit_cutoff).await?
        + crate::db::voice::delete_older_than(env, audit_cutoff).await?;
    worker::console_log!("retention: deleted {deleted} fixes (7 days) and {audit} relay rows (90 days)");
    stale_heartbeats(env, now).await?;
    Ok(Report {
        fixes_deleted: deleted,
        relay_rows_deleted: audit,
    })
}

/// Alerts when a tier that has sent heartbeats stopped: the cascade is skipping it.
async fn stale_heartbeats(env: &Env, now: chrono::DateTime<chrono::Utc>) -> worker::Result<()> {
    let (roster, _) = crate::db::roster::get(env).await?;
    let beats = crate::db::roster::heartbeats(env).await?;
    let stale: Vec<&str> = roster
        .tiers
        .iter()
        .filter(|t| {
            beats
                .last(&t.dispatcher_id)
                .is_some_and(|at| roster.heartbeat_is_stale(at, now))
        })
        .map(|t| t.dispatcher_id.as_str())
        .collect();
    if !stale.is_empty() {
        crate::alerts::raise(
            env,
            AlertKind::Heartbeat,
            &format!("no heartbeat from {}: skipped by the relay", stale.join(", ")),
        )
        .await;
    }
    Ok(())
}
