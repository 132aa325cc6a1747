//! A job's thread, read from where each part is written once: the customer's texts and
//! voicemails (`relay_messages`, with the relay's `relay_attempts`), ours (`notifications`, one
//! row per sender tried) and their calls (`calls`). No row is written for the thread itself:
//! each job-linked row costs one more index row (`*_by_job`, migration 0510), and erasing or
//! expiring those tables erases and expires the thread.

use qdn_shared::relay::message::MessageKind;
use qdn_shared::relay::thread::{self, Attempt, Channel, Direction, Message, Source};
use serde::Deserialize;
use worker::Env;

use super::{db, s, time};

/// At most this many entries of each kind (the newest) are read for one job.
const LIMIT: u32 = 500;

#[derive(Deserialize)]
struct Inbound {
    message_sid: String,
    r#ref: String,
    kind: MessageKind,
    from_phone: String,
    to_phone: Option<String>,
    body: String,
    media: Option<String>,
    state: String,
    acked_by: Option<String>,
    created_at: f64,
}

#[derive(Deserialize)]
struct RelayAttempt {
    message_sid: String,
    n: f64,
    dispatcher_id: String,
    to_phone: String,
    at: f64,
    twilio_sid: Option<String>,
    outcome: String,
    error_code: Option<f64>,
}

/// What to read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Texts, MMS and voicemails, both ways.
    Messages,
    Calls,
    Everything,
}

/// The job's thread, oldest first; with every attempt when `attempts`.
pub async fn of_job(env: &Env, job_id: &str, part: Part, attempts: bool) -> worker::Result<Vec<Message>> {
    let company = crate::config::get(env).company_number.clone().unwrap_or_default();
    let mut out = Vec::new();
    if part != Part::Calls {
        out.extend(inbound(env, job_id, &company, attempts).await?);
        out.extend(outbound(env, job_id, attempts).await?);
    }
    if part != Part::Messages {
        out.extend(calls(env, job_id, attempts).await?);
    }
    thread::sort(&mut out);
    Ok(out)
}

fn rfc(ms: f64) -> String {
    qdn_shared::time::rfc3339(time(ms))
}

async fn inbound(env: &Env, job_id: &str, company: &str, attempts: bool) -> worker::Result<Vec<Message>> {
    let d = db(env)?;
    let rows: Vec<Inbound> = d
        .prepare(
            "SELECT message_sid, ref, kind, from_phone, to_phone, body, media, state, acked_by, created_at \
             FROM relay_messages WHERE job_id = ?1 ORDER BY created_at DESC LIMIT ?2",
        )
        .bind(&[s(job_id), LIMIT.into()])?
        .all()
        .await?
        .results()?;
    let tries: Vec<RelayAttempt> = if attempts && !rows.is_empty() {
        d.prepare(
            "SELECT message_sid, n, dispatcher_id, to_phone, at, twilio_sid, outcome, error_code FROM relay_attempts \
             WHERE message_sid IN (SELECT message_sid FROM relay_messages WHERE job_id = ?1) ORDER BY message_sid, n",
        )
        .bind(&[s(job_id)])?
        .all()
        .await?
        .results()?
    } else {
        Vec::new()
    };
    Ok(rows
        .into_iter()
        .map(|m| {
            let media: Vec<String> = m
                .media
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default();
            let channel = match m.kind {
                MessageKind::Voicemail => Channel::Voicemail,
                MessageKind::Sms if media.is_empty() => Channel::Sms,
                MessageKind::Sms => Channel::Mms,
            };
            let these = attempts.then(|| {
                tries
                    .iter()
                    .filter(|a| a.message_sid == m.message_sid)
                    .map(|a| Attempt {
                        n: a.n as u32,
                        dispatcher_id: Some(a.dispatcher_id.clone()),
                        from: None,
                        to: a.to_phone.clone(),
                        at: rfc(a.at),
                        twilio_sid: a.twilio_sid.clone(),
                        status: a.outcome.clone(),
                        error_code: a.error_code.map(|c| c as u32),
                    })
                    .collect()
            });
            Message {
                id: m.message_sid,
                direction: Direction::In,
                channel,
                from: m.from_phone,
                to: m.to_phone.unwrap_or_else(|| company.to_string()),
                body: m.body,
                media,
                at: rfc(m.created_at),
                status: m.state,
                dispatcher_id: m.acked_by,
                r#ref: Some(format!("#{}", m.r#ref)),
                source: None,
                attempts: these,
            }
        })
        .collect())
}

async fn outbound(env: &Env, job_id: &str, attempts: bool) -> worker::Result<Vec<Message>> {
    let rows = super::notifications::of_job(env, job_id, LIMIT).await?;
    let mut out: Vec<Message> = Vec::new();
    // Rows are oldest first: a message's attempts follow its first one.
    for r in rows {
        let id = r.message_id.clone().unwrap_or_else(|| r.twilio_sid.clone());
        let attempt = Attempt {
            n: r.n as u32,
            dispatcher_id: None,
            from: Some(r.from_phone.clone()),
            to: r.to_phone.clone(),
            at: rfc(r.created_at),
            twilio_sid: r.twilio_sid.starts_with("SM").then(|| r.twilio_sid.clone()),
            status: r.status.clone(),
            error_code: r.error_code.map(|c| c as u32),
        };
        match out.iter_mut().find(|m| m.id == id) {
            Some(m) => {
                // The thread shows where the latest attempt stands.
                m.status = r.status.clone();
                m.from = r.from_phone.clone();
                if let Some(a) = m.attempts.as_mut() {
                    a.push(attempt);
                }
            }
            None => out.push(Message {
                id,
                direction: Direction::Out,
                channel: Channel::Sms,
                from: r.from_phone.clone(),
                to: r.to_phone.clone(),
                body: r.body.clone(),
                media: Vec::new(),
                at: rfc(r.created_at),
                status: r.status.clone(),
                dispatcher_id: r.dispatcher_id.clone(),
                r#ref: None,
                source: Source::parse(&r.source),
                attempts: attempts.then(|| vec![attempt]),
            }),
        }
    }
    for m in &mut out {
        if let Some(a) = m.attempts.as_mut() {
            a.sort_by_key(|a| a.n);
            if let Some(last) = a.last() {
                m.status = last.status.clone();
            }
        }
    }
    Ok(out)
}

async fn calls(env: &Env, job_id: &str, attempts: bool) -> worker::Result<Vec<Message>> {
    Ok(super::voice::calls_of_job(env, job_id, LIMIT)
        .await?
        .into_iter()
        .map(|c| Message {
            id: c.call_sid,
            direction: Direction::In,
            channel: Channel::Voice,
            from: c.from_phone,
            to: c.to_phone,
            body: String::new(),
            media: Vec::new(),
            at: rfc(c.at),
            status: c.status,
            dispatcher_id: c.dispatcher_id,
            r#ref: None,
            source: None,
            attempts: attempts.then(|| serde_json::from_str(&c.attempts).unwrap_or_default()),
        })
        .collect())
}
