//! `GET /api/jobs/{token or job_id}`: the job as the token's scope may see it.

use qdn_shared::token::Scope;
use qdn_shared::view;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn get(req: &Request, env: &Env, key: &str) -> AppResult {
    let (job_id, claims) = super::resolve(req, env, key, &[Scope::Track, Scope::Dispatch])?;
    let job = crate::db::jobs::get(env, &job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    let body = if claims.scope == Scope::Dispatch {
        dispatch_view(env, &job).await?
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

/// Everything a dispatcher needs on one screen: the job, where its trailer is and the ETA (as
/// the customer sees them), how its status got here, and its conversation.
async fn dispatch_view(env: &Env, job: &crate::db::jobs::Job) -> AppResult<serde_json::Value> {
    let fixes = crate::db::fixes::recent(env, &job.job_id).await?;
    let past = crate::cache::past_trips_for(env, job, &fixes).await?;
    let location = view::location_view(&job.facts(), fixes, &past, None);
    let history: Vec<_> = crate::db::jobs::history_of(env, &job.job_id)
        .await?
        .into_iter()
        .map(|h| {
            serde_json::json!({
                "status": h.status,
                "at": qdn_shared::time::rfc3339(h.at),
                "source": h.source,
            })
        })
        .collect();
    let mut out = super::dispatch_json(job);
    out["position"] = serde_json::to_value(&location.position).unwrap_or_default();
    out["eta"] = serde_json::to_value(&location.eta).unwrap_or_default();
    out["history"] = history.into();
    // The thread: every text and call with the customer, oldest first, with who handled it.
    let messages = crate::db::thread::of_job(env, &job.job_id, crate::db::thread::Part::Everything, false).await?;
    out["messages"] = serde_json::to_value(messages).unwrap_or_default();
    Ok(out)
}
