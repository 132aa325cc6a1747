//! Per-job Twilio webhooks, signed like every other (over the URL as Twilio calls it):
//! `POST /api/jobs/{job_id}/sms-webhook` and `POST /api/jobs/{job_id}/call-webhook` are
//! `/sms/inbound` and `/voice/inbound` with the job fixed — for a number (or a Twilio Studio
//! flow) that is about one job whoever writes from it.

use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn sms(req: &mut Request, env: &Env, job_id: &str) -> AppResult {
    crate::handlers::sms::inbound::receive(req, env, Some(checked(job_id)?)).await
}

pub async fn call(req: &mut Request, env: &Env, job_id: &str) -> AppResult {
    crate::handlers::voice::inbound::receive(req, env, Some(checked(job_id)?)).await
}

fn checked(job_id: &str) -> AppResult<String> {
    if qdn_shared::job::valid_id(job_id) {
        Ok(job_id.to_string())
    } else {
        Err(AppError::job_not_found())
    }
}

/// The fixed job must exist (checked after the signature, so the answer tells a stranger nothing).
pub async fn require_job(env: &Env, job_id: &str) -> AppResult<()> {
    crate::db::jobs::get(env, job_id)
        .await?
        .map(|_| ())
        .ok_or_else(AppError::job_not_found)
}
