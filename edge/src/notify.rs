//! Texts to customers, from `TWILIO_NUMBER` with `TWILIO_BACKUP_NUMBER` as fallback when
//! Twilio refuses the send or its status callback says it failed. A recipient who opted out
//! (STOP) is not retried from another number.

use qdn_shared::twilio::SendAnswer;
use serde::Serialize;
use worker::Env;

use crate::error::{AppError, AppResult};

#[derive(Debug, Serialize)]
pub struct Attempt {
    pub from: String,
    pub sid: Option<String>,
    pub status: &'static str,
    pub error_code: Option<u32>,
}

fn callback(env: &Env) -> String {
    format!("{}/sms/delivery-status?n=1", crate::config::public_base_url(env))
}

pub async fn sms(env: &Env, job_id: Option<&str>, to: &str, body: &str) -> AppResult<Vec<Attempt>> {
    let client = crate::twilio::Client::from_env(env)?;
    let primary = crate::config::company_number(env)
        .ok_or_else(|| AppError::Internal("TWILIO_NUMBER is not configured".into()))?;
    let backup = crate::config::get(env, "TWILIO_BACKUP_NUMBER");
    let mut attempts = Vec::new();
    for (from, is_backup) in std::iter::once((primary, false)).chain(backup.map(|b| (b, true))) {
        let answer = client.send(to, &from, body, Some(&callback(env))).await;
        let (sid, status, code) = match answer {
            SendAnswer::Sent { sid } => (Some(sid), "sent", None),
            SendAnswer::Unreachable { code } => (None, "unreachable", Some(code)),
            SendAnswer::Failed { code } => (None, "refused", code),
        };
        if let Some(sid) = &sid {
            let status = crate::db::notifications::record_sent(env, sid, job_id, to, &from, body, is_backup).await?;
            if matches!(status.as_str(), "failed" | "undelivered") {
                fall_back(env, sid).await?; // its failure callback came first
            }
        }
        attempts.push(Attempt {
            from,
            sid,
            status,
            error_code: code,
        });
        if status != "refused" {
            break;
        }
    }
    Ok(attempts)
}

/// A status callback for a notification: a failed text from the primary number is sent again
/// from the backup, once.
pub async fn on_status(env: &Env, sid: &str, status: &str, to: &str, from: &str) -> AppResult<()> {
    crate::db::notifications::set_status(env, sid, status, to, from).await?;
    if matches!(status, "failed" | "undelivered") {
        fall_back(env, sid).await?;
    }
    Ok(())
}

async fn fall_back(env: &Env, sid: &str) -> AppResult<()> {
    let Some(backup) = crate::config::get(env, "TWILIO_BACKUP_NUMBER") else {
        return Ok(());
    };
    let Some(n) = crate::db::notifications::claim_fallback(env, sid).await? else {
        return Ok(());
    };
    let client = crate::twilio::Client::from_env(env)?;
    if let SendAnswer::Sent { sid } = client.send(&n.to_phone, &backup, &n.body, Some(&callback(env))).await {
        crate::db::notifications::record_sent(env, &sid, n.job_id.as_deref(), &n.to_phone, &backup, &n.body, true)
            .await?;
    }
    Ok(())
}

/// The customer's text when their job's status changes, with a fresh tracking link.
pub async fn status_changed(env: &Env, job: &crate::db::jobs::Job) -> AppResult<()> {
    let token = crate::handlers::jobs::track_token(env, &job.job_id)?;
    let url = crate::handlers::jobs::tracking_url(env, &token);
    let text = format!(
        "Quick Dump Now: your trailer {}. Track it: {url}",
        job.status.customer_phrase()
    );
    sms(env, Some(&job.job_id), &job.customer_phone, &text)
        .await
        .map(|_| ())
}
