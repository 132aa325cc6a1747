//! `POST /api/tokens/revoke` (dispatch): `{"jti"}` revokes one token, `{"job_id"}` every token
//! bound to the job issued until now. Checked on every request; in force everywhere within a
//! minute, here at once.

use qdn_shared::revocation::{Revoke, RevokeRequest};
use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    let caller = crate::auth::require(req, env, &[Scope::Dispatch])?;
    let target = crate::http::json_body::<RevokeRequest>(req).await?.validate()?;
    let now = crate::clock::now().timestamp();
    let by = caller.sub.as_deref();
    let mut body = match target {
        Revoke::Jti(jti) => {
            crate::db::revocations::revoke_jti(env, &jti, now, by).await?;
            worker::console_log!("revoked token {jti}");
            crate::revocations::apply(|r| {
                r.jtis.insert(jti.clone());
            });
            serde_json::json!({ "revoked": "token", "jti": jti })
        }
        Revoke::Job(job_id) => {
            crate::db::jobs::get(env, &job_id)
                .await?
                .ok_or_else(AppError::job_not_found)?;
            crate::db::revocations::revoke_job(env, &job_id, now, by).await?;
            worker::console_log!("revoked every token of job {job_id}");
            crate::revocations::apply(|r| {
                let at = r.jobs.entry(job_id.clone()).or_insert(now);
                *at = (*at).max(now);
            });
            serde_json::json!({ "revoked": "job", "job_id": job_id })
        }
    };
    body["revoked_at"] = qdn_shared::time::from_ms(now * 1000)
        .map(qdn_shared::time::rfc3339)
        .into();
    Ok(crate::http::json(200, &body))
}
