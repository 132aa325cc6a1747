//! The `notifications` table: texts to customers and whether one already fell back.

use serde::Deserialize;
use worker::Env;

use super::{changes, db, ms, opt_s, s};

pub async fn insert(
    env: &Env,
    sid: &str,
    job_id: Option<&str>,
    to: &str,
    from: &str,
    body: &str,
    fell_back: bool,
) -> worker::Result<()> {
    db(env)?
        .prepare(
            "INSERT OR IGNORE INTO notifications (twilio_sid, job_id, to_phone, from_phone, body, status, fell_back, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'sent', ?6, ?7)",
        )
        .bind(&[s(sid), opt_s(job_id), s(to), s(from), s(body), (fell_back as u32).into(), ms(crate::clock::now())])?
        .run()
        .await?;
    Ok(())
}

pub async fn set_status(env: &Env, sid: &str, status: &str) -> worker::Result<()> {
    db(env)?
        .prepare("UPDATE notifications SET status = ?2 WHERE twilio_sid = ?1")
        .bind(&[s(sid), s(status)])?
        .run()
        .await?;
    Ok(())
}

#[derive(Deserialize)]
pub struct Notification {
    pub job_id: Option<String>,
    pub to_phone: String,
    pub body: String,
}

/// Marks a primary-number text as fallen back, once; returns it if this call did.
pub async fn claim_fallback(env: &Env, sid: &str) -> worker::Result<Option<Notification>> {
    let d = db(env)?;
    let r = d
        .prepare("UPDATE notifications SET fell_back = 1 WHERE twilio_sid = ?1 AND fell_back = 0")
        .bind(&[s(sid)])?
        .run()
        .await?;
    if changes(&r) != 1 {
        return Ok(None);
    }
    d.prepare("SELECT job_id, to_phone, body FROM notifications WHERE twilio_sid = ?1")
        .bind(&[s(sid)])?
        .first(None)
        .await
}
