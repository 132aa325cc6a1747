//! CORS for `/api/*` and `/notify/*`: only origins in `CORS_ALLOWED_ORIGINS` get an
//! `Access-Control-Allow-Origin`; every answer varies by Origin so caches keep them apart.

use worker::{Env, Request, Response};

use crate::error::AppError;
use crate::http::header;

pub fn applies(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/notify/")
}

fn allowed_origin(req: &Request, env: &Env) -> Option<String> {
    let origin = header(req, "Origin")?;
    crate::config::get(env).cors_allows(&origin).then_some(origin)
}

/// Answers a preflight: 204 with the allowances for an allowed origin, 403 otherwise.
pub fn preflight(req: &Request, env: &Env) -> Response {
    match allowed_origin(req, env) {
        Some(origin) => {
            let mut resp = Response::empty().unwrap().with_status(204);
            let h = resp.headers_mut();
            let _ = h.set("Access-Control-Allow-Origin", &origin);
            let _ = h.set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, OPTIONS");
            let _ = h.set(
                "Access-Control-Allow-Headers",
                "Authorization, Content-Type, If-None-Match",
            );
            let _ = h.set("Access-Control-Max-Age", "600");
            let _ = h.set("Vary", "Origin");
            resp
        }
        None => {
            let mut resp = AppError::client(
                403,
                "cors_origin_not_allowed",
                "this origin may not call the API from a browser",
            )
            .into_response();
            let _ = resp.headers_mut().set("Vary", "Origin");
            resp
        }
    }
}

pub fn decorate(req: &Request, env: &Env, resp: &mut Response) {
    let h = resp.headers_mut();
    let _ = h.append("Vary", "Origin");
    if let Some(origin) = allowed_origin(req, env) {
        let _ = h.set("Access-Control-Allow-Origin", &origin);
        let _ = h.set("Access-Control-Expose-Headers", "ETag");
    }
}
