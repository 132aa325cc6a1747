//! `POST /api/maintenance/run` (dispatch): runs the cron's work now — retention (fixes 7 days,
//! relay audit 90 days) and the stale-heartbeat check. Also how tests drive it: local
//! `wrangler dev` cannot deliver a scheduled event to worker-build's class entrypoint.

use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::AppResult;

pub async fn post(req: &Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let report = match crate::meter::now_override(req, env) {
        Some(now) => crate::cron::run_at(env, now).await?,
        None => crate::cron::run(env).await?,
    };
    Ok(crate::http::json(200, &report))
}
