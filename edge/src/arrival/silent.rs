//! Silent trackers: a trailer of a job under way that sent no fix for `TRACKER_SILENT_MIN`
//! minutes raises one alert naming the trailer and its device. Checked by the cron; one alert
//! per silence (`silent_trackers` remembers which silences were alerted, by the time they
//! began), and nothing when the tracker comes back: its newer fix simply ends the silence.

use chrono::{DateTime, Duration, Utc};
use worker::Env;

/// Alerts on every trailer silent at `now` whose silence was not alerted yet; returns how many.
pub async fn check(env: &Env, now: DateTime<Utc>) -> worker::Result<usize> {
    let quiet = Duration::minutes(crate::config::get(env).tracker_silent_min as i64);
    let mut alerted = 0;
    for h in crate::db::arrival::moving_trailers(env).await? {
        if now - h.since < quiet || !crate::db::arrival::claim_silence(env, &h, now).await? {
            continue;
        }
        let minutes = (now - h.since).num_minutes();
        let device = h.device_id.as_deref().unwrap_or("no device registered");
        crate::alerts::raise_tracking(
            env,
            "tracker_silent",
            &format!(
                "trailer {} (device {device}) of job {} has sent no position for {minutes} min",
                h.trailer_id, h.job_id
            ),
        )
        .await;
        alerted += 1;
    }
    Ok(alerted)
}
