//! The arrival automation in the Worker: after an ingest stored new fixes of a job under way,
//! its geofence state ([`qdn_shared::arrival::Arrival`]) is updated from the job's stored fixes,
//! and what it decides is done — status moves recorded with `source: "geofence"`, and the
//! customer's "arriving soon", "arrived" and "running late" texts.
//!
//! Runs after the tracker's answer (`ctx.wait_until`): a tracker's POST never waits for it nor
//! fails with it. Two ingests of one job may run it at once; each text is still sent at most
//! once, because every decision is committed by a compare-and-swap before it is acted on:
//!
//! - a status move is the job's own compare-and-swap (`db::jobs::update_unchanged`: the job
//!   exactly as read, so a dispatcher's change in between always wins and is decided on anew),
//!   and "arrived" goes only with the move to `at_site` that applied;
//! - "arriving soon" and "running late" are decided in the state, sent only once the state
//!   that records them is stored over the version read (`db::arrival::store`).
//!
//! A crash between the commit and the send loses a text rather than sending it twice.
//!
//! D1 cost: the state holds decisions only (the fixes it judges are read back from
//! `fix_buckets`, as the location view reads them), and is written only when a decision
//! changes — a status, a text, the stop, one kept ETA per 5 minutes — not per fix.

pub mod silent;
mod texts;

use chrono::{DateTime, Utc};
use qdn_shared::arrival::{self, Arrival, Event, JobView, Notice};
use qdn_shared::eta::accuracy::Predictions;
use qdn_shared::job::details::{current_stop, stop_after};
use qdn_shared::job::{JobStatus, StatusSource};
use serde::{Deserialize, Serialize};
use worker::Env;

use crate::db::jobs::Job;
use crate::error::AppResult;

/// Rounds of read-decide-commit before giving up (each lost round means another update, or a
/// dispatcher, changed the job or its state in between; the next fix tries again).
const ROUNDS: usize = 4;

/// What `arrival_states.state` holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Stored {
    #[serde(default)]
    arrival: Arrival,
    /// ETAs computed on the way to `dest`, kept to measure them when the trailer arrives.
    #[serde(default)]
    predictions: Predictions,
    #[serde(default)]
    dest: Option<(f64, f64)>,
}

/// Whether fixes of a job in `status` can move it or text its customer.
pub fn watches(status: JobStatus) -> bool {
    matches!(status, JobStatus::EnRoute | JobStatus::AtSite | JobStatus::EnRouteNext)
}

/// Runs the automation for `job_id` after new fixes were stored. Never fails its caller: a
/// failure is logged, and the next fix runs it again on everything stored.
pub async fn after_ingest(env: &Env, job_id: &str) {
    if let Err(e) = run(env, job_id).await {
        worker::console_error!("arrival: job {job_id}: {e:?}");
    }
}

async fn run(env: &Env, job_id: &str) -> AppResult<()> {
    for _ in 0..ROUNDS {
        let Some(job) = crate::db::jobs::get(env, job_id).await? else {
            return Ok(());
        };
        if !watches(job.status) {
            return Ok(());
        }
        if round(env, &job).await? {
            return Ok(());
        }
    }
    worker::console_warn!("arrival: job {job_id} kept changing; left to the next fix");
    Ok(())
}

/// One read-decide-commit-act round; `false` when a commit missed and the round must be redone
/// on fresh reads.
async fn round(env: &Env, job: &Job) -> AppResult<bool> {
    let cfg = crate::config::get(env);
    let now = crate::clock::now();
    let (version, stored) = match crate::db::arrival::load(env, &job.job_id).await? {
        Some((v, json)) => (
            Some(v),
            serde_json::from_str::<Stored>(&json).unwrap_or_else(|_| fresh(job)),
        ),
        None => (None, fresh(job)),
    };
    let mut next = stored.clone();
    let dest = (job.destination.lat, job.destination.lon);
    if next.dest != Some(dest) {
        next.dest = Some(dest);
        next.predictions = Predictions::default();
    }
    let fixes = crate::db::fixes::recent(env, &job.job_id).await?;
    let opted_out = job.details.notify
        && next.arrival.texts_pending()
        && crate::db::opt_outs::is_opted_out(env, &job.customer_phone).await?;
    let view = JobView {
        status: job.status,
        destination: dest,
        geofence_m: job.details.geofence_m,
        window_end: job.details.window_end,
        notify: job.details.notify,
        opted_out,
        arriving_soon_min: cfg.arriving_soon_min,
        now,
    };
    let reading = job
        .status
        .is_moving()
        .then(|| arrival::eta_reading(&fixes, dest, &[]))
        .flatten();
    let events = next.arrival.update(&view, &fixes, reading);

    // Status moves first, each a compare-and-swap on the job as read.
    let mut current = job.clone();
    let mut arrived: Option<DateTime<Utc>> = None;
    for (k, e) in events.iter().enumerate() {
        let Event::Status { status, at, .. } = e else {
            continue;
        };
        let index = stop_after(current.status, *status, &current.details.stops, current.stop_index);
        let destination = current_stop(&current.details.stops, index)
            .map(|s| s.destination())
            .unwrap_or_else(|| current.destination.clone());
        let change = crate::db::jobs::Change {
            from: current.status,
            status: *status,
            destination: &destination,
            stop_index: index,
            details: &current.details,
            trailer_ids: None,
            source: StatusSource::Geofence,
        };
        // Distinct instants keep two moves of one backlog in order in the history.
        let when = now + chrono::Duration::milliseconds(k as i64);
        if !crate::db::jobs::update_unchanged(env, &job.job_id, &change, current.updated_at, when).await? {
            // A dispatcher (or another update) changed the job: their change wins; decide again.
            crate::cache::job_changed(&job.job_id);
            if let Some(at) = arrived {
                texts::send(env, &current, Notice::Arrived, None).await;
                outcome(env, job, &stored, at).await;
            }
            return Ok(false);
        }
        crate::cache::job_changed(&job.job_id);
        worker::console_log!("arrival: job {} is {} (geofence)", job.job_id, status.as_str());
        if *status == JobStatus::AtSite {
            arrived = Some(*at);
        }
        (current.status, current.updated_at, current.stop_index) = (*status, when, index);
        current.destination = destination;
    }
    let sends_arrived = arrived.is_some()
        && events.iter().any(|e| {
            matches!(
                e,
                Event::Text {
                    notice: Notice::Arrived,
                    ..
                }
            )
        });
    if let Some(at) = arrived {
        outcome(env, job, &next, at).await;
        next.predictions = Predictions::default();
        next.dest = Some((current.destination.lat, current.destination.lon));
    } else if let Some(r) = reading.filter(|_| current.status.is_moving()) {
        next.predictions
            .record(r.at.timestamp_millis() as f64 / 1000.0, r.seconds);
    }

    // Then the state, if anything in it was decided.
    let changed = !next.arrival.decides_like(&stored.arrival)
        || next.predictions != stored.predictions
        || next.dest != stored.dest;
    let committed = if changed {
        let json = serde_json::to_string(&Stored {
            arrival: next.arrival.durable(),
            ..next.clone()
        })
        .map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
        crate::db::arrival::store(env, &job.job_id, version, &json, now).await?
    } else {
        true
    };
    if sends_arrived {
        texts::send(env, &current, Notice::Arrived, None).await;
    }
    if !committed {
        return Ok(false);
    }
    for e in &events {
        if let Event::Text { notice, .. } = e {
            if *notice != Notice::Arrived {
                texts::send(env, &current, *notice, reading).await;
            }
        }
    }
    Ok(true)
}

/// The state of a job seen for the first time. A job never changed since it was created (in
/// its current status) counts all its fixes, a backlog included; one a dispatcher changed counts
/// the fixes from that change on.
fn fresh(job: &Job) -> Stored {
    let evidence_from = (job.updated_at != job.created_at).then_some(job.updated_at);
    Stored {
        arrival: Arrival::starting(job.status, job.updated_at, evidence_from),
        ..Stored::default()
    }
}

/// Keeps how the ETAs on the way to this stop compare with the arrival at `at`.
async fn outcome(env: &Env, job: &Job, stored: &Stored, at: DateTime<Utc>) {
    let pairs = stored.predictions.outcomes(at.timestamp_millis() as f64 / 1000.0);
    if let Err(e) = crate::db::arrival::record_outcome(env, &job.job_id, job.stop_index, at, &pairs).await {
        worker::console_error!("arrival: job {}: could not keep the ETA outcome: {e}", job.job_id);
    }
}
