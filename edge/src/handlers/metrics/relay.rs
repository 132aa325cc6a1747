//! `GET /api/metrics/relay?days=N` (dispatch): per UTC day, relayed messages, failovers,
//! exhausted cascades, time to ACK (p50, p90), delivery time (p50), and each dispatcher's share
//! of the day they could be relayed to, by the roster of each moment (`roster_history`). The
//! arithmetic is `qdn_shared::metrics`.

use qdn_shared::metrics;
use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::AppResult;

pub async fn get(req: &Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let q = crate::http::query_pairs(req);
    let days = metrics::days_param(q.iter().find(|(k, _)| k == "days").map(|(_, v)| v.as_str()))?;
    let now = crate::clock::now();
    let since = metrics::window_start(days, now);
    let (messages, deliveries) = crate::db::metrics::relay_facts(env, since).await?;
    let roster = crate::db::roster::versions_since(env, since).await?;
    let m = metrics::relay_days(days, now, &messages, &deliveries, &roster, &qdn_intl::Intl);
    Ok(crate::http::json(200, &m))
}
