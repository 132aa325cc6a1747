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

/// The client's address as Cloudflare saw it (set by Cloudflare, not by the client).
fn client_ip(req: &Request) -> String {
    crate::http::header(req, "CF-Connecting-IP").unwrap_or_else(|| "unknown".into())
}

pub async fn by_ip(req: &Request, env: &Env) -> AppResult<()> {
    check(env, "INGEST_BY_IP", client_ip(req)).await
}

/// One device's budget, per address it sends from. The device id is public (it is all an
/// OsmAnd request carries), so a budget keyed by the id alone could be spent by anyone who
/// knows it, and a spoofer flooding that id would lock the real tracker out for as long as the
/// flood lasts. Keyed by id and address, a spoofer only spends the budget of their own address
/// (itself capped by [`by_ip`]); the real tracker, sending from its own address, keeps its
/// budget. What the key still does: one runaway tracker behind a depot's shared address cannot
/// use up that address's whole budget and starve its neighbours.
pub async fn by_device(req: &Request, env: &Env, device_id: &str) -> AppResult<()> {
    check(env, "INGEST_BY_DEVICE", format!("{device_id}@{}", client_ip(req))).await
}
