//! `GET /api/jobs/{token or job_id}`: the job as the token's scope may see it.

use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn get(req: &Request, env: &Env, key: &str) -> AppResult {
    let (job_id, claims) = super::resolve(req, env, key, &[Scope::Track, Scope::Dispatch])?;
    let job = crate::db::jobs::get(env, &job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    let body = if claims.scope == Scope::Dispatch {
        super::dispatch_json(&job)
    } else {
        // The customer's view: no names, phone numbers or other jobs' data.
        serde_json::json!({
            "job_id": job.job_id,
            "status": job.status,
            "destination": job.destination,
            "trailer_count": job.trailer_ids.len(),
            "updated_at": qdn_shared::time::rfc3339(job.updated_at),
            "company_phone": crate::config::get(env).company_number,
        })
    };
    Ok(crate::http::json(200, &body))
}
