//! Rate limits of the unauthenticated tracker endpoint, on the Workers Rate Limiting binding
//! (limits and periods in wrangler.toml).

use worker::{Env, Request};

use crate::error::{AppError, AppResult};

/// The window of the limits, in seconds: when to come back.
const PERIOD_S: u32 = 60;

async fn check(env: &Env, binding: &str, key: String) -> AppResult<()> {
    // A missing binding (an old wrangler.toml) must not take ingest down: no limit then.
    let Ok(limiter) = env.rate_limiter(binding) else {
        return Ok(());
    };
    match limiter.limit(key).await {
        Ok(outcome) if !outcome.success => Err(AppError::RateLimited {
            retry_after_s: PERIOD_S,
        }),
        _ => Ok(()),
    }
}

pub async fn by_ip(req: &Request, env: &Env) -> AppResult<()> {
    let ip = crate::http::header(req, "CF-Connecting-IP").unwrap_or_else(|| "unknown".into());
    check(env, "INGEST_BY_IP", ip).await
}

pub async fn by_device(env: &Env, device_id: &str) -> AppResult<()> {
    check(env, "INGEST_BY_DEVICE", device_id.to_string()).await
}
