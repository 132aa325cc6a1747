//! `POST /api/session` `{"phone", "code"}` → the session cookie; `GET /api/session` → who is
//! signed in; `DELETE /api/session` → signed out (the stored session is deleted, so the cookie
//! is dead everywhere at once).

use chrono::Duration;
use qdn_shared::session::{self, SignIn};
use qdn_shared::time::rfc3339;
use serde_json::json;
use worker::{Env, Request, Response};

use crate::error::{AppError, AppResult};

fn code_invalid() -> AppError {
    AppError::client(
        401,
        "code_invalid",
        "this code is wrong, used or expired; ask for a new one",
    )
}

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    super::not_cross_site(req)?;
    let (phone, code) = crate::http::json_body::<SignIn>(req).await?.validate()?;
    let ip = super::client_key(req);
    let now = crate::clock::now();
    let window = now - Duration::seconds(session::LIMIT_WINDOW_S);
    let counts = crate::db::sessions::counts(env, &phone, &ip, window).await?;
    if counts.wrong_by_ip >= session::WRONG_PER_IP {
        return Err(AppError::RateLimited {
            retry_after_s: session::LIMIT_WINDOW_S as u32,
        });
    }
    let cfg = crate::config::get(env);
    let secret = crate::config::jwt_secret(&cfg)?;
    let live = crate::db::sessions::live_code(env, &phone, now, session::MAX_TRIES).await?;
    let code_id = live.as_ref().map(|l| l.id);
    let Some(live) = live.filter(|l| session::code_matches(secret, &phone, &code, &l.code_hash)) else {
        crate::db::sessions::wrong_try(env, code_id, &ip, now).await?;
        return Err(code_invalid());
    };
    // Taken off the roster since the code was sent: no session.
    let (roster, _) = crate::db::roster::get(env).await?;
    let Some(tier) = roster.by_phone(&phone) else {
        return Err(code_invalid());
    };
    if !crate::db::sessions::spend_code(env, live.id).await? {
        return Err(code_invalid());
    }
    let token = session::session_token(super::random());
    let expires = now + Duration::seconds(session::SESSION_TTL_S);
    crate::db::sessions::open(
        env,
        &session::session_hash(&token),
        &tier.dispatcher_id,
        &phone,
        now,
        expires,
    )
    .await?;
    let mut resp = crate::http::json(
        200,
        &json!({ "dispatcher_id": tier.dispatcher_id, "name": tier.name, "expires_at": rfc3339(expires) }),
    );
    resp.headers_mut().set("Set-Cookie", &session::set_cookie(&token))?;
    Ok(resp)
}

pub async fn get(req: &Request, env: &Env) -> AppResult {
    let Some(s) = super::cookie::current(req, env).await? else {
        return Err(super::cookie::no_session());
    };
    let (roster, _) = crate::db::roster::get(env).await?;
    let name = roster
        .tiers
        .iter()
        .find(|t| t.dispatcher_id == s.dispatcher_id)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    Ok(crate::http::json(
        200,
        &json!({ "dispatcher_id": s.dispatcher_id, "name": name, "phone": s.phone, "expires_at": rfc3339(s.expires_at) }),
    ))
}

pub async fn delete(req: &Request, env: &Env) -> AppResult {
    if let Some(token) = super::cookie::token(req) {
        super::cookie::check_write(req, env)?;
        let hash = session::session_hash(&token);
        crate::db::sessions::close(env, &hash).await?;
        super::cookie::forget(&hash);
    }
    let mut resp = Response::empty()?.with_status(204);
    resp.headers_mut().set("Set-Cookie", &session::clear_cookie())?;
    resp.headers_mut().set("Cache-Control", "no-store")?;
    Ok(resp)
}
