//! Calls to the company number: dial tier after tier, each answered leg screened ("press 1"),
//! then a voicemail whose recording is relayed like a text.

pub mod inbound;
pub mod next;
pub mod recorded;
pub mod screen;

use qdn_shared::relay::roster::{eligibility, Tier};
use worker::Env;

use crate::error::AppResult;
use crate::twilio::{twiml, xml_escape};

/// The roster's tiers that may be called now, with their roster positions.
pub async fn callable(env: &Env) -> AppResult<Vec<(usize, Tier)>> {
    let (roster, _) = crate::db::relay::roster(env).await?;
    let beats = crate::db::relay::heartbeats(env).await?;
    let now = crate::clock::now();
    Ok(roster
        .tiers
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            let hb = beats.iter().find(|(d, _)| *d == t.dispatcher_id).map(|(_, at)| *at);
            eligibility(&roster, t, hb, now, &crate::local_time::Intl).is_ok()
        })
        .map(|(i, t)| (i, t.clone()))
        .collect())
}

/// Dials the first callable tier at roster position `from` or later, else takes a voicemail.
pub async fn dial_from(env: &Env, from: usize) -> AppResult {
    let next = callable(env).await?.into_iter().find(|(i, _)| *i >= from);
    Ok(match next {
        Some((i, t)) => twiml(&format!(
            "<Response><Dial timeout=\"15\" action=\"/voice/next?tier={i}\" method=\"POST\">\
             <Number url=\"/voice/screen?tier={i}\" method=\"POST\">{}</Number></Dial></Response>",
            xml_escape(&t.phone)
        )),
        None => voicemail(),
    })
}

pub fn voicemail() -> worker::Response {
    twiml(
        "<Response><Say>Sorry, no one can take your call right now. Please leave a message after the tone, \
         and we will call you back.</Say><Record maxLength=\"120\" playBeep=\"true\" action=\"/voice/recorded\" method=\"POST\"/>\
         <Say>We did not get a message. Goodbye.</Say></Response>",
    )
}

pub fn tier_param(req: &worker::Request) -> Option<usize> {
    crate::http::query_pairs(req)
        .into_iter()
        .find(|(k, _)| k == "tier")
        .and_then(|(_, v)| v.parse().ok())
}
