//! `POST /voice/inbound`: a call to the company number is recorded with the caller's most active
//! open job and rings the first callable tier — that job's dispatcher first.

use worker::{Env, Request};

use crate::error::AppResult;
use crate::twilio::{param, verified_form};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    receive(req, env, None).await
}

/// The call, attached to `job_id` when the webhook fixes it (`/api/jobs/{job_id}/call-webhook`).
pub async fn receive(req: &mut Request, env: &Env, job_id: Option<String>) -> AppResult {
    let params = verified_form(req, env).await?;
    if let Some(job) = &job_id {
        crate::handlers::jobs::webhooks::require_job(env, job).await?;
    }
    let call = param(&params, "CallSid").unwrap_or("").to_string();
    let from = param(&params, "From").or(param(&params, "Caller")).unwrap_or("");
    let job_id = match job_id {
        Some(j) => Some(j),
        // A dispatcher calling in is no customer.
        None if crate::db::roster::get(env).await?.0.by_phone(from).is_some() => None,
        None => crate::db::jobs::open_for_customer(env, from).await?,
    };
    if !call.is_empty() {
        let to = param(&params, "To").unwrap_or("");
        crate::db::voice::start_call(env, &call, job_id.as_deref(), from, to).await?;
    }
    super::dial_from(env, &call, job_id.as_deref(), 0).await
}
