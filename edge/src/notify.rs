//! Texts to customers, from the primary route (`TWILIO_MESSAGING_SERVICE_SID`, else
//! `TWILIO_NUMBER`) with the backup numbers as fallbacks, in order, when Twilio refuses the send
//! or its status callback says it failed. A recipient who opted out (STOP) is not retried from
//! another number, and gets no automatic text at all.

use qdn_shared::notify::{SendAttempt, SendStatus};
use qdn_shared::opt_out::{Keyword, Source, UNSUBSCRIBED_CODE};
use qdn_shared::relay::message::DeliveryStatus;
use qdn_shared::twilio::SendAnswer;
use worker::Env;

use crate::config::Config;
use crate::error::AppResult;
use crate::twilio::{Client, Sender};

fn callback(cfg: &Config) -> String {
    format!("{}/sms/delivery-status?n=1", cfg.public_base_url)
}

/// Every route to a customer in the order tried: the primary (the Messaging Service, else the
/// company number), then each backup number.
fn senders(cfg: &Config) -> AppResult<Vec<Sender<'_>>> {
    let mut all = vec![Sender::primary(cfg)?];
    all.extend(
        cfg.backup_numbers
            .iter()
            .filter(|b| cfg.company_number.as_deref() != Some(b.as_str()))
            .map(|b| Sender::From(b)),
    );
    Ok(all)
}

/// A customer's text to the company number: STOP and its kin opt them out of automatic texts,
/// START and its kin back in (idempotent: Twilio's retries do no harm). The text is relayed to
/// the dispatchers all the same.
pub async fn on_customer_text(env: &Env, from: &str, body: &str) -> AppResult<()> {
    match qdn_shared::opt_out::keyword(body) {
        Some(Keyword::OptOut) => crate::db::opt_outs::record(env, from, Source::Keyword).await?,
        Some(Keyword::OptIn) => crate::db::opt_outs::clear(env, from).await?,
        Some(Keyword::Help) | None => {}
    }
    Ok(())
}

/// An automatic text (status changes, notices): not sent at all to a customer who opted out.
/// Returns `None` when skipped.
pub async fn text_customer_automatic(
    env: &Env,
    job_id: Option<&str>,
    to: &str,
    body: &str,
) -> AppResult<Option<Vec<SendAttempt>>> {
    if crate::db::opt_outs::is_opted_out(env, to).await? {
        worker::console_log!("notify: the customer opted out of automatic texts; not sent");
        return Ok(None);
    }
    text_customer(env, job_id, to, body).await.map(Some)
}

/// Texts a customer, trying the next sender while Twilio refuses the send. A dispatcher's own
/// text is tried even to an opted-out customer: Twilio itself blocks it (21610) unless they
/// texted START to Twilio since.
pub async fn text_customer(env: &Env, job_id: Option<&str>, to: &str, body: &str) -> AppResult<Vec<SendAttempt>> {
    let cfg = crate::config::get(env);
    let client = Client::new(&cfg)?;
    let mut attempts = Vec::new();
    for from in senders(&cfg)? {
        let (sid, status, error_code) = match client.send_sms(to, from, body, Some(&callback(&cfg))).await {
            SendAnswer::Sent { sid } => (Some(sid), SendStatus::Sent, None),
            SendAnswer::Unreachable { code } => (None, SendStatus::Unreachable, Some(code)),
            SendAnswer::Failed { code } => (None, SendStatus::Refused, code),
        };
        if error_code == Some(UNSUBSCRIBED_CODE) {
            crate::db::opt_outs::record(env, to, Source::Twilio21610).await?;
        }
        if let Some(sid) = &sid {
            let status =
                crate::db::notifications::record_sent(env, sid, job_id, to, from.as_str(), body, false).await?;
            if status.is_some_and(DeliveryStatus::is_failure) {
                fall_back(env, &client, sid).await?; // its failure callback came first
            }
        }
        attempts.push(SendAttempt {
            from: from.as_str().to_string(),
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

/// A status callback for a notification: a failed text is sent again from the next sender,
/// once.
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
    let senders = senders(&cfg)?;
    if senders.len() < 2 {
        return Ok(());
    }
    let Some(n) = crate::db::notifications::claim_fallback(env, sid).await? else {
        return Ok(());
    };
    // The sender after the one that failed (a pool number Twilio picked counts as the primary).
    let next = senders
        .iter()
        .position(|s| s.as_str() == n.from_phone)
        .map_or(1, |i| i + 1);
    let Some(&from) = senders.get(next) else {
        return Ok(());
    };
    if let SendAnswer::Sent { sid } = client.send_sms(&n.to_phone, from, &n.body, Some(&callback(&cfg))).await {
        crate::db::notifications::record_sent(
            env,
            &sid,
            n.job_id.as_deref(),
            &n.to_phone,
            from.as_str(),
            &n.body,
            true,
        )
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
    text_customer_automatic(env, Some(&job.job_id), &job.customer_phone, &text)
        .await
        .map(|_| ())
}
