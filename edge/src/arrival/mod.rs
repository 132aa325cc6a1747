//! The arrival automation in the Worker: once an ingest stored new fixes of a job under way,
//! its geofence state ([`qdn_shared::arrival::Arrival`]) is updated from the job's stored fixes,
//! and what it decides is done — status moves recorded with `source: "geofence"`, and the
//! customer's "arriving soon", "arrived" and "running late" texts.
//!
//! The decisions run within the ingest request (D1 only: a few rows read, nothing written while
//! nothing changes); the texts go after the answer (`ctx.wait_until`), so a tracker's POST never
//! waits for Twilio nor fails with it. Two ingests of one job may decide at once; each text is
//! still sent at most once, because every decision is committed by a compare-and-swap before it
//! is acted on:
//!
//! - a status move is the job's own compare-and-swap (`db::jobs::update_unchanged`: the job
//!   exactly as read, so a dispatcher's change in between always wins and is decided on anew),
//!   and "arrived" goes only with the move to `at_site` that applied;
//! - "arriving soon" and "running late" are decided in the state, and sent only once the state
//!   that records them is stored over the version read (`db::arrival::store`).
//!
//! A crash between the commit and the send loses a text rather than sending it twice.
//!
//! D1 cost: the state holds decisions only (the fixes it judges are read back from
//! `fix_buckets`, as the location view reads them), and is written only when a decision changes
//! — a status, a text, the stop — not per fix. Past trips to the destination are read only while
//! an ETA can still decide a text. On arrival, the trip's ETAs are replayed to measure them
//! (`eta_outcomes`) and the trip is kept to teach later ETAs (`past_trips`).

pub mod silent;
mod texts;

use chrono::{DateTime, Duration, Utc};
use qdn_shared::arrival::{self, Arrival, EtaReading, Event, JobView, Notice};
use qdn_shared::eta::{PastTrip, Point};
use qdn_shared::job::details::{current_stop, stop_after};
use qdn_shared::job::{JobStatus, StatusSource};
use worker::Env;

use crate::db::jobs::Job;
use crate::error::{AppError, AppResult};

/// Rounds of read-decide-commit before giving up (each lost round means another update, or a
/// dispatcher, changed the job or its state in between; the next fix tries again).
const ROUNDS: usize = 4;
/// A trip is kept from when the job set out for the stop, but no further back than this.
const LONGEST_TRIP: Duration = Duration::seconds(arrival::REPLAY_MAX_S);

/// Texts decided and committed, to send after the answer.
pub struct Texts {
    job: Job,
    notices: Vec<(Notice, Option<EtaReading>)>,
}

/// Whether fixes of a job in `status` can move it or text its customer.
pub fn watches(status: JobStatus) -> bool {
    matches!(status, JobStatus::EnRoute | JobStatus::AtSite | JobStatus::EnRouteNext)
}

/// Runs the automation for `job` (as the ingest read it) after new fixes were stored; returns
/// the texts to send. Never fails its caller: a failure is logged, and the next fix runs it
/// again on everything stored.
pub async fn after_ingest(env: &Env, job: &Job) -> Option<Texts> {
    let mut texts = Texts {
        job: job.clone(),
        notices: Vec::new(),
    };
    if let Err(e) = run(env, job, &mut texts).await {
        worker::console_error!("arrival: job {}: {e:?}", job.job_id);
    }
    (!texts.notices.is_empty()).then_some(texts)
}

/// Sends the committed texts (after the answer).
pub async fn send(env: &Env, texts: Texts) {
    for (notice, eta) in texts.notices {
        texts::send(env, &texts.job, notice, eta).await;
    }
}

async fn run(env: &Env, first: &Job, texts: &mut Texts) -> AppResult<()> {
    let mut job = first.clone();
    for attempt in 0..ROUNDS {
        if attempt > 0 {
            match crate::db::jobs::get(env, &first.job_id).await? {
                Some(j) => job = j,
                None => return Ok(()),
            }
        }
        if !watches(job.status) || round(env, &job, texts).await? {
            return Ok(());
        }
    }
    worker::console_warn!("arrival: job {} kept changing; left to the next fix", first.job_id);
    Ok(())
}

/// One read-decide-commit round; `false` when a commit missed and the round must be redone on
/// fresh reads.
async fn round(env: &Env, job: &Job, texts: &mut Texts) -> AppResult<bool> {
    let cfg = crate::config::get(env);
    let now = crate::clock::now();
    let (version, stored) = match crate::db::arrival::load(env, &job.job_id).await? {
        Some((v, json)) => (
            Some(v),
            serde_json::from_str::<Arrival>(&json).unwrap_or_else(|_| fresh(job)),
        ),
        None => (None, fresh(job)),
    };
    let mut next = stored.clone();
    let dest = (job.destination.lat, job.destination.lon);
    let fixes = crate::db::fixes::recent(env, &job.job_id).await?;
    let opted_out = job.details.notify
        && next.texts_pending()
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
    let reading = if job.status.is_moving() && job.details.notify && next.wants_eta(&view) {
        let past = crate::cache::past_trips(env, dest).await?;
        arrival::eta_reading(&fixes, dest, &past)
    } else {
        None
    };
    let events = next.update(&view, &fixes, reading);

    // Status moves first, each a compare-and-swap on the job as read.
    let mut current = job.clone();
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
        let when = now + Duration::milliseconds(k as i64);
        if !crate::db::jobs::update_unchanged(env, &job.job_id, &change, current.updated_at, when).await? {
            // A dispatcher (or another update) changed the job: their change wins; decide again.
            crate::cache::job_changed(&job.job_id);
            return Ok(false);
        }
        crate::cache::job_changed(&job.job_id);
        worker::console_log!("arrival: job {} is {} (geofence)", job.job_id, status.as_str());
        if *status == JobStatus::AtSite {
            // The move that applied is the one right to say so (a racing update's move missed).
            if events.iter().any(|e| {
                matches!(
                    e,
                    Event::Text {
                        notice: Notice::Arrived,
                        ..
                    }
                )
            }) {
                texts.notices.push((Notice::Arrived, None));
            }
            let lead_s = next
                .decision(Notice::ArrivingSoon)
                .filter(|d| d.outcome == arrival::Outcome::Sent)
                .map(|d| (*at - d.at).num_milliseconds() as f64 / 1000.0);
            arrived(env, &current, *at, lead_s).await;
        }
        (current.status, current.updated_at, current.stop_index) = (*status, when, index);
        current.destination = destination;
    }
    texts.job = current;

    // Then the state, if anything in it was decided.
    if !next.decides_like(&stored) {
        let json = serde_json::to_string(&next.durable()).map_err(|e| AppError::Internal(e.to_string()))?;
        if !crate::db::arrival::store(env, &job.job_id, version, &json, now).await? {
            return Ok(false);
        }
    }
    for e in &events {
        if let Event::Text { notice, .. } = e {
            if *notice != Notice::Arrived {
                texts.notices.push((*notice, reading));
            }
        }
    }
    Ok(true)
}

/// The state of a job seen for the first time. A job never changed since it was created (in
/// its current status) counts all its fixes, a backlog included; one a dispatcher changed counts
/// the fixes from that change on.
fn fresh(job: &Job) -> Arrival {
    let evidence_from = (job.updated_at != job.created_at).then_some(job.updated_at);
    Arrival::starting(job.status, job.updated_at, evidence_from)
}

/// The trailer reached the stop of `job` at `at`: keeps how its ETAs compared, and the trip, to
/// teach later ETAs. Failures are logged: they cost a figure, not the arrival.
async fn arrived(env: &Env, job: &Job, at: DateTime<Utc>, notice_lead_s: Option<f64>) {
    if let Err(e) = learn(env, job, at, notice_lead_s).await {
        worker::console_error!("arrival: job {}: could not keep the trip: {e}", job.job_id);
    }
}

async fn learn(env: &Env, job: &Job, at: DateTime<Utc>, notice_lead_s: Option<f64>) -> worker::Result<()> {
    let set_out = crate::db::jobs::history_of(env, &job.job_id)
        .await?
        .into_iter()
        .rev()
        .find(|h| h.status.is_moving() && h.at <= at)
        .map_or(job.created_at, |h| h.at);
    let from = set_out.max(at - LONGEST_TRIP).min(at);
    // A backlog may predate the job's start: the trip is what the fixes show, from the first.
    let fixes = crate::db::fixes::between(env, &job.job_id, at - LONGEST_TRIP, at).await?;
    let trip: Vec<_> = fixes
        .iter()
        .filter(|f| f.recorded_at >= from || job.updated_at == job.created_at)
        .cloned()
        .collect();
    let dest = (job.destination.lat, job.destination.lon);
    let past = crate::cache::past_trips(env, dest).await?;
    let pairs = arrival::eta_outcomes(&trip, dest, &past, at);
    let outcome = crate::db::arrival::Outcome {
        arrived_at: at,
        pairs,
        notice_lead_s,
    };
    crate::db::arrival::record_outcome(env, &job.job_id, job.stop_index, &outcome).await?;
    // The trailer that got there: the one whose newest fix is nearest the stop.
    let nearest = trip
        .iter()
        .rev()
        .min_by(|a, b| {
            qdn_shared::eta::distance_m((a.lat, a.lon), dest)
                .total_cmp(&qdn_shared::eta::distance_m((b.lat, b.lon), dest))
        })
        .map(|f| f.trailer_id.clone());
    let points: Vec<Point> = trip
        .iter()
        .filter(|f| Some(&f.trailer_id) == nearest.as_ref())
        .map(|f| Point::new(f.recorded_at, f.lat, f.lon))
        .collect();
    if let Some(past_trip) = PastTrip::new(&points, dest, at) {
        crate::db::arrival::keep_trip(env, &job.job_id, job.stop_index, &past_trip, at).await?;
        crate::cache::trips_changed();
    }
    Ok(())
}
