//! Configuration from Worker vars and secrets (`.dev.vars` locally); names as in CONTRACT.md.

use worker::Env;

use crate::error::AppError;

pub fn get(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .map(|v| v.to_string())
        .or_else(|_| env.secret(name).map(|v| v.to_string()))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

pub fn require(env: &Env, name: &str) -> Result<String, AppError> {
    get(env, name).ok_or_else(|| AppError::Internal(format!("{name} is not configured")))
}

pub fn jwt_secret(env: &Env) -> Result<String, AppError> {
    require(env, "JWT_SECRET")
}

/// The public origin, without a trailing slash.
pub fn public_base_url(env: &Env) -> String {
    get(env, "PUBLIC_BASE_URL")
        .unwrap_or_else(|| "http://127.0.0.1:8787".into())
        .trim_end_matches('/')
        .to_string()
}

pub fn company_number(env: &Env) -> Option<String> {
    get(env, "TWILIO_NUMBER")
}

pub fn cors_origins(env: &Env) -> Vec<String> {
    get(env, "CORS_ALLOWED_ORIGINS")
        .map(|s| {
            s.split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect()
        })
        .unwrap_or_default()
}
