//! Bearer tokens: verified once (signature, claims, revocation), then checked for scope and for
//! the job they are bound to. New tokens are signed here too, each with its own `jti`.

use qdn_shared::token::{self, Claims, Scope, TokenError};
use worker::{Env, Request};

use crate::config::Config;
use crate::error::{AppError, AppResult};

pub fn verify(env: &Env, raw: &str) -> AppResult<Claims> {
    let cfg = crate::config::get(env);
    let now = crate::clock::now().timestamp();
    let claims = token::verify(raw, crate::config::jwt_secret(&cfg)?, now)?;
    crate::revocations::check(&claims)?;
    Ok(claims)
}

/// Signs `claims` as a new token: a fresh `jti`, and an `iat` after any revocation of its job.
pub fn issue(cfg: &Config, mut claims: Claims) -> AppResult<(String, Claims)> {
    claims.jti = Some(crate::ids::new_id("tok_", 20));
    if let Some(iat) = claims.iat {
        claims.iat = Some(crate::revocations::issue_at(claims.job_id.as_deref(), iat));
    }
    let t = token::sign(&claims, crate::config::jwt_secret(cfg)?);
    Ok((t, claims))
}

pub fn bearer(req: &Request) -> AppResult<String> {
    let h = crate::http::header(req, "Authorization").ok_or(TokenError::Missing)?;
    match h.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() => Ok(t.trim().to_string()),
        _ => Err(TokenError::Malformed.into()),
    }
}

/// The request's credential — its bearer token, else the console's session cookie (looked up
/// by the router before routing; a cookie's changes must come from our own page) — verified
/// and of one of `scopes`.
pub fn require(req: &Request, env: &Env, scopes: &[Scope]) -> AppResult<Claims> {
    let claims = match crate::handlers::session::cookie::claims(req, env)? {
        Some(session) => session,
        None => verify(env, &bearer(req)?)?,
    };
    require_scope(&claims, scopes)?;
    Ok(claims)
}

pub fn require_scope(claims: &Claims, scopes: &[Scope]) -> AppResult<()> {
    if scopes.contains(&claims.scope) {
        return Ok(());
    }
    let wanted: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    Err(AppError::client(
        403,
        "forbidden_scope",
        format!(
            "a {} token may not do this; it needs scope {}",
            claims.scope.as_str(),
            wanted.join(" or ")
        ),
    ))
}

/// A job-bound token used on another job's path is answered like a job that does not exist,
/// so a token never tells whether another job exists.
pub fn require_job(claims: &Claims, job_id: &str) -> AppResult<()> {
    match (&claims.scope, &claims.job_id) {
        (Scope::Dispatch, _) => Ok(()),
        (_, Some(j)) if j == job_id => Ok(()),
        _ => Err(AppError::job_not_found()),
    }
}
