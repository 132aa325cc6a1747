//! Location ingest: our JSON API and the tracker apps' protocols, all stored the same way.
//!
//! Tracker apps delete a queued position only after a 2xx and otherwise resend the oldest one
//! for ever (`docs/trackers.md`), so what they send in good faith is acknowledged even when it
//! is not stored: `"ignored": "<reason>"`. A 4xx is for requests no app sends.

pub mod json;
pub mod osmand;
pub mod owntracks;

use chrono::{DateTime, Utc};
use qdn_shared::fix::{Checked, FixError};
use qdn_shared::ingest::{Ignored, Outcome, Reported};
use qdn_shared::ErrorCode;
use serde::Serialize;
use worker::{Context, Env};

use crate::db::jobs::Job;
use crate::db::trailers::Device;
use crate::error::{AppError, AppResult};

#[derive(Debug, Serialize)]
pub struct Rejected {
    pub index: usize,
    pub error: &'static str,
    pub message: String,
}

/// A position of a batch that was acknowledged without being stored.
#[derive(Debug, Serialize)]
pub struct IgnoredAt {
    pub index: usize,
    pub ignored: Ignored,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejected>,
    /// How far ahead the device's clock was, at most, for fixes stored at the receive time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_skew_s: Option<i64>,
    /// Why nothing was stored, when every position had the same reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<Ignored>,
    /// A batch's positions acknowledged without being stored, when not all for one reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_positions: Vec<IgnoredAt>,
}

impl Summary {
    /// Nothing to store, for one reason.
    pub fn ignored(why: Ignored) -> Summary {
        Summary {
            ignored: Some(why),
            ..Summary::default()
        }
    }
}

/// Stores the checked fixes of `checked` (by their index in the request) for `job`; the ones
/// that failed their checks are reported by index.
/// New fixes of a job under way then run the arrival automation (its texts go after the answer).
pub async fn store(
    env: &Env,
    ctx: &Context,
    job: &Job,
    checked: Vec<(usize, Result<Checked, FixError>)>,
) -> AppResult<Summary> {
    let mut valid = Vec::with_capacity(checked.len());
    let mut rejected = Vec::new();
    let mut clock_skew_s = None;
    for (index, r) in checked {
        match r {
            Ok(c) => {
                clock_skew_s = clock_skew_s.max(c.clock_skew_s);
                valid.push(c.fix);
            }
            Err(e) => rejected.push(Rejected {
                index,
                error: e.code(),
                message: e.to_string(),
            }),
        }
    }
    let accepted = crate::db::fixes::insert(env, &job.job_id, &valid, crate::clock::now()).await?;
    if accepted > 0 {
        crate::cache::fixes_changed(&job.job_id);
        if crate::arrival::watches(job.status) {
            if let Some(texts) = crate::arrival::after_ingest(env, job).await {
                let env = env.clone();
                ctx.wait_until(async move { crate::arrival::send(&env, texts).await });
            }
        }
        crate::live::publish(env, &job.job_id).await;
    }
    Ok(Summary {
        accepted,
        duplicates: valid.len() - accepted,
        rejected,
        clock_skew_s,
        ..Summary::default()
    })
}

/// A job must be open to take fixes.
pub fn require_open(job: &Job) -> AppResult<()> {
    if job.status.is_final() {
        return Err(AppError::client(
            409,
            "job_closed",
            format!("the job is {} and takes no more fixes", job.status.as_str()),
        ));
    }
    Ok(())
}

/// A tracker's device id → its trailer. An id no trailer has is counted for
/// `GET /api/devices/unknown` and answered by the caller exactly like a trailer without an open
/// job, so that ids cannot be probed. Called once the request is known to be well formed.
pub async fn device(env: &Env, device_id: &str, protocol: &str, now: DateTime<Utc>) -> AppResult<Option<Device>> {
    let device = crate::db::trailers::device(env, device_id).await?;
    if device.is_none() {
        crate::db::devices::seen_unknown(env, device_id, protocol, now).await?;
    }
    Ok(device)
}

/// Tells dispatchers when a device's reports are dropped for a reason only a person can fix.
pub async fn flag_if_needed(env: &Env, device_id: &str, why: Ignored, now: DateTime<Utc>) -> AppResult<()> {
    if why.needs_attention() {
        crate::db::devices::flag(env, device_id, why.code(), now).await?;
    }
    Ok(())
}

/// Settles a tracker's positions at receive time `now` and stores the usable ones on `job`.
/// One position that fails the shared checks (a latitude of 91) is the request's error; in a
/// batch it is listed in `rejected`, because refusing the batch would have it re-sent for ever.
pub async fn settle_and_store(
    env: &Env,
    ctx: &Context,
    device_id: &str,
    device: &Device,
    job: &Job,
    positions: Vec<Reported>,
    now: DateTime<Utc>,
) -> AppResult<Summary> {
    let single = positions.len() == 1;
    let mut checked = Vec::with_capacity(positions.len());
    let mut ignored = Vec::new();
    for (index, reported) in positions.into_iter().enumerate() {
        match reported.for_trailer(&device.trailer_id).settle(now) {
            Ok(Outcome::Store(c)) => checked.push((index, Ok(c))),
            Ok(Outcome::Ignored(why)) => ignored.push(IgnoredAt { index, ignored: why }),
            Err(e) if single => return Err(e.into()),
            Err(e) => checked.push((index, Err(e))),
        }
    }
    let mut reasons: Vec<Ignored> = ignored.iter().map(|i| i.ignored).collect();
    reasons.sort_unstable_by_key(|r| r.code());
    reasons.dedup();
    for why in &reasons {
        flag_if_needed(env, device_id, *why, now).await?;
    }
    let mut summary = store(env, ctx, job, checked).await?;
    if summary.accepted + summary.duplicates > 0 && device.is_flagged() && reasons.iter().all(|r| !r.needs_attention())
    {
        crate::db::devices::clear_flags(env, device_id).await?;
    }
    match reasons.as_slice() {
        [why] if summary.accepted + summary.duplicates + summary.rejected.len() == 0 => summary.ignored = Some(*why),
        _ => summary.ignored_positions = ignored,
    }
    Ok(summary)
}
