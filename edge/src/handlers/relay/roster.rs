//! `GET|PUT /api/relay/roster` (dispatch).

use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn get(req: &Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let (roster, stored) = crate::db::relay::roster(env).await?;
    let mut v = serde_json::to_value(&roster).map_err(|e| AppError::Internal(e.to_string()))?;
    v["source"] = if stored { "stored" } else { "settings" }.into();
    Ok(crate::http::json(200, &v))
}

pub async fn put(req: &mut Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let body = crate::http::json_body(req).await?;
    let roster = qdn_shared::relay::roster::validate(&body, &crate::local_time::valid_tz)
        .map_err(|e| AppError::from_code(400, &e))?;
    crate::db::relay::put_roster(env, &roster).await?;
    let mut v = serde_json::to_value(&roster).map_err(|e| AppError::Internal(e.to_string()))?;
    v["source"] = "stored".into();
    Ok(crate::http::json(200, &v))
}
