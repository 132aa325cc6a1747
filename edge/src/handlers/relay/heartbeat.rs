//! `POST /api/dispatchers/{dispatcher_id}/heartbeat` (dispatch): "I am here". A tier whose last
//! heartbeat is older than the roster's `heartbeat_stale_s` is skipped.

use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &Request, env: &Env, dispatcher_id: &str) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let (roster, _) = crate::db::roster::get(env).await?;
    if !roster.tiers.iter().any(|t| t.dispatcher_id == dispatcher_id) {
        return Err(AppError::client(
            404,
            "unknown_dispatcher",
            "no tier of the roster has this dispatcher_id",
        ));
    }
    let now = crate::clock::now();
    crate::db::roster::heartbeat(env, dispatcher_id, now).await?;
    Ok(crate::http::json(
        200,
        &serde_json::json!({ "dispatcher_id": dispatcher_id, "last_heartbeat": qdn_shared::time::rfc3339(now) }),
    ))
}
