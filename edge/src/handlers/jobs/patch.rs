//! `PATCH /api/jobs/{job_id}` (dispatch): status, destination, trailers.

use qdn_shared::job::{JobError, JobPatchBody};
use qdn_shared::token::Scope;
use worker::{Context, Env, Request};

use crate::error::{AppError, AppResult};

pub async fn patch(req: &mut Request, env: &Env, ctx: &Context, job_id: &str) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    if !qdn_shared::job::valid_id(job_id) {
        return Err(AppError::job_not_found());
    }
    let patch = crate::http::json_body::<JobPatchBody>(req).await?.validate()?;
    let job = crate::db::jobs::get(env, job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    let status = patch.status.unwrap_or(job.status);
    if !job.status.can_become(status) {
        return Err(JobError::Transition(job.status, status).into());
    }
    let destination = patch.destination.as_ref().unwrap_or(&job.destination);
    let now = crate::clock::now();
    let trailers = patch.trailer_ids.as_deref();
    if !crate::db::jobs::update(env, job_id, job.status, status, destination, trailers, now).await? {
        return Err(AppError::client(
            409,
            "job_changed",
            "the job changed while this update was made; read it again and retry",
        ));
    }
    crate::cache::job_changed(job_id);
    let updated = crate::db::jobs::get(env, job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    // Open tracking pages get the new view, after the answer.
    let (live_env, live_job) = (env.clone(), job_id.to_string());
    ctx.wait_until(async move { crate::live::publish(&live_env, &live_job).await });
    if status != job.status {
        // The customer hears of it by SMS, after the answer (a Twilio outage never fails a PATCH).
        let (env, job) = (env.clone(), updated.clone());
        ctx.wait_until(async move {
            if let Err(e) = crate::notify::status_changed(&env, &job).await {
                worker::console_error!("status SMS for {} failed: {e:?}", job.job_id);
            }
        });
    }
    Ok(crate::http::json(200, &super::dispatch_json(&updated)))
}
