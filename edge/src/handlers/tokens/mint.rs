//! `POST /api/tokens` (dispatch): mint track, ingest and dispatch tokens.

use qdn_shared::mint::TokenRequest;
use qdn_shared::token::{Claims, Scope};
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    let caller = crate::auth::require(req, env, &[Scope::Dispatch])?;
    let mint = crate::http::json_body::<TokenRequest>(req).await?.validate()?;
    if let Some(j) = &mint.job_id {
        crate::db::jobs::get(env, j)
            .await?
            .ok_or_else(AppError::job_not_found)?;
    }
    let mut claims = Claims::new(mint.scope, crate::clock::now().timestamp(), mint.ttl_s);
    claims.job_id = mint.job_id;
    claims.trailer_id = mint.trailer_id;
    claims.sub = caller.sub;
    let cfg = crate::config::get(env);
    let token = qdn_shared::token::sign(&claims, crate::config::jwt_secret(&cfg)?);
    let expires_at = qdn_shared::time::from_ms(claims.exp * 1000).map(qdn_shared::time::rfc3339);
    Ok(crate::http::json(
        201,
        &serde_json::json!({ "token": token, "scope": mint.scope, "expires_at": expires_at }),
    ))
}
