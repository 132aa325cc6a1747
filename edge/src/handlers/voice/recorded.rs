//! `POST /voice/recorded[?job=J]`: the caller left a voicemail; its recording URL is relayed by
//! SMS like a text — in the call's job's thread, its dispatcher first, then the roster.

use qdn_shared::relay::message::MessageKind;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};
use crate::relay::{self, Op};
use crate::twilio::{param, twiml, verified_form};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    let params = verified_form(req, env).await?;
    let recording = param(&params, "RecordingSid")
        .filter(|s| s.starts_with("RE") && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric()))
        .ok_or_else(|| AppError::bad_request("invalid_recording", "RecordingSid is required"))?
        .to_string();
    let url = param(&params, "RecordingUrl")
        .unwrap_or("(no recording URL)")
        .to_string();
    let from = param(&params, "From")
        .or(param(&params, "Caller"))
        .unwrap_or("unknown caller")
        .to_string();
    let call = param(&params, "CallSid").unwrap_or("");
    let job_id = match super::job_param(req) {
        Some(j) => Some(j),
        None => crate::db::voice::call_of(env, call).await?.and_then(|(job, _)| job),
    };
    crate::db::voice::set_status(env, call, "voicemail").await?;
    // Stored before Twilio hears back, like a text (a failure is a 5xx it retries).
    let op = Op::Relay {
        kind: MessageKind::Voicemail,
        from,
        media: param(&params, "RecordingUrl").map(str::to_string).into_iter().collect(),
        body: url,
        to: param(&params, "To").map(str::to_string),
        job_id,
        fault: None,
    };
    relay::tell(env, &recording, &op).await?;
    Ok(twiml(
        "<Response><Say>Thank you. We will call you back soon. Goodbye.</Say><Hangup/></Response>",
    ))
}
