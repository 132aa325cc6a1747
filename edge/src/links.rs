//! Customers' tracking links: a track token for one job, in the page's URL.

use qdn_shared::mint::TRACK_TOKEN_TTL_S;
use qdn_shared::token::{Claims, Scope};

use crate::config::Config;
use crate::error::AppResult;

pub fn track_token(cfg: &Config, job_id: &str) -> AppResult<String> {
    Ok(issue_track(cfg, job_id)?.0)
}

/// A new track token for `job_id` and its claims (`jti`, `exp`).
pub fn issue_track(cfg: &Config, job_id: &str) -> AppResult<(String, Claims)> {
    let mut claims = Claims::new(Scope::Track, crate::clock::now().timestamp(), TRACK_TOKEN_TTL_S);
    claims.job_id = Some(job_id.to_string());
    crate::auth::issue(cfg, claims)
}

pub fn tracking_url(cfg: &Config, token: &str) -> String {
    format!("{}/track?job_id={token}", cfg.public_base_url)
}
