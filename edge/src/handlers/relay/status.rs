//! `GET|POST /relay/status` (dispatch): recent relayed messages with every attempt, failover
//! and exhaustion counts (24 h), and each tier's availability now.

use qdn_shared::token::Scope;
use serde_json::json;
use worker::{Env, Request};

use crate::error::AppResult;

pub async fn get(req: &Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let now = crate::clock::now();
    let time = |ms: f64| qdn_shared::time::from_ms(ms as i64).map(qdn_shared::time::rfc3339);
    let (messages, attempts) = crate::db::messages::recent(env, 20).await?;
    let messages: Vec<_> = messages
        .iter()
        .map(|m| {
            let tries: Vec<_> = attempts
                .iter()
                .filter(|a| a.message_sid == m.message_sid)
                .map(|a| {
                    json!({ "n": a.n as u32, "dispatcher_id": a.dispatcher_id, "to": a.to_phone, "at": time(a.at),
                            "twilio_sid": a.twilio_sid, "status": a.outcome, "error_code": a.error_code.map(|c| c as u32) })
                })
                .collect();
            json!({ "message_sid": m.message_sid, "ref": format!("#{}", m.r#ref), "kind": m.kind, "from": m.from_phone,
                    "job_id": m.job_id, "state": m.state, "acked_by": m.acked_by, "failovers": m.failovers as u32,
                    "created_at": time(m.created_at), "media": m.media_urls(), "attempts": tries })
        })
        .collect();
    let counts = crate::db::messages::counts(env, now - chrono::Duration::hours(24)).await?;
    let (roster, stored) = crate::db::roster::get(env).await?;
    let beats = crate::db::roster::heartbeats(env).await?;
    let tiers: Vec<_> = roster
        .tiers_now(&beats, now, &qdn_intl::Intl)
        .map(|n| {
            let t = n.tier;
            json!({ "tier": n.index, "dispatcher_id": t.dispatcher_id, "name": t.name, "phone": t.phone, "available": t.available,
                    "eligible_now": n.eligibility.is_ok(), "skip_reason": n.eligibility.err(),
                    "last_heartbeat": n.last_heartbeat.map(qdn_shared::time::rfc3339) })
        })
        .collect();
    Ok(crate::http::json(
        200,
        &json!({
            "messages": messages,
            "counts": { "window_hours": 24, "failovers": counts.failovers, "exhausted": counts.exhausted,
                        "acknowledged": counts.acked, "open": counts.open },
            "roster_source": if stored { "stored" } else { "settings" },
            "tiers": tiers,
        }),
    ))
}
