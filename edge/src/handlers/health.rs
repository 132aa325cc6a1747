//! `GET /healthz`: liveness without touching storage (the benchmarks' baseline).

use crate::error::AppResult;

pub fn get() -> AppResult {
    Ok(crate::http::json(200, &serde_json::json!({ "ok": true })))
}
