//! `POST /notify/voice`: not built yet.

use crate::error::{AppError, AppResult};

pub fn post() -> AppResult {
    Err(AppError::client(
        501,
        "not_implemented",
        "voice notifications do not exist yet; use /notify/sms",
    ))
}
