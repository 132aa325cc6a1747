//! `GET /api/metrics/eta` (dispatch): how the ETAs shown on the way compared with the actual
//! arrivals, over completed jobs (kept 90 days): `{"jobs", "mdape", "p90_abs_error_s"}`.

use qdn_shared::eta::accuracy;
use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::AppResult;

pub async fn get(req: &Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let since = crate::clock::now() - chrono::Duration::days(crate::cron::AUDIT_DAYS);
    let outcomes = crate::db::arrival::completed_outcomes(env, since).await?;
    let mut jobs: Vec<&str> = outcomes.iter().map(|(j, _)| j.as_str()).collect();
    jobs.sort_unstable();
    jobs.dedup();
    let pairs: Vec<(f64, f64)> = outcomes.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    let s = accuracy::summary(&pairs);
    Ok(crate::http::json(
        200,
        &serde_json::json!({
            "jobs": jobs.len(),
            "predictions": pairs.len(),
            "mdape": s.mdape.map(|m| (m * 1000.0).round() / 1000.0),
            "p90_abs_error_s": s.p90_abs_error_s.map(f64::round),
        }),
    ))
}
