//! `POST /api/jobs/{job_id}/messages` (dispatch) `{"body", "dispatcher_id"?}`: a dispatcher's
//! text to the job's customer from the company number, with the sender failover of
//! `/notify/sms`; recorded in the job's thread, every attempt, stamped with the dispatcher.
//! 202 `{"message_id", "attempts"}`; 502 `sms_not_sent` when every sender was refused.

use qdn_shared::notify::JobMessageBody;
use qdn_shared::relay::thread::Source;
use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env, key: &str) -> AppResult {
    let (job_id, claims) = super::resolve(req, env, key, &[Scope::Dispatch])?;
    // A track token in the path is the customer's: it texts nobody.
    crate::auth::require_scope(&claims, &[Scope::Dispatch])?;
    let (text, dispatcher_id) = crate::http::json_body::<JobMessageBody>(req).await?.validate()?;
    let job = crate::db::jobs::get(env, &job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    super::check_dispatcher(env, dispatcher_id.as_deref()).await?;
    let sent = crate::notify::text_job_customer(env, &job, &text, dispatcher_id.as_deref(), Source::Dispatcher).await?;
    Ok(crate::http::json(
        202,
        &serde_json::json!({ "message_id": sent.message_id, "job_id": job_id, "attempts": sent.attempts }),
    ))
}
