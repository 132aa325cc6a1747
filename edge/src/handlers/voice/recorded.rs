//! `POST /voice/recorded`: the caller left a voicemail; its recording URL is relayed by SMS
//! through the roster, starting with the primary, like a text.

use qdn_shared::relay::message::MessageKind;
use worker::{Context, Env, Request};

use crate::error::{AppError, AppResult};
use crate::relay::{self, Op};
use crate::twilio::{param, twiml, verified_form};

pub async fn post(req: &mut Request, env: &Env, ctx: &Context) -> AppResult {
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
    let env = env.clone();
    ctx.wait_until(async move {
        if let Err(e) = relay::tell(
            &env,
            &recording,
            &Op::Relay {
                kind: MessageKind::Voicemail,
                from,
                body: url,
                media: Vec::new(),
            },
        )
        .await
        {
            worker::console_error!("relay of a voicemail failed: {e}");
        }
    });
    Ok(twiml(
        "<Response><Say>Thank you. We will call you back soon. Goodbye.</Say><Hangup/></Response>",
    ))
}
