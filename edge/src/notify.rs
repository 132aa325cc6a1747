//! Texts to customers, from `TWILIO_NUMBER` with `TWILIO_BACKUP_NUMBER` as fallback when
//! Twilio refuses the send or its status callback says it failed. A recipient who opted out
//! (STOP) is not retried from another number.

use qdn_shared::notify::{SendAttempt, SendStatus};
use qdn_shared::relay::message::DeliveryStatus;
use qdn_shared::twilio::SendAnswer;
use worker::Env;

use crate::config::Config;
use crate::error::AppResult;
use crate::twilio::Client;

fn callback(cfg: &Config) -> String {
    format!("{}/sms/delivery-status?n=1", cfg.public_base_url)
}

/// Texts a customer, trying the backup number when the primary is refused.
pub async fn text_customer(env: &Env, job_id: Option<&str>, to: &str, body: &str) -> AppResult<Vec<SendAttempt>> {
    let cfg = crate::config::get(env);
    let client = Client::new(&cfg)?;
    let primary = crate::config::require(&cfg.company_number, "TWILIO_NUMBER")?;
    let senders = std::iter::once((primary, false)).chain(cfg.backup_number.as_deref().map(|b| (b, true)));
    let mut attempts = Vec::new();
    for (from, is_backup) in senders {
        let (sid, status, error_code) = match client.send_sms(to, from, body, Some(&callback(&cfg))).await {
            SendAnswer::Sent { sid } => (Some(sid), SendStatus::Sent, None),
            SendAnswer::Unreachable { code } => (None, SendStatus::Unreachable, Some(code)),
            SendAnswer::Failed { code } => (None, SendStatus::Refused, code),
        };
        if let Some(sid) = &sid {
            let status = crate::db::notifications::record_sent(env, sid, job_id, to, from, body, is_backup).await?;
            if status.is_some_and(DeliveryStatus::is_failure) {
                fall_back(env, &client, sid).await?; // its failure callback came first
            }
        }
        attempts.push(SendAttempt {
            from: from.to_string(),
            sid,
            status,
            error_code,
        });
        if status != SendStatus::Refused {
            break;
        }
    }
    Ok(attempts)
}

/// A status callback for a notification: a failed text from the primary number is sent again
/// from the backup, once.
pub async fn on_status(env: &Env, sid: &str, status: DeliveryStatus, to: &str, from: &str) -> AppResult<()> {
    crate::db::notifications::set_status(env, sid, status, to, from).await?;
    if status.is_failure() {
        let client = Client::new(&crate::config::get(env))?;
        fall_back(env, &client, sid).await?;
    }
    Ok(())
}

async fn fall_back(env: &Env, client: &Client, sid: &str) -> AppResult<()> {
    let cfg = crate::config::get(env);
    let Some(backup) = cfg.backup_number.as_deref() else {
        return Ok(());
    };
    let Some(n) = crate::db::notifications::claim_fallback(env, sid).await? else {
        return Ok(());
    };
    if let SendAnswer::Sent { sid } = client
        .send_sms(&n.to_phone, backup, &n.body, Some(&callback(&cfg)))
        .await
    {
        crate::db::notifications::record_sent(env, &sid, n.job_id.as_deref(), &n.to_phone, backup, &n.body, true)
            .await?;
    }
    Ok(())
}

/// The customer's text when their job's status changes, with a fresh tracking link.
pub async fn status_changed(env: &Env, job: &crate::db::jobs::Job) -> AppResult<()> {
    let cfg = crate::config::get(env);
    let token = crate::links::track_token(&cfg, &job.job_id)?;
    let url = crate::links::tracking_url(&cfg, &token);
    let text = format!(
        "Quick Dump Now: your trailer {}. Track it: {url}",
        job.status.customer_phrase()
    );
    text_customer(env, Some(&job.job_id), &job.customer_phone, &text)
        .await
        .map(|_| ())
}
