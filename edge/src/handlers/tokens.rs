//! `POST /api/tokens` (dispatch): mint track, ingest and dispatch tokens.

use qdn_shared::token::{Claims, Scope, MAX_TTL_S};
use serde_json::Value;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    let caller = crate::auth::require(req, env, &[Scope::Dispatch])?;
    let body = crate::http::json_body(req).await?;
    let o = body
        .as_object()
        .ok_or_else(|| AppError::bad_request("invalid_body", "the body must be a JSON object"))?;
    let scope: Scope = o
        .get("scope")
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .ok_or_else(|| AppError::bad_request("invalid_scope", "scope must be track, ingest or dispatch"))?;
    let id = |key: &'static str| -> AppResult<Option<String>> {
        match o.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if qdn_shared::job::valid_id(s) => Ok(Some(s.clone())),
            Some(_) => Err(AppError::bad_request(
                "invalid_id",
                format!("{key} must be 1-64 letters, digits, - or _"),
            )),
        }
    };
    let (job_id, trailer_id) = (id("job_id")?, id("trailer_id")?);
    let default_ttl = match scope {
        Scope::Track => super::jobs::TRACK_TOKEN_TTL_S,
        Scope::Ingest => MAX_TTL_S,
        Scope::Dispatch => 12 * 3600,
    };
    let ttl_s = match o.get("ttl_s") {
        None | Some(Value::Null) => default_ttl,
        Some(v) => v.as_i64().filter(|t| (1..=MAX_TTL_S).contains(t)).ok_or_else(|| {
            AppError::bad_request("invalid_ttl", format!("ttl_s must be an integer from 1 to {MAX_TTL_S}"))
        })?,
    };
    match scope {
        Scope::Track if job_id.is_none() => {
            return Err(AppError::bad_request("missing_job_id", "a track token needs job_id"))
        }
        Scope::Ingest if job_id.is_none() && trailer_id.is_none() => {
            return Err(AppError::bad_request(
                "missing_binding",
                "an ingest token needs job_id or trailer_id",
            ))
        }
        _ => {}
    }
    if let Some(j) = &job_id {
        crate::db::jobs::get(env, j)
            .await?
            .ok_or_else(AppError::job_not_found)?;
    }
    let now = crate::clock::now().timestamp();
    let mut claims = Claims::new(scope, now, ttl_s);
    claims.job_id = job_id;
    claims.trailer_id = trailer_id;
    claims.sub = caller.sub;
    let secret = crate::config::jwt_secret(env)?;
    let token = qdn_shared::token::sign(&claims, secret.as_bytes());
    let expires_at = qdn_shared::time::from_ms(claims.exp * 1000).map(qdn_shared::time::rfc3339);
    Ok(crate::http::json(
        201,
        &serde_json::json!({ "token": token, "scope": scope, "expires_at": expires_at }),
    ))
}
