//! `/api/jobs`: create, read, patch, and the customer's location view.

pub mod create;
pub mod eta_metrics;
pub mod links;
pub mod list;
pub mod live;
pub mod location;
pub mod messages;
pub mod patch;
pub mod read;
pub mod read_mark;
pub mod status;
pub mod webhooks;

use qdn_shared::token::{Claims, Scope};
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

/// `{key}` is a track token (the SMS link's form) or a job id with a Bearer token.
/// Returns the job id the caller may see and the claims.
pub fn resolve(req: &Request, env: &Env, key: &str, scopes: &[Scope]) -> AppResult<(String, Claims)> {
    if key.contains('.') {
        let claims = crate::auth::verify(env, key)?;
        crate::auth::require_scope(&claims, &[Scope::Track])?;
        let job_id = claims.job_id.clone().ok_or_else(AppError::job_not_found)?;
        return Ok((job_id, claims));
    }
    if !qdn_shared::job::valid_id(key) {
        return Err(AppError::job_not_found());
    }
    let claims = crate::auth::require(req, env, scopes)?;
    crate::auth::require_job(&claims, key)?;
    Ok((key.to_string(), claims))
}

/// The dispatcher's view of a job, as its writes answer it.
pub fn dispatch_json(job: &crate::db::jobs::Job) -> serde_json::Value {
    let d = &job.details;
    serde_json::json!({
        "job_id": job.job_id,
        "customer_name": job.customer_name,
        "customer_phone": job.customer_phone,
        "destination": job.destination,
        "stops": d.stops,
        "stop_index": job.stop_index,
        "status": job.status,
        "trailer_ids": job.trailer_ids,
        "trailer_count": job.trailer_ids.len(),
        "dispatcher_id": d.dispatcher_id,
        "window_end": d.window_end.map(qdn_shared::time::rfc3339),
        "notify": d.notify,
        "geofence_m": d.geofence_m,
        "created_at": qdn_shared::time::rfc3339(job.created_at),
        "updated_at": qdn_shared::time::rfc3339(job.updated_at),
    })
}

/// A job's `dispatcher_id` must be on the roster: a typo would silently route the customer's
/// texts past the dispatcher who knows the job.
pub async fn check_dispatcher(env: &Env, dispatcher_id: Option<&str>) -> AppResult<()> {
    let Some(id) = dispatcher_id else {
        return Ok(());
    };
    let (roster, _) = crate::db::roster::get(env).await?;
    if roster.tiers.iter().any(|t| t.dispatcher_id == id) {
        Ok(())
    } else {
        Err(AppError::client(
            400,
            "unknown_dispatcher",
            format!("{id} is not a dispatcher_id on the relay roster (GET /api/relay/roster)"),
        ))
    }
}
