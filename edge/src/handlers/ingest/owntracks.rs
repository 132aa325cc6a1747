//! `POST /ingest/owntracks`: OwnTracks in HTTP mode. Basic auth is `<device_id>:<ingest token>`
//! (or the device from `X-Limit-D`); the answer is `[]`, because anything else stalls the app's
//! upload queue. For the same reason a queued fix past retention is acknowledged and dropped.

use qdn_shared::fix::FixError;
use qdn_shared::ingest::owntracks::{self, Message};
use qdn_shared::token::{Scope, TokenError};
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    let (user, token) = basic_auth(req)?;
    let claims = crate::auth::verify(env, &token)?;
    crate::auth::require_scope(&claims, &[Scope::Ingest])?;
    let body = crate::http::body_bytes(req).await?;
    let raw = match owntracks::parse(&body)? {
        Message::Other => return Ok(empty_list()),
        Message::Location(raw) => raw,
    };
    let device_id = user
        .filter(|u| !u.is_empty())
        .or_else(|| crate::http::header(req, "X-Limit-D"))
        .unwrap_or_default();
    if !qdn_shared::ingest::valid_device_id(&device_id) {
        return Err(AppError::bad_request(
            "invalid_device_id",
            "the Basic auth user (or X-Limit-D) must be the device id",
        ));
    }
    let (trailer_id, job) = super::device_job(env, &device_id).await?;
    let bound = claims.trailer_id.as_deref() == Some(trailer_id.as_str())
        || (claims.job_id.is_some() && claims.job_id == job.as_ref().map(|j| j.job_id.clone()));
    if !bound {
        return Err(AppError::client(
            403,
            "token_device_mismatch",
            "this token is not for this device's trailer",
        ));
    }
    let Some(job) = job else {
        return Ok(empty_list());
    };
    let mut raw = raw;
    raw.trailer_id = Some(trailer_id);
    match raw.check(crate::clock::now()) {
        Ok(fix) => {
            super::store(env, &job, vec![Ok(fix)]).await?;
            Ok(empty_list())
        }
        Err(FixError::TooOld) => Ok(empty_list()),
        Err(e) => Err(e.into()),
    }
}

fn empty_list() -> worker::Response {
    crate::http::json(200, &serde_json::json!([]))
}

/// `Authorization: Basic base64(user:password)`; the user may be empty.
fn basic_auth(req: &Request) -> AppResult<(Option<String>, String)> {
    let missing = || AppError::from(TokenError::Missing);
    let h = crate::http::header(req, "Authorization").ok_or_else(missing)?;
    let (scheme, b64) = h.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(missing());
    }
    let decoded = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(TokenError::Malformed)?;
    let (user, pass) = decoded.split_once(':').ok_or(TokenError::Malformed)?;
    Ok((Some(user.to_string()), pass.to_string()))
}
