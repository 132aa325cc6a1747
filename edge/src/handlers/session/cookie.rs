//! The session cookie as a credential. `auth::require` is synchronous and called everywhere,
//! while a session lives in D1 (so that signing out revokes it at once, in every isolate). So
//! the router looks the cookie up before routing ([`load`]), and `require` reads the answer
//! ([`claims`]) from this isolate's table of sessions checked moments ago.

use std::cell::RefCell;
use std::collections::HashMap;

use qdn_shared::session;
use qdn_shared::token::{Claims, Scope};
use worker::{Env, Request};

use crate::db::sessions::Session;
use crate::error::{AppError, AppResult};

/// A lookup is trusted this long: the request that made it is still being served.
const FRESH_MS: f64 = 10_000.0;

struct Checked {
    dispatcher_id: String,
    expires_s: i64,
    at_ms: f64,
}

thread_local! {
    static CHECKED: RefCell<HashMap<String, Checked>> = RefCell::new(HashMap::new());
}

pub fn no_session() -> AppError {
    AppError::client(401, "session_invalid", "you are signed out; sign in again")
}

/// The session cookie's value, if the request has one.
pub fn token(req: &Request) -> Option<String> {
    let header = crate::http::header(req, "Cookie")?;
    session::cookie_value(&header).map(str::to_string)
}

/// A request without a bearer token, with a session cookie.
fn by_cookie(req: &Request) -> Option<String> {
    crate::http::header(req, "Authorization")
        .is_none()
        .then(|| token(req))?
}

/// The live session of the request's cookie, from D1.
pub async fn current(req: &Request, env: &Env) -> AppResult<Option<Session>> {
    let Some(token) = token(req) else {
        return Ok(None);
    };
    let hash = session::session_hash(&token);
    let found = crate::db::sessions::get(env, &hash, crate::clock::now()).await?;
    let now_ms = js_sys::Date::now();
    CHECKED.with(|c| {
        let mut c = c.borrow_mut();
        c.retain(|_, v| now_ms - v.at_ms < FRESH_MS);
        match &found {
            Some(s) => {
                c.insert(
                    hash,
                    Checked {
                        dispatcher_id: s.dispatcher_id.clone(),
                        expires_s: s.expires_at.timestamp(),
                        at_ms: now_ms,
                    },
                );
            }
            None => {
                c.remove(&hash);
            }
        }
    });
    Ok(found)
}

/// Run by the router before any handler: looks the cookie up when it is the credential.
pub async fn load(req: &Request, env: &Env) -> AppResult<()> {
    if by_cookie(req).is_some() {
        current(req, env).await?;
    }
    Ok(())
}

pub fn forget(hash: &str) {
    CHECKED.with(|c| c.borrow_mut().remove(hash));
}

/// A cookie-authenticated change must come from our own page (see `same_origin_write`).
pub fn check_write(req: &Request, env: &Env) -> AppResult<()> {
    let method = req.method().to_string();
    if session::is_safe_method(&method) {
        return Ok(());
    }
    let origin = crate::http::header(req, "Origin");
    let site = crate::http::header(req, "Sec-Fetch-Site");
    let base = &crate::config::get(env).public_base_url;
    if session::same_origin_write(origin.as_deref(), site.as_deref(), base) {
        Ok(())
    } else {
        Err(super::cross_site())
    }
}

/// For `auth::require`: dispatch claims of the request's session, when a cookie (and no bearer
/// token) is its credential; `None` without a cookie.
pub fn claims(req: &Request, env: &Env) -> AppResult<Option<Claims>> {
    let Some(token) = by_cookie(req) else {
        return Ok(None);
    };
    let hash = session::session_hash(&token);
    let now_ms = js_sys::Date::now();
    let found = CHECKED.with(|c| {
        c.borrow()
            .get(&hash)
            .filter(|v| now_ms - v.at_ms < FRESH_MS && v.expires_s * 1000 > now_ms as i64)
            .map(|v| (v.dispatcher_id.clone(), v.expires_s))
    });
    let (dispatcher_id, expires_s) = found.ok_or_else(no_session)?;
    check_write(req, env)?;
    let now_s = (now_ms / 1000.0) as i64;
    let mut c = Claims::new(Scope::Dispatch, now_s, expires_s - now_s);
    c.sub = Some(dispatcher_id);
    Ok(Some(c))
}
