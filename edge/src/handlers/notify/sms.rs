//! `POST /notify/sms` `{"job_id", "body"}` (dispatch): a text to the job's customer from
//! `TWILIO_NUMBER`, falling back to `TWILIO_BACKUP_NUMBER`; 202 with the attempts.

use qdn_shared::notify::{NotifyBody, SendStatus};
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
    // A finished job's customer is erased after CUSTOMER_DATA_DAYS: there is nobody to text.
    if job.customer_phone.is_empty() {
        return Err(AppError::client(
            409,
            "customer_erased",
            "this job's customer was erased after the job ended; there is no number to text",
        ));
    }
    let out = crate::notify::Outgoing {
        job_id: Some(&job_id),
        to: &job.customer_phone,
        body: &text,
        dispatcher_id: None,
        source: Source::Notify,
    };
    let sent = crate::notify::send(env, &out).await?;
    if !sent.attempts.iter().any(|a| a.status == SendStatus::Sent) {
        return Err(AppError::NotSent {
            attempts: sent.attempts,
        });
    }
    // `message_id`: the text's entry in the job's thread.
    Ok(crate::http::json(
        202,
        &serde_json::json!({ "job_id": job_id, "sent": true, "message_id": sent.message_id, "attempts": sent.attempts }),
    ))
}
