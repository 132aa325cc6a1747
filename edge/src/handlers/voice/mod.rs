//! Calls to the company number: dial tier after tier — the job's own dispatcher first — each
//! answered leg screened ("press 1", after the caller's job is named), then a voicemail whose
//! recording is relayed like a text. Every call is recorded in `calls`, with its job.
//!
//! The URLs Twilio calls back carry the roster position just rung (`tier`) and the call's job
//! (`job`), so each step knows the order without state of its own.

pub mod inbound;
pub mod next;
pub mod recorded;
pub mod screen;

use qdn_shared::relay::alert::AlertKind;
use worker::{Env, Request};

use crate::error::AppResult;
use crate::twilio::{twiml, xml_escape};

/// Dials the first callable tier at position `from` or later of the job's order (its dispatcher,
/// then the roster), else takes a voicemail. A call that finds nobody callable at all rings the
/// last tier anyway (the ultimate fallback).
pub async fn dial_from(env: &Env, call_sid: &str, job_id: Option<&str>, from: usize) -> AppResult {
    let (roster, _) = crate::db::roster::get(env).await?;
    let beats = crate::db::roster::heartbeats(env).await?;
    let assigned = match job_id {
        Some(id) => crate::db::jobs::get(env, id)
            .await?
            .and_then(|j| j.details.dispatcher_id),
        None => None,
    };
    let tiers: Vec<_> = roster.tiers_now(&beats, crate::clock::now(), &qdn_intl::Intl).collect();
    let order = roster.positions_for(assigned.as_deref());
    let mut next = order
        .iter()
        .skip(from)
        .map(|&i| &tiers[i])
        .find(|t| t.eligibility.is_ok())
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
    let Some((i, t)) = next else {
        crate::db::voice::set_status(env, call_sid, "missed").await?;
        return Ok(voicemail(job_id));
    };
    crate::db::voice::ringing(env, call_sid, &t.dispatcher_id, &t.phone).await?;
    let q = query(i, job_id);
    Ok(twiml(&format!(
        "<Response><Dial timeout=\"15\" action=\"{}\" method=\"POST\">\
         <Number url=\"{}\" method=\"POST\">{}</Number></Dial></Response>",
        xml_escape(&format!("/voice/next?{q}")),
        xml_escape(&format!("/voice/screen?{q}")),
        xml_escape(&t.phone)
    )))
}

/// The position after roster index `tier` in the job's order (the next to ring).
pub async fn after(env: &Env, job_id: Option<&str>, tier: usize) -> AppResult<usize> {
    let (roster, _) = crate::db::roster::get(env).await?;
    let assigned = match job_id {
        Some(id) => crate::db::jobs::get(env, id)
            .await?
            .and_then(|j| j.details.dispatcher_id),
        None => None,
    };
    let order = roster.positions_for(assigned.as_deref());
    // A roster edited mid-call: go on from the tier's old position.
    Ok(order.iter().position(|&i| i == tier).unwrap_or(tier) + 1)
}

/// `tier=<roster index>` and, when the call has one, `job=<job_id>`.
fn query(tier: usize, job_id: Option<&str>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("tier", &tier.to_string());
    if let Some(j) = job_id {
        q.append_pair("job", j);
    }
    q.finish()
}

pub fn voicemail(job_id: Option<&str>) -> worker::Response {
    let action = match job_id {
        Some(j) => format!(
            "/voice/recorded?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("job", j)
                .finish()
        ),
        None => "/voice/recorded".to_string(),
    };
    twiml(&format!(
        "<Response><Say>Sorry, no one can take your call right now. Please leave a message after the tone, \
         and we will call you back.</Say><Record maxLength=\"120\" playBeep=\"true\" action=\"{}\" method=\"POST\"/>\
         <Say>We did not get a message. Goodbye.</Say></Response>",
        xml_escape(&action)
    ))
}

pub fn tier_param(req: &Request) -> Option<usize> {
    crate::http::query_pairs(req)
        .into_iter()
        .find(|(k, _)| k == "tier")
        .and_then(|(_, v)| v.parse().ok())
}

/// The `job` the URL names, if it is a job id.
pub fn job_param(req: &Request) -> Option<String> {
    crate::http::query_pairs(req)
        .into_iter()
        .find(|(k, _)| k == "job")
        .map(|(_, v)| v)
        .filter(|v| qdn_shared::job::valid_id(v))
}
