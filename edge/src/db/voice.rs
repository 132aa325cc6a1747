//! Calls: `voice_screens` (which dispatcher pressed 1 to take a call) and `calls` (every call,
//! its job, each tier rung and who took it).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use worker::Env;

use super::{db, ms, opt_s, s};

pub async fn accept(env: &Env, call_sid: &str, dispatcher_id: &str) -> worker::Result<()> {
    db(env)?
        .prepare("INSERT OR REPLACE INTO voice_screens (call_sid, dispatcher_id, accepted_at) VALUES (?1, ?2, ?3)")
        .bind(&[s(call_sid), s(dispatcher_id), ms(crate::clock::now())])?
        .run()
        .await?;
    Ok(())
}

pub async fn was_accepted(env: &Env, call_sid: &str) -> worker::Result<bool> {
    #[derive(Deserialize)]
    struct Row {
        #[allow(dead_code)]
        call_sid: String,
    }
    let row: Option<Row> = db(env)?
        .prepare("SELECT call_sid FROM voice_screens WHERE call_sid = ?1")
        .bind(&[s(call_sid)])?
        .first(None)
        .await?;
    Ok(row.is_some())
}

/// Kept as long as the relay's audit log.
pub async fn delete_older_than(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    super::delete_before(env, "DELETE FROM voice_screens WHERE accepted_at < ?1", cutoff).await
}

/// A call to the company number, as the thread and `call-status` show it.
#[derive(Debug, Deserialize)]
pub struct Call {
    pub call_sid: String,
    pub from_phone: String,
    pub to_phone: String,
    pub at: f64,
    pub status: String,
    pub dispatcher_id: Option<String>,
    /// JSON array of `qdn_shared::relay::thread::Attempt`.
    pub attempts: String,
}

/// Records a call as it comes in (Twilio's retry of the webhook changes nothing).
pub async fn start_call(env: &Env, call_sid: &str, job_id: Option<&str>, from: &str, to: &str) -> worker::Result<()> {
    let now = ms(crate::clock::now());
    db(env)?
        .prepare(
            "INSERT OR IGNORE INTO calls (call_sid, job_id, from_phone, to_phone, at, status, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'ringing', ?5)",
        )
        .bind(&[s(call_sid), opt_s(job_id), s(from), s(to), now])?
        .run()
        .await?;
    Ok(())
}

/// The call's job and caller, as recorded when it came in.
pub async fn call_of(env: &Env, call_sid: &str) -> worker::Result<Option<(Option<String>, String)>> {
    #[derive(Deserialize)]
    struct Row {
        job_id: Option<String>,
        from_phone: String,
    }
    let row: Option<Row> = db(env)?
        .prepare("SELECT job_id, from_phone FROM calls WHERE call_sid = ?1")
        .bind(&[s(call_sid)])?
        .first(None)
        .await?;
    Ok(row.map(|r| (r.job_id, r.from_phone)))
}

/// A tier is being rung for the call: its attempt, `ringing` until the dial ends.
pub async fn ringing(env: &Env, call_sid: &str, dispatcher_id: &str, to: &str) -> worker::Result<()> {
    let now = crate::clock::now();
    db(env)?
        .prepare(
            "UPDATE calls SET attempts = json_insert(attempts, '$[#]', json_object('n', json_array_length(attempts) + 1, \
             'dispatcher_id', ?2, 'to', ?3, 'at', ?4, 'status', 'ringing')), updated_at = ?5 WHERE call_sid = ?1",
        )
        .bind(&[s(call_sid), s(dispatcher_id), s(to), s(&qdn_shared::time::rfc3339(now)), ms(now)])?
        .run()
        .await?;
    Ok(())
}

/// The last tier's dial ended with Twilio's `DialCallStatus` (an answer already recorded stays).
pub async fn dial_ended(env: &Env, call_sid: &str, status: &str) -> worker::Result<()> {
    db(env)?
        .prepare(
            "UPDATE calls SET attempts = json_set(attempts, '$[#-1].status', ?2), updated_at = ?3 \
             WHERE call_sid = ?1 AND json_array_length(attempts) > 0 \
             AND json_extract(attempts, '$[#-1].status') = 'ringing'",
        )
        .bind(&[s(call_sid), s(status), ms(crate::clock::now())])?
        .run()
        .await?;
    Ok(())
}

/// The dispatcher pressed 1: the call is theirs.
pub async fn answered(env: &Env, call_sid: &str, dispatcher_id: &str) -> worker::Result<()> {
    db(env)?
        .prepare(
            "UPDATE calls SET status = 'answered', dispatcher_id = ?2, updated_at = ?3, attempts = CASE \
             WHEN json_array_length(attempts) > 0 THEN json_set(attempts, '$[#-1].status', 'answered') ELSE attempts END \
             WHERE call_sid = ?1",
        )
        .bind(&[s(call_sid), s(dispatcher_id), ms(crate::clock::now())])?
        .run()
        .await?;
    Ok(())
}

/// Nobody took it (`missed`), or the caller left a voicemail (`voicemail`).
pub async fn set_status(env: &Env, call_sid: &str, status: &str) -> worker::Result<()> {
    db(env)?
        .prepare("UPDATE calls SET status = ?2, updated_at = ?3 WHERE call_sid = ?1 AND status != 'answered'")
        .bind(&[s(call_sid), s(status), ms(crate::clock::now())])?
        .run()
        .await?;
    Ok(())
}

/// A job's calls, oldest first (at most `limit`, the newest).
pub async fn calls_of_job(env: &Env, job_id: &str, limit: u32) -> worker::Result<Vec<Call>> {
    let mut rows: Vec<Call> = db(env)?
        .prepare(
            "SELECT call_sid, from_phone, to_phone, at, status, dispatcher_id, attempts FROM calls \
             WHERE job_id = ?1 ORDER BY at DESC LIMIT ?2",
        )
        .bind(&[s(job_id), limit.into()])?
        .all()
        .await?
        .results()?;
    rows.reverse();
    Ok(rows)
}

/// Calls are kept as long as the relay's audit log.
pub async fn delete_calls_older_than(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    super::delete_before(env, "DELETE FROM calls WHERE at < ?1", cutoff).await
}
