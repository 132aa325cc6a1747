//! `GET /track?job_id=...`: the tracking page, with staged versions and a per-job canary.
//!
//! `TRACK_PAGE_VERSION` (e.g. `v2`) names `static/track/index-v2.html`; with
//! `TRACK_PAGE_CANARY_PERCENT` (0-100) only that share of jobs, picked stably by job id, get it.

use qdn_shared::config::TrackPage;
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
    let cfg = crate::config::get(env);
    let page = page_for(&cfg.track_page, job_key);
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
    let phone = cfg.company_number_e164().unwrap_or_default();
    let tiles = cfg.track_page.tiles.as_ref();
    let html = String::from_utf8_lossy(&asset.bytes().await?)
        .replace("{{COMPANY_PHONE}}", phone)
        .replace(
            "{{TILE_URL}}",
            &crate::twilio::xml_escape(tiles.map_or("", |t| t.url.as_str())),
        )
        .replace(
            "{{TILE_ATTRIBUTION}}",
            &crate::twilio::xml_escape(tiles.map_or("", |t| t.attribution.as_str())),
        );
    let mut resp = secure_page(crate::http::bytes_response(
        200,
        html.into_bytes(),
        "text/html; charset=utf-8",
    ));
    if let Some(t) = tiles {
        // The map's tile server, and nothing else, is added for images.
        let csp = CSP.replace("img-src 'self' data:", &format!("img-src 'self' data: {}", t.origin));
        let _ = resp.headers_mut().set("Content-Security-Policy", &csp);
    }
    Ok(resp)
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

fn page_for(page: &TrackPage, job_key: &str) -> String {
    let Some(version) = &page.version else {
        return "index.html".into();
    };
    // Bucket by the job the link is for (read without verifying: it only picks a page, and the
    // page's API calls verify the token), so a customer sees one version across visits.
    let job = qdn_shared::token::peek_job_id(job_key).unwrap_or_else(|| job_key.to_string());
    let bucket = Sha256::digest(job.as_bytes())[0] as u64 * 100 / 256;
    if bucket < page.canary_percent as u64 {
        format!("index-{version}.html")
    } else {
        "index.html".into()
    }
}
