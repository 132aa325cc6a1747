//! The cron trigger's work (also `POST /api/maintenance/run`): fixes are kept 7 days, and so are
//! unknown device ids and device flags after they were last seen; the relay's audit log 90 days;
//! tiers whose heartbeats stopped are alerted on, and so are trackers of jobs under way that
//! went silent (`arrival::silent`).

use qdn_shared::relay::alert::AlertKind;
use worker::Env;

/// The relay's audit log (messages, attempts, notifications, calls and their screens) — which is
/// also every job's thread — is kept this long.
pub const AUDIT_DAYS: i64 = 90;

/// What a run deleted.
#[derive(serde::Serialize)]
pub struct Report {
    pub fixes_deleted: usize,
    pub relay_rows_deleted: usize,
    /// Finished jobs whose customer's name, phone and thread were erased.
    pub customers_erased: usize,
    /// Unknown device ids and device flags not seen for 7 days.
    pub device_rows_deleted: usize,
    /// Trackers of jobs under way newly silent for `TRACKER_SILENT_MIN` (one alert each).
    pub silent_trackers_alerted: usize,
}

pub async fn run(env: &Env) -> worker::Result<Report> {
    run_at(env, crate::clock::now()).await
}

/// The work as if it were `now` (the bench ages its fixes this way, see `meter::now_override`).
pub async fn run_at(env: &Env, now: chrono::DateTime<chrono::Utc>) -> worker::Result<Report> {
    let deleted = crate::db::fixes::delete_older_than(env, now - qdn_shared::fix::MAX_AGE).await?;
    let devices = crate::db::devices::delete_older_than(env, now - qdn_shared::fix::MAX_AGE).await?;
    let audit_cutoff = now - chrono::Duration::days(AUDIT_DAYS);
    let audit = crate::db::messages::delete_older_than(env, audit_cutoff).await?
        + crate::db::notifications::delete_older_than(env, audit_cutoff).await?
        + crate::db::voice::delete_older_than(env, audit_cutoff).await?
        + crate::db::voice::delete_calls_older_than(env, audit_cutoff).await?;
    // One row per alert window: yesterday's are of no use.
    crate::db::alerts::forget_before(env, now - chrono::Duration::days(1)).await?;
    let days = crate::config::get(env).customer_data_days;
    let erased = crate::db::jobs::erase_customers(env, now - chrono::Duration::days(days as i64)).await?;
    crate::db::revocations::delete_expired(env, now.timestamp()).await?;
    crate::db::sessions::delete_expired(env, now, now - chrono::Duration::days(1)).await?;
    worker::console_log!(
        "retention: deleted {deleted} fixes and {devices} device rows (7 days), {audit} relay rows ({AUDIT_DAYS} days); \
         erased the customers of {erased} jobs finished over {days} days ago"
    );
    stale_heartbeats(env, now).await?;
    crate::db::arrival::forget_finished(env, now - chrono::Duration::days(1)).await?;
    crate::db::arrival::delete_outcomes_before(env, audit_cutoff).await?;
    crate::db::arrival::delete_trips_before(env, audit_cutoff).await?;
    crate::db::roster::delete_history_before(env, audit_cutoff).await?;
    crate::db::reads::delete_before(env, audit_cutoff).await?;
    let silent = crate::arrival::silent::check(env, now).await?;
    Ok(Report {
        silent_trackers_alerted: silent,
        fixes_deleted: deleted,
        relay_rows_deleted: audit,
        customers_erased: erased,
        device_rows_deleted: devices,
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
