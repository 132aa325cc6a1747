//! `GET /dispatch`: the dispatcher console (`static/dispatch/`, built from `dispatch-ui/`),
//! under the same strict CSP as the tracking page.

use worker::Env;

use crate::error::{AppError, AppResult};

pub async fn get(env: &Env) -> AppResult {
    let asset = env
        .assets("ASSETS")?
        .fetch("https://assets.invalid/dispatch/index.html", None)
        .await?;
    if asset.status_code() != 200 {
        return Err(AppError::Internal(format!(
            "asset dispatch/index.html answered {}",
            asset.status_code()
        )));
    }
    let mut asset = asset;
    let html = asset.bytes().await?;
    Ok(super::track_page::secure_page(crate::http::bytes_response(
        200,
        html,
        "text/html; charset=utf-8",
    )))
}
