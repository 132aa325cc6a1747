//! `POST /notify/sms` `{"job_id", "body"}` (dispatch): a text to the job's customer from
//! `TWILIO_NUMBER`, falling back to `TWILIO_BACKUP_NUMBER`; 202 with the attempts.

use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let body = crate::http::json_body(req).await?;
    let job_id = body
        .get("job_id")
        .and_then(|j| j.as_str())
        .filter(|j| qdn_shared::job::valid_id(j))
        .ok_or_else(|| AppError::bad_request("invalid_job_id", "job_id is required"))?;
    let text = body
        .get("body")
        .and_then(|b| b.as_str())
        .map(str::trim)
        .filter(|b| !b.is_empty() && b.chars().count() <= 1600)
        .ok_or_else(|| AppError::bad_request("invalid_body", "body must be 1 to 1600 characters"))?;
    let job = crate::db::jobs::get(env, job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    let attempts = crate::notify::sms(env, Some(job_id), &job.customer_phone, text).await?;
    let sent = attempts.iter().any(|a| a.status == "sent");
    let out = serde_json::json!({ "job_id": job_id, "sent": sent, "attempts": attempts });
    if sent {
        Ok(crate::http::json(202, &out))
    } else {
        let mut err = serde_json::json!({ "error": "sms_not_sent", "message": "Twilio refused the text from every sender number" });
        err["attempts"] = out["attempts"].clone();
        Ok(crate::http::json(502, &err))
    }
}
