//! The answered leg's screening: `POST /voice/screen?tier=N[&job=J]` tells the dispatcher who is
//! calling about which job (status, ETA) and asks them to press 1;
//! `POST /voice/screen-result?tier=N` connects on 1 (remembered for `/voice/next`, and in the
//! call's record as who took it) and hangs up the leg otherwise, so a dispatcher's voicemail box
//! never ends the cascade.

use qdn_shared::relay::command;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};
use crate::twilio::{param, twiml, verified_form, xml_escape};

pub async fn prompt(req: &mut Request, env: &Env) -> AppResult {
    let params = verified_form(req, env).await?;
    let tier = super::tier_param(req).ok_or_else(|| AppError::bad_request("invalid_tier", "tier must be a number"))?;
    let job = match super::job_param(req) {
        // Said without its context rather than not at all.
        Some(id) => crate::relay::context::of_job(env, &id).await.unwrap_or_else(|e| {
            worker::console_error!("voice: the job's context could not be read: {e}");
            None
        }),
        None => None,
    };
    // The caller as recorded when the call came in: the answered leg's own `From` is the caller
    // ID Twilio dialled the dispatcher with, not necessarily the caller's number.
    let parent = param(&params, "ParentCallSid").unwrap_or_default();
    let recorded = crate::db::voice::call_of(env, parent).await?.map(|(_, from)| from);
    let caller = recorded.as_deref().or(param(&params, "From")).unwrap_or_default();
    let context = job.as_ref().map(|(j, eta_min)| command::JobContext {
        customer_name: command::name_for(&j.customer_name, &j.customer_phone, caller),
        job_id: &j.job_id,
        status: j.status,
        eta_min: *eta_min,
    });
    let words = command::call_screen_text(caller, context.as_ref());
    Ok(twiml(&format!(
        "<Response><Gather numDigits=\"1\" timeout=\"6\" action=\"/voice/screen-result?tier={tier}\" method=\"POST\">\
         <Say>{}</Say></Gather><Hangup/></Response>",
        xml_escape(&words)
    )))
}

pub async fn result(req: &mut Request, env: &Env) -> AppResult {
    let params = verified_form(req, env).await?;
    let tier = super::tier_param(req).ok_or_else(|| AppError::bad_request("invalid_tier", "tier must be a number"))?;
    if param(&params, "Digits") != Some("1") {
        return Ok(twiml("<Response><Hangup/></Response>"));
    }
    let parent = param(&params, "ParentCallSid")
        .or(param(&params, "CallSid"))
        .unwrap_or("")
        .to_string();
    let (roster, _) = crate::db::roster::get(env).await?;
    let who = roster
        .tiers
        .get(tier)
        .map(|t| t.dispatcher_id.clone())
        .unwrap_or_default();
    crate::db::voice::accept(env, &parent, &who).await?;
    crate::db::voice::answered(env, &parent, &who).await?;
    Ok(twiml("<Response><Say>Connecting.</Say></Response>"))
}
