//! `POST /api/jobs/{job_id}/read` (dispatch, as a dispatcher) `{"until"?}`: the dispatcher has
//! read the job's thread up to `until` (default now; never later than now, never moved back).
//! 200 `{"job_id", "dispatcher_id", "read_until"}`. The console's unread markers
//! (`unread` in `GET /api/jobs`) count the inbound items after it, on every device.

use qdn_shared::relay::thread::ReadBody;
use qdn_shared::token::{Claims, Scope};
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env, key: &str) -> AppResult {
    let (job_id, claims) = super::resolve(req, env, key, &[Scope::Dispatch])?;
    crate::auth::require_scope(&claims, &[Scope::Dispatch])?;
    let dispatcher_id = dispatcher(&claims).ok_or_else(|| {
        AppError::bad_request(
            "no_dispatcher",
            "a read mark is a dispatcher's: sign in to the console, or use a dispatch token whose sub is a dispatcher_id",
        )
    })?;
    let until = crate::http::json_body_or_empty::<ReadBody>(req)
        .await?
        .validate(crate::clock::now())?;
    crate::cache::job(env, &job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    let read_until = crate::db::reads::mark(env, dispatcher_id, &job_id, until).await?;
    Ok(crate::http::json(
        200,
        &serde_json::json!({
            "job_id": job_id,
            "dispatcher_id": dispatcher_id,
            "read_until": qdn_shared::time::rfc3339(read_until),
        }),
    ))
}

/// Who the credential speaks for: the console's session (its dispatcher), or a dispatch token's
/// `sub`.
pub fn dispatcher(claims: &Claims) -> Option<&str> {
    claims.sub.as_deref().filter(|s| !s.is_empty())
}
