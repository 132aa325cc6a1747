//! The console's sign-in: `session_codes`, `session_failures` and `sessions`
//! (`migrations/0530_sessions.sql`). Only hashes of codes and cookies are stored.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Env;

use super::{db, ms, opt_s, s, time};

/// How many codes were asked for this phone and from this address, and how many wrong codes
/// came from this address, since `since`.
pub struct Counts {
    pub by_phone: u32,
    pub by_ip: u32,
    pub wrong_by_ip: u32,
}

pub async fn counts(env: &Env, phone: &str, ip: &str, since: DateTime<Utc>) -> worker::Result<Counts> {
    #[derive(Deserialize)]
    struct Row {
        by_phone: f64,
        by_ip: f64,
        wrong_by_ip: f64,
    }
    let r: Option<Row> = db(env)?
        .prepare(
            "SELECT (SELECT count(*) FROM session_codes WHERE phone = ?1 AND created_at >= ?3) AS by_phone, \
             (SELECT count(*) FROM session_codes WHERE ip = ?2 AND created_at >= ?3) AS by_ip, \
             (SELECT count(*) FROM session_failures WHERE ip = ?2 AND at >= ?3) AS wrong_by_ip",
        )
        .bind(&[s(phone), s(ip), ms(since)])?
        .first(None)
        .await?;
    Ok(r.map_or(
        Counts {
            by_phone: 0,
            by_ip: 0,
            wrong_by_ip: 0,
        },
        |r| Counts {
            by_phone: r.by_phone as u32,
            by_ip: r.by_ip as u32,
            wrong_by_ip: r.wrong_by_ip as u32,
        },
    ))
}

/// Records a code asked for; `code_hash` is `None` for a phone that is not on the roster.
pub async fn insert_code(
    env: &Env,
    phone: &str,
    ip: &str,
    code_hash: Option<&str>,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> worker::Result<()> {
    db(env)?
        .prepare("INSERT INTO session_codes (phone, ip, code_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(&[s(phone), s(ip), opt_s(code_hash), ms(now), ms(expires)])?
        .run()
        .await?;
    Ok(())
}

pub struct LiveCode {
    pub id: f64,
    pub code_hash: String,
}

/// The phone's newest code, if it is unused, unexpired and has tries left. Only the newest
/// counts: asking for a new code retires the older ones.
pub async fn live_code(env: &Env, phone: &str, now: DateTime<Utc>, max_tries: u32) -> worker::Result<Option<LiveCode>> {
    #[derive(Deserialize)]
    struct Row {
        id: f64,
        code_hash: Option<String>,
        expires_at: f64,
        tries: f64,
        used: f64,
    }
    let r: Option<Row> = db(env)?
        .prepare(
            "SELECT id, code_hash, expires_at, tries, used FROM session_codes WHERE phone = ?1 \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(&[s(phone)])?
        .first(None)
        .await?;
    Ok(r.and_then(|r| {
        let live = r.used == 0.0 && time(r.expires_at) > now && (r.tries as u32) < max_tries;
        match (live, r.code_hash) {
            (true, Some(code_hash)) => Some(LiveCode { id: r.id, code_hash }),
            _ => None,
        }
    }))
}

/// A wrong code: one try fewer for the code (when there was one), one more for the address.
pub async fn wrong_try(env: &Env, code_id: Option<f64>, ip: &str, now: DateTime<Utc>) -> worker::Result<()> {
    let d = db(env)?;
    let mut stmts = vec![d
        .prepare("INSERT INTO session_failures (ip, at) VALUES (?1, ?2)")
        .bind(&[s(ip), ms(now)])?];
    if let Some(id) = code_id {
        stmts.push(
            d.prepare("UPDATE session_codes SET tries = tries + 1 WHERE id = ?1")
                .bind(&[JsValue::from_f64(id)])?,
        );
    }
    d.batch(stmts).await?;
    Ok(())
}

/// Spends the code, once: `false` when another request already did.
pub async fn spend_code(env: &Env, code_id: f64) -> worker::Result<bool> {
    #[derive(Deserialize)]
    struct Row {
        #[allow(dead_code)]
        id: f64,
    }
    let r: Option<Row> = db(env)?
        .prepare("UPDATE session_codes SET used = 1 WHERE id = ?1 AND used = 0 RETURNING id")
        .bind(&[JsValue::from_f64(code_id)])?
        .first(None)
        .await?;
    Ok(r.is_some())
}

pub async fn open(
    env: &Env,
    id_hash: &str,
    dispatcher_id: &str,
    phone: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> worker::Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO sessions (id_hash, dispatcher_id, phone, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&[s(id_hash), s(dispatcher_id), s(phone), ms(now), ms(expires)])?
        .run()
        .await?;
    Ok(())
}

pub struct Session {
    pub dispatcher_id: String,
    pub phone: String,
    pub expires_at: DateTime<Utc>,
}

/// The live session of a cookie's hash.
pub async fn get(env: &Env, id_hash: &str, now: DateTime<Utc>) -> worker::Result<Option<Session>> {
    #[derive(Deserialize)]
    struct Row {
        dispatcher_id: String,
        phone: String,
        expires_at: f64,
    }
    let r: Option<Row> = db(env)?
        .prepare("SELECT dispatcher_id, phone, expires_at FROM sessions WHERE id_hash = ?1 AND expires_at > ?2")
        .bind(&[s(id_hash), ms(now)])?
        .first(None)
        .await?;
    Ok(r.map(|r| Session {
        dispatcher_id: r.dispatcher_id,
        phone: r.phone,
        expires_at: time(r.expires_at),
    }))
}

pub async fn close(env: &Env, id_hash: &str) -> worker::Result<()> {
    db(env)?
        .prepare("DELETE FROM sessions WHERE id_hash = ?1")
        .bind(&[s(id_hash)])?
        .run()
        .await?;
    Ok(())
}

/// Expired sessions, and codes and failures older than `cutoff` (the cron).
pub async fn delete_expired(env: &Env, now: DateTime<Utc>, cutoff: DateTime<Utc>) -> worker::Result<()> {
    let d = db(env)?;
    d.batch(vec![
        d.prepare("DELETE FROM sessions WHERE expires_at <= ?1")
            .bind(&[ms(now)])?,
        d.prepare("DELETE FROM session_codes WHERE expires_at < ?1")
            .bind(&[ms(cutoff)])?,
        d.prepare("DELETE FROM session_failures WHERE at < ?1")
            .bind(&[ms(cutoff)])?,
    ])
    .await?;
    Ok(())
}
