//! `POST /notify/sms` `{"job_id", "body"}` (dispatch): a text to the job's customer from
//! `TWILIO_NUMBER`, falling back to `TWILIO_BACKUP_NUMBER`; 202 with the attempts.

use qdn_shared::notify::NotifyBody;
use qdn_shared::relay::thread::Source;
use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let (job_id, text) = crate::http::json_body::<NotifyBody>(req).await?.validate()?;
    let job = crate::db::jobs::get(env, &job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    let sent = crate::notify::text_job_customer(env, &job, &text, None, Source::Notify).await?;
    // `message_id`: the text's entry in the job's thread.
    Ok(crate::http::json(
        202,
        &serde_json::json!({ "job_id": job_id, "sent": true, "message_id": sent.message_id, "attempts": sent.attempts }),
    ))
}
