//! Texts to customers, from the primary route (`TWILIO_MESSAGING_SERVICE_SID`, else
//! `TWILIO_NUMBER`) with the backup numbers as fallbacks, in order, when Twilio refuses the send
//! or its status callback says it failed. A recipient who opted out (STOP) is not retried from
//! another number, and gets no automatic text at all.

use qdn_shared::notify::{SendAttempt, SendStatus};
use qdn_shared::opt_out::{Keyword, Source as OptOutSource, UNSUBSCRIBED_CODE};
use qdn_shared::relay::message::DeliveryStatus;
use qdn_shared::relay::thread::Source;
use qdn_shared::twilio::SendAnswer;
use worker::Env;

use crate::config::Config;
use crate::db::notifications::NewAttempt;
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
        Some(Keyword::OptOut) => crate::db::opt_outs::record(env, from, OptOutSource::Keyword).await?,
        Some(Keyword::OptIn) => crate::db::opt_outs::clear(env, from).await?,
        Some(Keyword::Help) | None => {}
    }
    Ok(())
}

/// One text to a customer, and what the thread stamps on it.
pub struct Outgoing<'a> {
    pub job_id: Option<&'a str>,
    pub to: &'a str,
    pub body: &'a str,
    /// Who sent it (`None`: the stack, automatically).
    pub dispatcher_id: Option<&'a str>,
    pub source: Source,
}

/// What became of a text: its thread `message_id` and every sender tried.
pub struct Sent {
    pub message_id: String,
    pub attempts: Vec<SendAttempt>,
}

/// A dispatcher's text to a job's customer (`POST /api/jobs/{id}/messages`, `/notify/sms`):
/// 409 `customer_erased` when there is no number any more, 502 `sms_not_sent` with the attempts
/// when every sender refused it.
pub async fn text_job_customer(
    env: &Env,
    job: &crate::db::jobs::Job,
    body: &str,
    dispatcher_id: Option<&str>,
    source: Source,
) -> AppResult<Sent> {
    // A finished job's customer is erased after CUSTOMER_DATA_DAYS: there is nobody to text.
    if job.customer_phone.is_empty() {
        return Err(crate::error::AppError::client(
            409,
            "customer_erased",
            "this job's customer was erased after the job ended; there is no number to text",
        ));
    }
    let out = Outgoing {
        job_id: Some(&job.job_id),
        to: &job.customer_phone,
        body,
        dispatcher_id,
        source,
    };
    let sent = send(env, &out).await?;
    if !sent.attempts.iter().any(|a| a.status == SendStatus::Sent) {
        return Err(crate::error::AppError::NotSent {
            attempts: sent.attempts,
        });
    }
    Ok(sent)
}

/// An automatic text (notices such as "arriving soon"): not sent at all to a customer who
/// opted out. Returns `None` when skipped. Recorded in the job's thread.
pub async fn text_customer_automatic(
    env: &Env,
    job_id: Option<&str>,
    to: &str,
    body: &str,
) -> AppResult<Option<Vec<SendAttempt>>> {
    let out = Outgoing {
        job_id,
        to,
        body,
        dispatcher_id: None,
        source: Source::Automatic,
    };
    Ok(send_automatic(env, &out).await?.map(|s| s.attempts))
}

async fn send_automatic(env: &Env, out: &Outgoing<'_>) -> AppResult<Option<Sent>> {
    if crate::db::opt_outs::is_opted_out(env, out.to).await? {
        worker::console_log!("notify: the customer opted out of automatic texts; not sent");
        return Ok(None);
    }
    send(env, out).await.map(Some)
}

/// Texts a customer, trying the next sender while Twilio refuses the send; every attempt is
/// recorded in the job's thread under one `message_id`. A dispatcher's own text is tried even to
/// an opted-out customer: Twilio itself blocks it (21610) unless they texted START to Twilio
/// since.
pub async fn send(env: &Env, out: &Outgoing<'_>) -> AppResult<Sent> {
    let cfg = crate::config::get(env);
    let client = Client::new(&cfg)?;
    let message_id = crate::ids::new_id("ms_", 20);
    let mut attempts = Vec::new();
    for (i, from) in senders(&cfg)?.into_iter().enumerate() {
        let (sid, status, error_code) = match client.send_sms(out.to, from, out.body, Some(&callback(&cfg))).await {
            SendAnswer::Sent { sid } => (Some(sid), SendStatus::Sent, None),
            SendAnswer::Unreachable { code } => (None, SendStatus::Unreachable, Some(code)),
            SendAnswer::Failed { code } => (None, SendStatus::Refused, code),
        };
        if error_code == Some(UNSUBSCRIBED_CODE) {
            crate::db::opt_outs::record(env, out.to, OptOutSource::Twilio21610).await?;
        }
        let attempt = NewAttempt {
            message_id: &message_id,
            n: i as u32 + 1,
            job_id: out.job_id,
            to: out.to,
            from: from.as_str(),
            body: out.body,
            dispatcher_id: out.dispatcher_id,
            source: out.source,
        };
        match &sid {
            Some(sid) => {
                let status = crate::db::notifications::record_sent(env, sid, &attempt, false).await?;
                if status.is_some_and(DeliveryStatus::is_failure) {
                    fall_back(env, &client, sid).await?; // its failure callback came first
                }
            }
            None => {
                let word = match status {
                    SendStatus::Unreachable => "unreachable",
                    _ => "refused",
                };
                crate::db::notifications::record_refused(env, &attempt, word, error_code).await?;
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
    Ok(Sent { message_id, attempts })
}

/// A status callback for a notification: a failed text is sent again from the next sender,
/// once.
pub async fn on_status(
    env: &Env,
    sid: &str,
    status: DeliveryStatus,
    code: Option<u32>,
    to: &str,
    from: &str,
) -> AppResult<()> {
    crate::db::notifications::set_status(env, sid, status, code, to, from).await?;
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
    let message_id = n.message_id.clone().unwrap_or_else(|| n.twilio_sid.clone());
    let attempt = NewAttempt {
        message_id: &message_id,
        n: n.n as u32 + 1,
        job_id: n.job_id.as_deref(),
        to: &n.to_phone,
        from: from.as_str(),
        body: &n.body,
        dispatcher_id: n.dispatcher_id.as_deref(),
        source: Source::parse(&n.source).unwrap_or(Source::Notify),
    };
    match client.send_sms(&n.to_phone, from, &n.body, Some(&callback(&cfg))).await {
        SendAnswer::Sent { sid } => {
            crate::db::notifications::record_sent(env, &sid, &attempt, true).await?;
        }
        SendAnswer::Unreachable { code } => {
            crate::db::notifications::record_refused(env, &attempt, "unreachable", Some(code)).await?
        }
        SendAnswer::Failed { code } => crate::db::notifications::record_refused(env, &attempt, "refused", code).await?,
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
    let out = Outgoing {
        job_id: Some(&job.job_id),
        to: &job.customer_phone,
        body: &text,
        dispatcher_id: None,
        source: Source::Status,
    };
    send_automatic(env, &out).await.map(|_| ())
}
