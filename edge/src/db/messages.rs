//! The relay's audit log: the `relay_messages` and `relay_attempts` tables.

use chrono::{DateTime, Utc};
use qdn_shared::relay::cascade::{Attempt, Outcome};
use qdn_shared::relay::message::{MessageKind, MessageState};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Env;

use super::{changes, db, ms, opt_s, s};

pub struct NewMessage<'a> {
    pub message_sid: &'a str,
    pub kind: MessageKind,
    pub from_phone: &'a str,
    /// The number they wrote to (`To`).
    pub to_phone: Option<&'a str>,
    pub body: &'a str,
    pub job_id: Option<&'a str>,
    /// An MMS's media URLs, kept with the message (the `media` column, NULL when none).
    pub media: &'a [String],
}

/// Records a message under the shortest free reference derived from its SID; returns it.
/// A message already recorded (Twilio retried) keeps its reference.
pub async fn insert(env: &Env, m: &NewMessage<'_>) -> worker::Result<String> {
    let now = crate::clock::now();
    let media = match m.media {
        [] => None,
        urls => Some(serde_json::to_string(urls).map_err(|e| worker::Error::RustError(e.to_string()))?),
    };
    for len in 4..=8 {
        let reference = qdn_shared::relay::reference(m.message_sid, len);
        let r = db(env)?
            .prepare(
                "INSERT OR IGNORE INTO relay_messages (message_sid, ref, kind, from_phone, body, job_id, state, created_at, updated_at, media, to_phone) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7, ?7, ?8, ?9)",
            )
            .bind(&[s(m.message_sid), s(&reference), s(m.kind.as_str()), s(m.from_phone), s(m.body), opt_s(m.job_id), ms(now), opt_s(media.as_deref()), opt_s(m.to_phone)])?
            .run()
            .await?;
        if changes(&r) == 1 {
            return Ok(reference);
        }
        if let Some(existing) = message_ref(env, m.message_sid).await? {
            return Ok(existing);
        }
    }
    Err(worker::Error::RustError("no free relay reference".into()))
}

async fn message_ref(env: &Env, message_sid: &str) -> worker::Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        r#ref: String,
    }
    let row: Option<Row> = db(env)?
        .prepare("SELECT ref FROM relay_messages WHERE message_sid = ?1")
        .bind(&[s(message_sid)])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.r#ref))
}

/// The message with this reference (any case).
pub async fn by_ref(env: &Env, reference: &str) -> worker::Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        message_sid: String,
    }
    let row: Option<Row> = db(env)?
        .prepare("SELECT message_sid FROM relay_messages WHERE ref = ?1")
        .bind(&[s(&reference.to_ascii_uppercase())])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.message_sid))
}

/// The newest open message that was relayed to `phone`.
pub async fn latest_open_for(env: &Env, phone: &str) -> worker::Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        message_sid: String,
    }
    let row: Option<Row> = db(env)?
        .prepare(
            "SELECT a.message_sid FROM relay_attempts a JOIN relay_messages m ON m.message_sid = a.message_sid \
             WHERE a.to_phone = ?1 AND m.state = 'open' ORDER BY a.at DESC LIMIT 1",
        )
        .bind(&[s(phone)])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.message_sid))
}

/// Writes the cascade's attempts and state (the audit log) in one transaction.
pub async fn save_progress(
    env: &Env,
    message_sid: &str,
    state: MessageState,
    acked_by: Option<&str>,
    failovers: u32,
    attempts: &[Attempt],
) -> worker::Result<()> {
    let d = db(env)?;
    let now = crate::clock::now();
    let mut stmts = vec![d
        .prepare("UPDATE relay_messages SET state = ?2, acked_by = ?3, failovers = ?4, updated_at = ?5 WHERE message_sid = ?1")
        .bind(&[s(message_sid), s(state.as_str()), opt_s(acked_by), JsValue::from(failovers), ms(now)])?];
    for a in attempts {
        stmts.push(
            d.prepare(
                "INSERT INTO relay_attempts (message_sid, n, dispatcher_id, to_phone, at, twilio_sid, outcome, error_code, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (message_sid, n) DO UPDATE SET \
                 twilio_sid = excluded.twilio_sid, outcome = excluded.outcome, error_code = excluded.error_code, updated_at = excluded.updated_at \
                 WHERE relay_attempts.outcome != excluded.outcome OR relay_attempts.twilio_sid IS NOT excluded.twilio_sid",
            )
            .bind(&[
                s(message_sid),
                JsValue::from(a.n),
                s(&a.dispatcher_id),
                s(&a.to),
                ms(a.at),
                opt_s(a.sid.as_deref()),
                s(a.outcome.as_str()),
                a.error_code.map_or(JsValue::NULL, JsValue::from),
                ms(now),
            ])?,
        );
    }
    d.batch(stmts).await?;
    Ok(())
}

/// Failed-over attempts to `dispatcher_id` (a tier) since `since`, across messages.
pub async fn failovers_since(env: &Env, dispatcher_id: &str, since: DateTime<Utc>) -> worker::Result<u32> {
    #[derive(Deserialize)]
    struct Row {
        n: f64,
    }
    let row: Option<Row> = db(env)?
        .prepare(
            "SELECT count(*) AS n FROM relay_attempts WHERE at >= ?1 AND dispatcher_id = ?2 \
             AND outcome IN ('failed', 'undelivered', 'unreachable', 'no_ack')",
        )
        .bind(&[ms(since), s(dispatcher_id)])?
        .first(None)
        .await?;
    Ok(row.map_or(0, |r| r.n as u32))
}

#[derive(Debug, Deserialize)]
pub struct MessageRow {
    pub message_sid: String,
    pub r#ref: String,
    pub kind: MessageKind,
    pub from_phone: String,
    pub job_id: Option<String>,
    pub state: MessageState,
    pub acked_by: Option<String>,
    pub failovers: f64,
    pub created_at: f64,
    /// JSON array of media URLs, or NULL.
    pub media: Option<String>,
}

impl MessageRow {
    pub fn media_urls(&self) -> Vec<String> {
        self.media
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or_default()
    }
}

#[derive(Debug, Deserialize)]
pub struct AttemptRow {
    pub message_sid: String,
    pub n: f64,
    pub dispatcher_id: String,
    pub to_phone: String,
    pub at: f64,
    pub twilio_sid: Option<String>,
    pub outcome: Outcome,
    pub error_code: Option<f64>,
}

pub async fn recent(env: &Env, limit: u32) -> worker::Result<(Vec<MessageRow>, Vec<AttemptRow>)> {
    let d = db(env)?;
    let messages: Vec<MessageRow> = d
        .prepare(
            "SELECT message_sid, ref, kind, from_phone, job_id, state, acked_by, failovers, created_at, media \
             FROM relay_messages ORDER BY created_at DESC LIMIT ?1",
        )
        .bind(&[JsValue::from(limit)])?
        .all()
        .await?
        .results()?;
    let attempts: Vec<AttemptRow> = d
        .prepare(
            "SELECT message_sid, n, dispatcher_id, to_phone, at, twilio_sid, outcome, error_code FROM relay_attempts \
             WHERE message_sid IN (SELECT message_sid FROM relay_messages ORDER BY created_at DESC LIMIT ?1) ORDER BY message_sid, n",
        )
        .bind(&[JsValue::from(limit)])?
        .all()
        .await?
        .results()?;
    Ok((messages, attempts))
}

pub struct Counts {
    pub failovers: u32,
    pub exhausted: u32,
    pub acked: u32,
    pub open: u32,
}

pub async fn counts(env: &Env, since: DateTime<Utc>) -> worker::Result<Counts> {
    #[derive(Deserialize)]
    struct Row {
        failovers: Option<f64>,
        exhausted: Option<f64>,
        acked: Option<f64>,
        open: Option<f64>,
    }
    let r: Option<Row> = db(env)?
        .prepare(
            "SELECT sum(failovers) AS failovers, sum(state = 'exhausted') AS exhausted, sum(state = 'acked') AS acked, \
             sum(state = 'open') AS open FROM relay_messages WHERE created_at >= ?1",
        )
        .bind(&[ms(since)])?
        .first(None)
        .await?;
    let n = |x: Option<f64>| x.unwrap_or(0.0) as u32;
    Ok(r.map_or(
        Counts {
            failovers: 0,
            exhausted: 0,
            acked: 0,
            open: 0,
        },
        |r| Counts {
            failovers: n(r.failovers),
            exhausted: n(r.exhausted),
            acked: n(r.acked),
            open: n(r.open),
        },
    ))
}

/// The relay's audit log is kept 90 days.
pub async fn delete_older_than(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    let d = db(env)?;
    let r = d
        .batch(vec![
            d.prepare("DELETE FROM relay_attempts WHERE at < ?1")
                .bind(&[ms(cutoff)])?,
            d.prepare("DELETE FROM relay_messages WHERE created_at < ?1")
                .bind(&[ms(cutoff)])?,
        ])
        .await?;
    Ok(r.iter().map(changes).sum())
}

/// One inbound message's relay record and every attempt, by its SID.
pub async fn by_sid(env: &Env, message_sid: &str) -> worker::Result<Option<(MessageRow, Vec<AttemptRow>)>> {
    let d = db(env)?;
    let row: Option<MessageRow> = d
        .prepare(
            "SELECT message_sid, ref, kind, from_phone, job_id, state, acked_by, failovers, created_at, media \
             FROM relay_messages WHERE message_sid = ?1",
        )
        .bind(&[s(message_sid)])?
        .first(None)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let attempts: Vec<AttemptRow> = d
        .prepare(
            "SELECT message_sid, n, dispatcher_id, to_phone, at, twilio_sid, outcome, error_code FROM relay_attempts \
             WHERE message_sid = ?1 ORDER BY n",
        )
        .bind(&[s(message_sid)])?
        .all()
        .await?
        .results()?;
    Ok(Some((row, attempts)))
}
