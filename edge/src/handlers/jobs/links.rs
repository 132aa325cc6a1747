//! `POST /api/jobs/{job_id}/links` (dispatch): a new tracking link for the job's customer.
//! `DELETE /api/jobs/{job_id}/links` (dispatch): withdraws every link of the job issued until
//! now (410 `link_revoked`, and the page says so); a link made afterwards works.

use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

async fn job_for_dispatch(req: &Request, env: &Env, job_id: &str) -> AppResult<qdn_shared::token::Claims> {
    let caller = crate::auth::require(req, env, &[Scope::Dispatch])?;
    if !qdn_shared::job::valid_id(job_id) {
        return Err(AppError::job_not_found());
    }
    crate::db::jobs::get(env, job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    Ok(caller)
}

pub async fn post(req: &Request, env: &Env, job_id: &str) -> AppResult {
    job_for_dispatch(req, env, job_id).await?;
    let cfg = crate::config::get(env);
    let (token, claims) = crate::links::issue_track(&cfg, job_id)?;
    Ok(crate::http::json(
        201,
        &serde_json::json!({
            "job_id": job_id,
            "tracking_url": crate::links::tracking_url(&cfg, &token),
            "track_token": token,
            "jti": claims.jti,
            "expires_at": qdn_shared::time::from_ms(claims.exp * 1000).map(qdn_shared::time::rfc3339),
        }),
    ))
}

pub async fn delete(req: &Request, env: &Env, job_id: &str) -> AppResult {
    let caller = job_for_dispatch(req, env, job_id).await?;
    let now = crate::clock::now().timestamp();
    crate::db::revocations::revoke_job(env, job_id, now, caller.sub.as_deref()).await?;
    worker::console_log!("withdrew every tracking link of job {job_id}");
    crate::revocations::apply(|r| {
        let at = r.jobs.entry(job_id.to_string()).or_insert(now);
        *at = (*at).max(now);
    });
    Ok(crate::http::json(
        200,
        &serde_json::json!({
            "job_id": job_id,
            "revoked_at": qdn_shared::time::from_ms(now * 1000).map(qdn_shared::time::rfc3339),
        }),
    ))
}
