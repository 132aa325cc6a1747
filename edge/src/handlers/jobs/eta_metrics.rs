//! `GET /api/metrics/eta[?days=N]` (dispatch): how the ETAs shown on the way compared with the
//! actual arrivals of completed jobs (kept 90 days): `{"jobs", "predictions", "mdape",
//! "p90_abs_error_s", "arriving_soon": {"sent", "on_time", "lead_p50_s"}}` over the last 90
//! days, or over `days` days with the same figures per UTC day in `"days"`.

use qdn_shared::metrics::eta::{eta_days, eta_figures, ArrivalFact};
use qdn_shared::metrics::{days_param, window_start};
use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::AppResult;

pub async fn get(req: &Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let q = crate::http::query_pairs(req);
    let days = q
        .iter()
        .find(|(k, _)| k == "days")
        .map(|(_, v)| days_param(Some(v)))
        .transpose()?;
    let now = crate::clock::now();
    let since = match days {
        Some(d) => window_start(d, now),
        None => now - chrono::Duration::days(crate::cron::AUDIT_DAYS),
    };
    let arrivals: Vec<ArrivalFact> = crate::db::arrival::completed_outcomes(env, since)
        .await?
        .into_iter()
        .map(|(job_id, o)| ArrivalFact {
            job_id,
            arrived_at: o.arrived_at,
            pairs: o.pairs,
            notice_lead_s: o.notice_lead_s,
        })
        .collect();
    let mut out = serde_json::to_value(eta_figures(&arrivals.iter().collect::<Vec<_>>()))
        .map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
    if let Some(d) = days {
        out["days"] = serde_json::to_value(eta_days(d, now, &arrivals)).unwrap_or_default();
    }
    Ok(crate::http::json(200, &out))
}
