//! `GET /api/jobs/{token or job_id}/location`: where the trailer is, the status and the ETA.
//! Answers carry an ETag of the body; a matching `If-None-Match` gets 304.

use qdn_shared::token::Scope;
use qdn_shared::view;
use sha2::{Digest, Sha256};
use worker::{Env, Request, Response};

use crate::error::{AppError, AppResult};

pub async fn get(req: &Request, env: &Env, key: &str) -> AppResult {
    let (job_id, _) = super::resolve(req, env, key, &[Scope::Track, Scope::Dispatch])?;
    let view = match crate::cache::view(&job_id) {
        Some(v) => v,
        None => crate::cache::put_view(&job_id, build(env, &job_id).await?),
    };
    Ok(conditional(req, &view))
}

/// The view, built from D1 (no cache); also what the live streams send.
pub(crate) async fn build(env: &Env, job_id: &str) -> AppResult<crate::cache::View> {
    let job = crate::cache::job(env, job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    let now = crate::clock::now();
    // Not on its way yet, or long finished: the trailer's whereabouts are not the customer's.
    let fixes = if view::shows_position(job.status, job.updated_at, now) {
        crate::db::fixes::recent(env, job_id).await?
    } else {
        Vec::new()
    };
    let past = crate::cache::past_trips_for(env, &job, &fixes).await?;
    let v = view::location_view_at(
        &job.facts(),
        fixes,
        &past,
        crate::config::get(env).company_number.clone(),
        now,
    );
    let body = serde_json::to_vec(&v).map_err(|e| AppError::Internal(e.to_string()))?;
    let digest = Sha256::digest(&body);
    let etag = format!(
        "\"{}\"",
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &digest[..12])
    );
    Ok(crate::cache::View { body, etag })
}

/// 200 with the ETag, or 304 when the client already has this body.
fn conditional(req: &Request, view: &crate::cache::View) -> Response {
    let fresh = crate::http::header(req, "If-None-Match").is_some_and(|inm| {
        inm.split(',')
            .any(|t| t.trim().trim_start_matches("W/") == view.etag || t.trim() == "*")
    });
    let mut resp = if fresh {
        Response::empty().unwrap().with_status(304)
    } else {
        crate::http::bytes_response(200, view.body.clone(), "application/json")
    };
    let h = resp.headers_mut();
    let _ = h.set("ETag", &view.etag);
    // Revalidate every poll (a new fix must show at once), cheaply thanks to the ETag.
    let _ = h.set("Cache-Control", "private, no-cache");
    resp
}
