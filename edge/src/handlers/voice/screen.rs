//! The answered leg's screening: `POST /voice/screen?tier=N` asks the dispatcher to press 1;
//! `POST /voice/screen-result?tier=N` connects on 1 (remembered for `/voice/next`) and hangs up
//! the leg otherwise, so a dispatcher's voicemail box never ends the cascade.

use worker::{Env, Request};

use crate::error::{AppError, AppResult};
use crate::twilio::{param, twiml, verified_form, xml_escape};

pub async fn prompt(req: &mut Request, env: &Env) -> AppResult {
    let params = verified_form(req, env).await?;
    let tier = super::tier_param(req).ok_or_else(|| AppError::bad_request("invalid_tier", "tier must be a number"))?;
    let caller = param(&params, "From").map(xml_escape).unwrap_or_default();
    Ok(twiml(&format!(
        "<Response><Gather numDigits=\"1\" timeout=\"6\" action=\"/voice/screen-result?tier={tier}\" method=\"POST\">\
         <Say>Call for Quick Dump Now from {caller}. Press 1 to take this call.</Say></Gather><Hangup/></Response>"
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
    Ok(twiml("<Response><Say>Connecting.</Say></Response>"))
}
