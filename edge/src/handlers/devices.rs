//! `GET /api/devices/unknown` (dispatch): what a dispatcher needs to get trackers reporting —
//! device ids that trackers sent in the last 7 days but no trailer has (to assign with
//! `PUT /api/trailers/{id}`), and registered devices whose reports are acknowledged but not
//! stored for a reason only a person can fix (`needs_attention`: no or wrong OwnTracks key, a
//! clock more than a day fast).

use qdn_shared::time::rfc3339;
use qdn_shared::token::Scope;
use serde_json::json;
use worker::{Env, Request};

use crate::db::time;
use crate::error::AppResult;

pub async fn unknown(req: &Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let since = crate::clock::now() - qdn_shared::fix::MAX_AGE;
    let devices: Vec<_> = crate::db::devices::unknown_since(env, since)
        .await?
        .into_iter()
        .map(|d| {
            json!({ "device_id": d.device_id, "protocol": d.protocol, "first_seen": rfc3339(time(d.first_seen)),
                    "last_seen": rfc3339(time(d.last_seen)), "count": d.count as u64 })
        })
        .collect();
    let flagged: Vec<_> = crate::db::devices::flagged_since(env, since)
        .await?
        .into_iter()
        .map(|f| {
            json!({ "device_id": f.device_id, "trailer_id": f.trailer_id, "reason": f.reason,
                    "first_seen": rfc3339(time(f.first_seen)), "last_seen": rfc3339(time(f.last_seen)),
                    "count": f.count as u64 })
        })
        .collect();
    Ok(crate::http::json(
        200,
        &json!({ "devices": devices, "needs_attention": flagged }),
    ))
}
