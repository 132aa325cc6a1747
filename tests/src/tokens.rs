//! Tokens as the Worker checks them, signed with the stack's JWT secret (`qdn_shared::token`).

use chrono::Utc;
use qdn_shared::token::{self, Claims, Scope};

/// Claims for `scope`, bound to `job` when given, valid from now for `ttl_s` seconds.
pub fn claims(scope: Scope, job: Option<&str>, ttl_s: i64) -> Claims {
    let mut c = Claims::new(scope, Utc::now().timestamp(), ttl_s);
    c.job_id = job.map(str::to_string);
    c
}

pub fn sign(secret: &str, claims: &Claims) -> String {
    token::sign(claims, secret.as_bytes())
}

/// A signed token for `scope` (and `job`), valid from now for `ttl_s` seconds.
pub fn mint(secret: &str, scope: Scope, job: Option<&str>, ttl_s: i64) -> String {
    sign(secret, &claims(scope, job, ttl_s))
}
