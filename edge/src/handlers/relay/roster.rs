//! `GET|PUT /api/relay/roster` (dispatch).

use qdn_shared::relay::roster::RosterBody;
use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn get(req: &Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let (roster, stored) = crate::db::roster::get(env).await?;
    let mut v = serde_json::to_value(&roster).map_err(|e| AppError::Internal(e.to_string()))?;
    v["source"] = if stored { "stored" } else { "settings" }.into();
    Ok(crate::http::json(200, &v))
}

pub async fn put(req: &mut Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let roster = crate::http::json_body::<RosterBody>(req)
        .await?
        .validate(&qdn_intl::valid_tz)?;
    crate::db::roster::put(env, &roster).await?;
    let mut v = serde_json::to_value(&roster).map_err(|e| AppError::Internal(e.to_string()))?;
    v["source"] = "stored".into();
    Ok(crate::http::json(200, &v))
}
