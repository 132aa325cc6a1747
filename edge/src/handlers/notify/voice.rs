//! `POST /notify/voice` (dispatch): not built yet.

use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub fn post(req: &Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    Err(AppError::client(
        501,
        "not_implemented",
        "voice notifications do not exist yet; use /notify/sms",
    ))
}
