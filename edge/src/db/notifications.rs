//! The `notifications` table: texts to customers and whether one already fell back.
//!
//! The send's record and Twilio's status callback may arrive in either order, so both upsert
//! the row; a fallback needs both halves (a body to resend, a failed status) and is claimed once.

use qdn_shared::relay::message::DeliveryStatus;
use qdn_shared::relay::thread::Source;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Env;

use super::{changes, db, ms, opt_s, s};

#[derive(Deserialize)]
struct Status {
    status: String,
}

/// One attempt at one of our texts, as the thread records it.
pub struct NewAttempt<'a> {
    /// The thread message it belongs to (one per text, whatever the senders tried).
    pub message_id: &'a str,
    pub n: u32,
    pub job_id: Option<&'a str>,
    pub to: &'a str,
    pub from: &'a str,
    pub body: &'a str,
    pub dispatcher_id: Option<&'a str>,
    pub source: Source,
}

/// Records a text Twilio accepted; returns the delivery status a fast callback may have set
/// already.
pub async fn record_sent(
    env: &Env,
    sid: &str,
    a: &NewAttempt<'_>,
    fell_back: bool,
) -> worker::Result<Option<DeliveryStatus>> {
    let row: Option<Status> = db(env)?
        .prepare(
            "INSERT INTO notifications (twilio_sid, job_id, to_phone, from_phone, body, status, fell_back, created_at, \
             message_id, n, dispatcher_id, source) VALUES (?1, ?2, ?3, ?4, ?5, 'sent', ?6, ?7, ?8, ?9, ?10, ?11) \
             ON CONFLICT (twilio_sid) DO UPDATE SET job_id = excluded.job_id, to_phone = excluded.to_phone, \
             from_phone = excluded.from_phone, body = excluded.body, fell_back = max(fell_back, excluded.fell_back), \
             message_id = excluded.message_id, n = excluded.n, dispatcher_id = excluded.dispatcher_id, \
             source = excluded.source RETURNING status",
        )
        .bind(&[
            s(sid),
            opt_s(a.job_id),
            s(a.to),
            s(a.from),
            s(a.body),
            (fell_back as u32).into(),
            ms(crate::clock::now()),
            s(a.message_id),
            a.n.into(),
            opt_s(a.dispatcher_id),
            s(a.source.as_str()),
        ])?
        .first(None)
        .await?;
    Ok(row.and_then(|r| DeliveryStatus::parse(&r.status)))
}

/// Records an attempt Twilio refused (`status`: `refused` or `unreachable`), so the thread shows
/// every sender tried. It has no SID: its key is `<message_id>-<n>`.
pub async fn record_refused(
    env: &Env,
    a: &NewAttempt<'_>,
    status: &str,
    error_code: Option<u32>,
) -> worker::Result<()> {
    db(env)?
        .prepare(
            "INSERT OR IGNORE INTO notifications (twilio_sid, job_id, to_phone, from_phone, body, status, fell_back, \
             created_at, message_id, n, dispatcher_id, source, error_code) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .bind(&[
            s(&format!("{}-{}", a.message_id, a.n)),
            opt_s(a.job_id),
            s(a.to),
            s(a.from),
            s(a.body),
            s(status),
            ms(crate::clock::now()),
            s(a.message_id),
            a.n.into(),
            opt_s(a.dispatcher_id),
            s(a.source.as_str()),
            error_code.map_or(JsValue::NULL, JsValue::from),
        ])?
        .run()
        .await?;
    Ok(())
}

/// A status callback: sets the status (and a failure's error code), creating the row if the send
/// is not recorded yet.
pub async fn set_status(
    env: &Env,
    sid: &str,
    status: DeliveryStatus,
    code: Option<u32>,
    to: &str,
    from: &str,
) -> worker::Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO notifications (twilio_sid, to_phone, from_phone, body, status, fell_back, created_at, error_code) \
             VALUES (?1, ?2, ?3, '', ?4, 0, ?5, ?6) ON CONFLICT (twilio_sid) DO UPDATE SET status = excluded.status, \
             error_code = coalesce(excluded.error_code, error_code)",
        )
        .bind(&[
            s(sid),
            s(to),
            s(from),
            s(status.as_str()),
            ms(crate::clock::now()),
            code.map_or(JsValue::NULL, JsValue::from),
        ])?
        .run()
        .await?;
    Ok(())
}

#[derive(Deserialize)]
pub struct Notification {
    pub twilio_sid: String,
    /// NULL for texts recorded before threads (0510): the SID stands for the message.
    pub message_id: Option<String>,
    pub n: f64,
    pub dispatcher_id: Option<String>,
    pub source: String,
    pub status: String,
    pub error_code: Option<f64>,
    pub created_at: f64,
    pub job_id: Option<String>,
    /// The number (or Messaging Service SID) it was sent as.
    pub from_phone: String,
    pub to_phone: String,
    pub body: String,
}

/// Claims the one fallback of a failed text (not itself a fallback) whose send is recorded.
pub async fn claim_fallback(env: &Env, sid: &str) -> worker::Result<Option<Notification>> {
    let d = db(env)?;
    let r = d
        .prepare(
            "UPDATE notifications SET fell_back = 1 WHERE twilio_sid = ?1 AND fell_back = 0 AND body != '' \
             AND status IN ('failed', 'undelivered')",
        )
        .bind(&[s(sid)])?
        .run()
        .await?;
    if changes(&r) != 1 {
        return Ok(None);
    }
    d.prepare(format!("SELECT {COLUMNS} FROM notifications WHERE twilio_sid = ?1"))
        .bind(&[s(sid)])?
        .first(None)
        .await
}

const COLUMNS: &str = "twilio_sid, message_id, n, dispatcher_id, source, status, error_code, created_at, job_id, \
                       from_phone, to_phone, body";

/// Every attempt of our texts to a job's customer, oldest first (at most `limit`, the newest).
pub async fn of_job(env: &Env, job_id: &str, limit: u32) -> worker::Result<Vec<Notification>> {
    let mut rows: Vec<Notification> = db(env)?
        .prepare(format!(
            "SELECT {COLUMNS} FROM notifications WHERE job_id = ?1 ORDER BY created_at DESC, n DESC LIMIT ?2"
        ))
        .bind(&[s(job_id), limit.into()])?
        .all()
        .await?
        .results()?;
    rows.reverse();
    Ok(rows)
}

/// Kept as long as the relay's audit log.
pub async fn delete_older_than(env: &Env, cutoff: chrono::DateTime<chrono::Utc>) -> worker::Result<usize> {
    let r = db(env)?
        .prepare("DELETE FROM notifications WHERE created_at < ?1")
        .bind(&[ms(cutoff)])?
        .run()
        .await?;
    Ok(changes(&r))
}
