//! `GET /api/jobs/{token or job_id}/live`: the location view as a stream, a new event on every
//! accepted fix and job change. Authorised exactly as `/location` (same scopes, same 404 for
//! another job, 410 `link_revoked`); a WebSocket upgrade or server-sent events.

use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::AppResult;

pub async fn get(req: &Request, env: &Env, key: &str) -> AppResult {
    let (job_id, claims) = super::resolve(req, env, key, &[Scope::Track, Scope::Dispatch])?;
    let websocket = crate::http::header(req, "Upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    crate::live::connect(env, &job_id, &claims, websocket).await
}
