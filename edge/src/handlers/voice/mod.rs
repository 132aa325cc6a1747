//! Calls to the company number: dial tier after tier, each answered leg screened ("press 1"),
//! then a voicemail whose recording is relayed like a text.

pub mod inbound;
pub mod next;
pub mod recorded;
pub mod screen;

use qdn_shared::relay::alert::AlertKind;
use worker::Env;

use crate::error::AppResult;
use crate::twilio::{twiml, xml_escape};

/// Dials the first callable tier at roster position `from` or later, else takes a voicemail.
/// A call that finds nobody callable at all rings the last tier anyway (the ultimate fallback).
pub async fn dial_from(env: &Env, from: usize) -> AppResult {
    let (roster, _) = crate::db::roster::get(env).await?;
    let beats = crate::db::roster::heartbeats(env).await?;
    let tiers: Vec<_> = roster
        .tiers_now(&beats, crate::clock::now(), &crate::local_time::Intl)
        .collect();
    let mut next = tiers
        .iter()
        .find(|t| t.index >= from && t.eligibility.is_ok())
        .map(|t| (t.index, t.tier));
    if next.is_none() && from == 0 && !tiers.is_empty() {
        let skipped: Vec<String> = tiers
            .iter()
            .filter_map(|t| {
                t.eligibility
                    .err()
                    .map(|why| format!("{}: {}", t.tier.dispatcher_id, why.as_str()))
            })
            .collect();
        let last = tiers.len() - 1;
        crate::alerts::raise(
            env,
            AlertKind::NoneEligible,
            &format!(
                "a call found no eligible dispatcher, so the last tier ({}) is rung; skipped {}",
                tiers[last].tier.dispatcher_id,
                skipped.join(", ")
            ),
        )
        .await;
        next = Some((last, tiers[last].tier));
    }
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
