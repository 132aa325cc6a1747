//! `GET /track?job_id=...`: the tracking page, with staged versions and a per-job canary.
//!
//! `TRACK_PAGE_VERSION` (e.g. `v2`) names `static/track/index-v2.html`; with
//! `TRACK_PAGE_CANARY_PERCENT` (0-100) only that share of jobs, picked stably by job id, get it.
//!
//! A link that `/location` would answer gets that answer in the page (`{{VIEW}}`, a JSON data
//! block), and its headline as HTML (`{{FIRST_PAINT}}`, in the words the page uses,
//! `qdn_shared::words`): a slow phone shows the ETA with the HTML, before the page's wasm
//! (most of its bytes) has arrived, and the page starts from the view without a round trip.
//! Any other link gets the page alone, which then asks `/location` and shows its refusal.

use qdn_shared::config::TrackPage;
use qdn_shared::token::Scope;
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
    let view = first_view(req, env, job_key).await;
    let first_paint = view.as_deref().map(first_paint).unwrap_or_default();
    let html = String::from_utf8_lossy(&asset.bytes().await?)
        .replace("{{COMPANY_PHONE}}", phone)
        .replace(
            "{{TILE_URL}}",
            &crate::twilio::xml_escape(tiles.map_or("", |t| t.url.as_str())),
        )
        .replace(
            "{{TILE_ATTRIBUTION}}",
            &crate::twilio::xml_escape(tiles.map_or("", |t| t.attribution.as_str())),
        )
        .replace("{{FIRST_PAINT}}", &first_paint)
        // Last: the view holds customers' text, which must not be taken for a placeholder.
        .replace("{{VIEW}}", &view.map(|v| v.replace('<', "\\u003c")).unwrap_or_default());
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

/// The location view (JSON) for a track token `/location` would answer. In the page, a `<`
/// becomes `\u003c` (it only occurs inside strings, where that is the same character), so the
/// JSON cannot end its `<script type="application/json">` block.
async fn first_view(req: &Request, env: &Env, key: &str) -> Option<String> {
    if !key.contains('.') {
        return None;
    }
    let (job_id, _) = crate::handlers::jobs::resolve(req, env, key, &[Scope::Track]).ok()?;
    let view = match crate::cache::view(&job_id) {
        Some(v) => v,
        None => crate::cache::put_view(
            &job_id,
            crate::handlers::jobs::location::build(env, &job_id).await.ok()?,
        ),
    };
    Some(String::from_utf8_lossy(&view.body).into_owned())
}

/// The page's header and headline, as the page draws them, until the page's wasm replaces them.
fn first_paint(view_json: &str) -> String {
    let Ok(view) = serde_json::from_str::<qdn_shared::view::LocationView>(view_json) else {
        return String::new();
    };
    let headline = qdn_shared::words::headline(&view, crate::clock::now());
    format!(
        "<main class=\"page\" id=\"qdn-first\"><header class=\"brand\"><span class=\"logo\" aria-hidden=\"true\">▮</span> Trailer tracking</header><section class=\"card eta\" aria-label=\"Arrival\"><p class=\"eta-big\">{}</p></section></main>",
        crate::twilio::xml_escape(&headline)
    )
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
