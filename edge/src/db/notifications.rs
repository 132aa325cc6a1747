//! The `notifications` table: texts to customers and whether one already fell back.
//!
//! The send's record and Twilio's status callback may arrive in either order, so both upsert
//! the row; a fallback needs both halves (a body to resend, a failed status) and is claimed once.

use qdn_shared::relay::message::DeliveryStatus;
use serde::Deserialize;
use worker::Env;

use super::{changes, db, ms, opt_s, s};

#[derive(Deserialize)]
struct Status {
    status: String,
}

/// Records a text we sent; returns the delivery status a fast callback may have set already.
pub async fn record_sent(
    env: &Env,
    sid: &str,
    job_id: Option<&str>,
    to: &str,
    from: &str,
    body: &str,
    fell_back: bool,
) -> worker::Result<Option<DeliveryStatus>> {
    let row: Option<Status> = db(env)?
        .prepare(
            "INSERT INTO notifications (twilio_sid, job_id, to_phone, from_phone, body, status, fell_back, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'sent', ?6, ?7) ON CONFLICT (twilio_sid) DO UPDATE SET job_id = excluded.job_id, \
             to_phone = excluded.to_phone, from_phone = excluded.from_phone, body = excluded.body, \
             fell_back = max(fell_back, excluded.fell_back) RETURNING status",
        )
        .bind(&[s(sid), opt_s(job_id), s(to), s(from), s(body), (fell_back as u32).into(), ms(crate::clock::now())])?
        .first(None)
        .await?;
    Ok(row.and_then(|r| DeliveryStatus::parse(&r.status)))
}

/// A status callback: sets the status, creating the row if the send is not recorded yet.
pub async fn set_status(env: &Env, sid: &str, status: DeliveryStatus, to: &str, from: &str) -> worker::Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO notifications (twilio_sid, to_phone, from_phone, body, status, fell_back, created_at) \
             VALUES (?1, ?2, ?3, '', ?4, 0, ?5) ON CONFLICT (twilio_sid) DO UPDATE SET status = excluded.status",
        )
        .bind(&[s(sid), s(to), s(from), s(status.as_str()), ms(crate::clock::now())])?
        .run()
        .await?;
    Ok(())
}

#[derive(Deserialize)]
pub struct Notification {
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
    d.prepare("SELECT job_id, from_phone, to_phone, body FROM notifications WHERE twilio_sid = ?1")
        .bind(&[s(sid)])?
        .first(None)
        .await
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
