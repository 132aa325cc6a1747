//! `POST /api/tokens` (dispatch): mint track, ingest and dispatch tokens, never of a higher
//! scope than the caller's nor outliving it.

use qdn_shared::mint::TokenRequest;
use qdn_shared::token::{Claims, Scope};
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    let caller = crate::auth::require(req, env, &[Scope::Dispatch])?;
    let mint = crate::http::json_body::<TokenRequest>(req).await?.validate()?;
    let now = crate::clock::now().timestamp();
    let ttl_s = mint.granted_by(&caller, now).map_err(|e| AppError::domain(&e))?;
    if let Some(j) = &mint.job_id {
        crate::db::jobs::get(env, j)
            .await?
            .ok_or_else(AppError::job_not_found)?;
    }
    let mut claims = Claims::new(mint.scope, now, ttl_s);
    claims.job_id = mint.job_id;
    claims.trailer_id = mint.trailer_id;
    claims.sub = caller.sub;
    let (token, claims) = crate::auth::issue(&crate::config::get(env), claims)?;
    let expires_at = qdn_shared::time::from_ms(claims.exp * 1000).map(qdn_shared::time::rfc3339);
    Ok(crate::http::json(
        201,
        &serde_json::json!({
            "token": token,
            "scope": mint.scope,
            "jti": claims.jti,
            "expires_at": expires_at,
        }),
    ))
}
