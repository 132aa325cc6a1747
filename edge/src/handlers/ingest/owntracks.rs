//! `POST /ingest/owntracks`: OwnTracks in HTTP mode. Basic auth is `<device_id>:<ingest token>`
//! (or the device from `X-Limit-D`). Every message is answered `200 []`: any other answer
//! stalls Android's queue, and a 4xx makes iOS drop the message and show an alert. `encrypted`
//! messages are opened with the trailer's stored key (`PUT /api/trailers/{id}`
//! `{"owntracks_key"}`); without one they are acknowledged and the device is flagged.

use qdn_shared::ingest::{owntracks, Reported};
use qdn_shared::token::{Scope, TokenError};
use worker::{Context, Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env, ctx: &Context) -> AppResult {
    let (user, token) = basic_auth(req)?;
    let claims = crate::auth::verify(env, &token)?;
    crate::auth::require_scope(&claims, &[Scope::Ingest])?;
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
    let now = crate::clock::now();
    let Some(device) = crate::db::trailers::device(env, &device_id).await? else {
        // Read (so a body no app sends is still refused) but not used.
        owntracks::parse(&crate::http::body_bytes(req).await?, None)?;
        crate::db::devices::seen_unknown(env, &device_id, "owntracks", now).await?;
        return Ok(empty_list());
    };
    let job = crate::db::jobs::active_for_trailer(env, &device.trailer_id).await?;
    let bound = claims.trailer_id.as_deref() == Some(device.trailer_id.as_str())
        || (claims.job_id.is_some() && claims.job_id == job.as_ref().map(|j| j.job_id.clone()));
    if !bound {
        return Err(AppError::client(
            403,
            "token_device_mismatch",
            "this token is not for this device's trailer",
        ));
    }
    let body = crate::http::body_bytes(req).await?;
    let reported = owntracks::parse(&body, device.owntracks_key.as_deref())?;
    match job {
        Some(job) => {
            super::settle_and_store(env, ctx, &device_id, &device, &job, vec![reported], now).await?;
        }
        // A missing or wrong key stops every fix of the device, open job or not.
        None => {
            if let Reported::Ignored(why) = reported {
                super::flag_if_needed(env, &device_id, why, now).await?;
            }
        }
    }
    Ok(empty_list())
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
