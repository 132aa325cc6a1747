//! Location ingest: our JSON API and the tracker apps' protocols, all stored the same way.

pub mod json;
pub mod osmand;
pub mod owntracks;

use qdn_shared::fix::{Fix, FixError};
use qdn_shared::ErrorCode;
use serde::Serialize;
use worker::Env;

use crate::db::jobs::Job;
use crate::error::{AppError, AppResult};

#[derive(Debug, Serialize)]
pub struct Rejected {
    pub index: usize,
    pub error: &'static str,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejected>,
}

/// Stores the valid fixes of `checked` for `job`; the invalid ones are reported by index.
pub async fn store(env: &Env, job: &Job, checked: Vec<Result<Fix, FixError>>) -> AppResult<Summary> {
    let mut valid = Vec::with_capacity(checked.len());
    let mut rejected = Vec::new();
    for (index, r) in checked.into_iter().enumerate() {
        match r {
            Ok(f) => valid.push(f),
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
    }
    Ok(Summary {
        accepted,
        duplicates: valid.len() - accepted,
        rejected,
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

/// A tracker's device id → its trailer → the trailer's open job.
pub async fn device_job(env: &Env, device_id: &str) -> AppResult<(String, Option<Job>)> {
    let trailer_id = crate::db::trailers::by_device(env, device_id).await?.ok_or_else(|| {
        AppError::client(
            404,
            "unknown_device",
            "no trailer has this device id; register it with PUT /api/trailers/{trailer_id}",
        )
    })?;
    let job = crate::db::jobs::active_for_trailer(env, &trailer_id).await?;
    Ok((trailer_id, job))
}

/// The answer when a known trailer has no open job: nothing to attach the fix to, which is
/// not the tracker's fault, so it must not retry.
pub fn no_open_job() -> serde_json::Value {
    serde_json::json!({ "accepted": 0, "duplicates": 0, "rejected": [], "ignored": "no_open_job" })
}
