//! `POST /voice/next?tier=N[&job=J]`: the `<Dial>` of roster tier N ended. A leg that was
//! answered and screened in ends the cascade; `no-answer`, `busy`, `failed`, `canceled` (or an
//! answer by a voicemail box, which cannot press 1) ring the next tier of the job's order.

use worker::{Env, Request};

use crate::error::{AppError, AppResult};
use crate::twilio::{param, twiml, verified_form};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    let params = verified_form(req, env).await?;
    let tier = super::tier_param(req).ok_or_else(|| AppError::bad_request("invalid_tier", "tier must be a number"))?;
    let job = super::job_param(req);
    let status = param(&params, "DialCallStatus").unwrap_or("");
    let call = param(&params, "CallSid").unwrap_or("");
    if matches!(status, "completed" | "answered") && crate::db::voice::was_accepted(env, call).await? {
        return Ok(twiml("<Response><Hangup/></Response>"));
    }
    // Answered but never screened in: a voicemail box, or a dispatcher who did not press 1.
    let outcome = match status {
        "completed" | "answered" => "not_taken",
        "" => "unknown",
        s => s,
    };
    crate::db::voice::dial_ended(env, call, outcome).await?;
    let from = super::after(env, job.as_deref(), tier).await?;
    super::dial_from(env, call, job.as_deref(), from).await
}
