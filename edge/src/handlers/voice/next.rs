//! `POST /voice/next?tier=N`: the `<Dial>` of tier N ended. A leg that was answered and screened
//! in ends the cascade; `no-answer`, `busy`, `failed`, `canceled` (or an answer by a voicemail
//! box, which cannot press 1) ring the next tier.

use worker::{Env, Request};

use crate::error::{AppError, AppResult};
use crate::twilio::{param, twiml, verified_form};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    let params = verified_form(req, env).await?;
    let tier = super::tier_param(req).ok_or_else(|| AppError::bad_request("invalid_tier", "tier must be a number"))?;
    let status = param(&params, "DialCallStatus").unwrap_or("");
    let call = param(&params, "CallSid").unwrap_or("");
    if matches!(status, "completed" | "answered") && crate::db::voice::was_accepted(env, call).await? {
        return Ok(twiml("<Response><Hangup/></Response>"));
    }
    super::dial_from(env, tier + 1).await
}
