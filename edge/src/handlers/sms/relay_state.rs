//! `POST /sms/relay-state` (dispatch) `{"message_sid"}`: where one inbound message's relay stands
//! — its state, reference, job, who acknowledged it, and every attempt.

use qdn_shared::body::{Field, RequestBody};
use qdn_shared::token::Scope;
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    message_sid: Field<String>,
}

impl RequestBody for Body {}

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let sid = match crate::http::json_body::<Body>(req).await?.message_sid {
        Field::Value(s) if s.len() <= 64 && !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()) => s,
        _ => {
            return Err(AppError::bad_request(
                "invalid_message_sid",
                "message_sid must be a Twilio MessageSid (or a voicemail's RecordingSid)",
            ))
        }
    };
    let (m, attempts) = crate::db::messages::by_sid(env, &sid)
        .await?
        .ok_or_else(|| AppError::client(404, "message_not_found", "no relayed message has that SID"))?;
    let time = |ms: f64| qdn_shared::time::from_ms(ms as i64).map(qdn_shared::time::rfc3339);
    let tries: Vec<_> = attempts
        .iter()
        .map(|a| {
            json!({ "n": a.n as u32, "dispatcher_id": a.dispatcher_id, "to": a.to_phone, "at": time(a.at),
                    "twilio_sid": a.twilio_sid, "status": a.outcome, "error_code": a.error_code.map(|c| c as u32) })
        })
        .collect();
    Ok(crate::http::json(
        200,
        &json!({ "message_sid": m.message_sid, "ref": format!("#{}", m.r#ref), "kind": m.kind, "from": m.from_phone,
                 "job_id": m.job_id, "state": m.state, "acked_by": m.acked_by, "failovers": m.failovers as u32,
                 "created_at": time(m.created_at), "media": m.media_urls(), "attempts": tries }),
    ))
}
