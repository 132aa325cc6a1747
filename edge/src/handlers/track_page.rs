//! `GET /track?job_id=...`: the tracking page, with staged versions and a per-job canary.
//!
//! `TRACK_PAGE_VERSION` (e.g. `v2`) names `static/track/index-v2.html`; with
//! `TRACK_PAGE_CANARY_PERCENT` (0-100) only that share of jobs, picked stably by job id, get it.

use sha2::{Digest, Sha256};
use worker::{Env, Request, Response};

use crate::error::AppResult;

/// Only what the page needs: its own script, stylesheet and wasm, and the API.
pub const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub async fn get(req: &Request, env: &Env) -> AppResult {
    let query: Vec<(String, String)> = crate::http::query_pairs(req);
    let job_key = query
        .iter()
        .find(|(k, _)| k == "job_id")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let page = page_for(env, job_key);
    let assets = env.assets("ASSETS")?;
    let mut asset = assets
        .fetch(format!("https://assets.invalid/track/{page}"), None)
        .await?;
    if asset.status_code() != 200 && page != "index.html" {
        asset = assets.fetch("https://assets.invalid/track/index.html", None).await?;
    }
    if asset.status_code() != 200 {
        return Err(crate::error::AppError::Internal(format!(
            "asset track/{page} answered {}",
            asset.status_code()
        )));
    }
    // The company number, for people whose link fails (E.164 only: it lands in HTML).
    let phone = crate::config::company_number(env)
        .filter(|p| qdn_shared::phone::is_e164(p))
        .unwrap_or_default();
    let tiles = tile_template(env);
    let attribution = crate::config::get(env, "TRACK_TILE_ATTRIBUTION")
        .filter(|_| tiles.is_some())
        .unwrap_or_default();
    let html = String::from_utf8_lossy(&asset.bytes().await?)
        .replace("{{COMPANY_PHONE}}", &phone)
        .replace(
            "{{TILE_URL}}",
            &crate::twilio::xml_escape(tiles.as_ref().map_or("", |t| t.0.as_str())),
        )
        .replace("{{TILE_ATTRIBUTION}}", &crate::twilio::xml_escape(&attribution));
    let mut resp = secure_page(crate::http::bytes_response(
        200,
        html.into_bytes(),
        "text/html; charset=utf-8",
    ));
    if let Some((_, origin)) = &tiles {
        // The map's tile server, and nothing else, is added for images.
        let csp = CSP.replace("img-src 'self' data:", &format!("img-src 'self' data: {origin}"));
        let _ = resp.headers_mut().set("Content-Security-Policy", &csp);
    }
    Ok(resp)
}

/// `TRACK_TILE_URL` (an http(s) `{z}/{x}/{y}` template) and its origin, for the map's optional
/// raster background; off when unset or malformed.
fn tile_template(env: &Env) -> Option<(String, String)> {
    let t = crate::config::get(env, "TRACK_TILE_URL")?;
    let (scheme, rest) = t.split_once("://")?;
    let ok = ["{z}", "{x}", "{y}"].iter().all(|p| t.contains(p))
        && !t.contains(['"', '<', '>', '\'', ' ', ';', ','])
        && matches!(scheme, "https" | "http");
    let origin = format!("{scheme}://{}", rest.split('/').next()?);
    ok.then_some((t, origin))
}

/// Headers for a page whose URL carries a token.
pub fn secure_page(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    let _ = h.set("Cache-Control", "no-cache");
    let _ = h.set("Referrer-Policy", "no-referrer");
    let _ = h.set("X-Content-Type-Options", "nosniff");
    let _ = h.set("X-Frame-Options", "DENY");
    let _ = h.set("Content-Security-Policy", CSP);
    resp
}

fn page_for(env: &Env, job_key: &str) -> String {
    let Some(version) = crate::config::get(env, "TRACK_PAGE_VERSION").filter(|v| qdn_shared::job::valid_id(v)) else {
        return "index.html".into();
    };
    let percent: u64 = crate::config::get(env, "TRACK_PAGE_CANARY_PERCENT")
        .and_then(|p| p.parse().ok())
        .unwrap_or(100);
    // Bucket by the job the link is for (read without verifying: it only picks a page, and the
    // page's API calls verify the token), so a customer sees one version across visits.
    let job = qdn_shared::token::peek_job_id(job_key).unwrap_or_else(|| job_key.to_string());
    let bucket = Sha256::digest(job.as_bytes())[0] as u64 * 100 / 256;
    if bucket < percent.min(100) {
        format!("index-{version}.html")
    } else {
        "index.html".into()
    }
}
