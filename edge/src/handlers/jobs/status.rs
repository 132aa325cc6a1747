//! `GET /api/jobs/{job_id}/message-status` and `GET /api/jobs/{job_id}/call-status` (dispatch):
//! the job's texts (both ways) / calls, oldest first, each with every relay attempt — the tiers
//! texted or rung for the customer's, the sender numbers tried for ours — and its status.

use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::db::thread::Part;
use crate::error::{AppError, AppResult};

pub async fn messages(req: &Request, env: &Env, key: &str) -> AppResult {
    list(req, env, key, Part::Messages, "messages").await
}

pub async fn calls(req: &Request, env: &Env, key: &str) -> AppResult {
    list(req, env, key, Part::Calls, "calls").await
}

async fn list(req: &Request, env: &Env, key: &str, part: Part, name: &str) -> AppResult {
    let (job_id, claims) = super::resolve(req, env, key, &[Scope::Dispatch])?;
    // A track token in the path is the customer's: it sees no phone numbers.
    crate::auth::require_scope(&claims, &[Scope::Dispatch])?;
    crate::db::jobs::get(env, &job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    let items = crate::db::thread::of_job(env, &job_id, part, true).await?;
    let mut body = serde_json::json!({ "job_id": job_id });
    body[name] = serde_json::to_value(items).unwrap_or_default();
    Ok(crate::http::json(200, &body))
}
