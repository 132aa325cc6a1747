//! The cron trigger: fixes are kept 7 days, the relay's audit log 90; stale dispatchers alert.

use worker::Env;

/// What a run deleted.
#[derive(serde::Serialize)]
pub struct Report {
    pub fixes_deleted: usize,
    pub relay_rows_deleted: usize,
}

pub async fn run(env: &Env) -> worker::Result<Report> {
    let now = crate::clock::now();
    let deleted = crate::db::fixes::delete_older_than(env, now - qdn_shared::fix::MAX_AGE).await?;
    let audit = crate::db::relay::delete_older_than(env, now - chrono::Duration::days(90)).await?;
    worker::console_log!("retention: deleted {deleted} fixes (7 days) and {audit} relay rows (90 days)");
    stale_heartbeats(env, now).await?;
    Ok(Report {
        fixes_deleted: deleted,
        relay_rows_deleted: audit,
    })
}

/// Alerts when a tier that has sent heartbeats stopped: the cascade is skipping it.
async fn stale_heartbeats(env: &Env, now: chrono::DateTime<chrono::Utc>) -> worker::Result<()> {
    let (roster, _) = crate::db::relay::roster(env).await?;
    let stale: Vec<String> = crate::db::relay::heartbeats(env)
        .await?
        .into_iter()
        .filter(|(id, at)| {
            roster.tiers.iter().any(|t| t.dispatcher_id == *id)
                && (now - *at).num_seconds() > roster.heartbeat_stale_s as i64
        })
        .map(|(id, _)| id)
        .collect();
    if !stale.is_empty() {
        crate::alerts::raise(
            env,
            "heartbeat",
            &format!("no heartbeat from {}: skipped by the relay", stale.join(", ")),
        )
        .await;
    }
    Ok(())
}
