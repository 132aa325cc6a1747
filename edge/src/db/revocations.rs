//! The `revoked_tokens` and `revoked_jobs` tables. Times in seconds, like a token's claims.

use qdn_shared::revocation::Revocations;
use qdn_shared::token::{LEEWAY_S, MAX_TTL_S};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Env;

use super::{changes, db, opt_s, s};

fn secs(t: i64) -> JsValue {
    JsValue::from_f64(t as f64)
}

/// Every revocation that can still refuse a token at `now_s`.
pub async fn load(env: &Env, now_s: i64) -> worker::Result<Revocations> {
    #[derive(Deserialize)]
    struct Jti {
        jti: String,
    }
    #[derive(Deserialize)]
    struct Job {
        job_id: String,
        revoked_at: f64,
    }
    let d = db(env)?;
    let r = d
        .batch(vec![
            d.prepare("SELECT jti FROM revoked_tokens WHERE expires_at >= ?1")
                .bind(&[secs(now_s)])?,
            d.prepare("SELECT job_id, revoked_at FROM revoked_jobs"),
        ])
        .await?;
    let (Some(jtis), Some(jobs)) = (r.first(), r.get(1)) else {
        return Err(worker::Error::RustError("D1 answered a batch of two with fewer".into()));
    };
    Ok(Revocations {
        jtis: jtis.results::<Jti>()?.into_iter().map(|r| r.jti).collect(),
        jobs: jobs
            .results::<Job>()?
            .into_iter()
            .map(|r| (r.job_id, r.revoked_at as i64))
            .collect(),
    })
}

/// The row outlives any token we mint, whose lifetime is at most `MAX_TTL_S`.
pub async fn revoke_jti(env: &Env, jti: &str, now_s: i64, by: Option<&str>) -> worker::Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO revoked_tokens (jti, revoked_at, expires_at, revoked_by) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(&[s(jti), secs(now_s), secs(now_s + MAX_TTL_S + LEEWAY_S), opt_s(by)])?
        .run()
        .await?;
    Ok(())
}

/// Revokes every token of the job issued until `now_s` (a later revocation moves the mark on).
pub async fn revoke_job(env: &Env, job_id: &str, now_s: i64, by: Option<&str>) -> worker::Result<()> {
    db(env)?
        .prepare(
            "INSERT INTO revoked_jobs (job_id, revoked_at, revoked_by) VALUES (?1, ?2, ?3) \
             ON CONFLICT (job_id) DO UPDATE SET revoked_at = max(revoked_at, excluded.revoked_at), \
             revoked_by = excluded.revoked_by",
        )
        .bind(&[s(job_id), secs(now_s), opt_s(by)])?
        .run()
        .await?;
    Ok(())
}

/// Drops rows no live token can match any more: revoked jtis past their bound, and job marks
/// older than the longest lifetime a minted token has.
pub async fn delete_expired(env: &Env, now_s: i64) -> worker::Result<usize> {
    let d = db(env)?;
    let r = d
        .batch(vec![
            d.prepare("DELETE FROM revoked_tokens WHERE expires_at < ?1")
                .bind(&[secs(now_s)])?,
            d.prepare("DELETE FROM revoked_jobs WHERE revoked_at < ?1")
                .bind(&[secs(now_s - MAX_TTL_S - LEEWAY_S)])?,
        ])
        .await?;
    Ok(r.iter().map(changes).sum())
}
