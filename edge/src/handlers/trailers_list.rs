//! `GET /api/trailers` (dispatch): every registered trailer and every trailer of an open job,
//! with its tracker device, its open job and its newest fix of the last 7 days.

use qdn_shared::time::rfc3339;
use qdn_shared::token::Scope;
use serde_json::json;
use worker::{Env, Request};

use crate::error::AppResult;

const LIMIT: u32 = 500;

pub async fn get(req: &Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let since = crate::clock::now() - qdn_shared::fix::MAX_AGE;
    let trailers: Vec<_> = crate::db::fleet::trailers(env, since, LIMIT)
        .await?
        .into_iter()
        .map(|t| {
            let fix = t.last_fix.map(|f| {
                json!({ "lat": f.lat, "lon": f.lon, "recorded_at": rfc3339(f.recorded_at),
                        "speed_mps": f.speed_mps, "job_id": f.job_id })
            });
            json!({ "trailer_id": t.trailer_id, "device_id": t.device_id, "job_id": t.job_id,
                    "job_status": t.job_status, "last_fix": fix })
        })
        .collect();
    Ok(crate::http::json(200, &json!({ "trailers": trailers })))
}
