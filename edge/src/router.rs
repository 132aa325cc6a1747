//! Method + path → handler. Every answer passes through here, so CORS and error bodies are
//! applied in one place.

use worker::{Env, Method, Request, Response};

use crate::error::{AppError, AppResult};
use crate::handlers::{health, ingest, jobs, tokens, track_page, trailers};

pub async fn handle(mut req: Request, env: &Env) -> Response {
    let path = req.path();
    if crate::cors::applies(&path) && req.method() == Method::Options {
        return crate::cors::preflight(&req, env);
    }
    let mut resp = route(&mut req, env, &path)
        .await
        .unwrap_or_else(AppError::into_response);
    if crate::cors::applies(&path) {
        crate::cors::decorate(&req, env, &mut resp);
    }
    resp
}

async fn route(req: &mut Request, env: &Env, path: &str) -> AppResult {
    use Method::*;
    let method = req.method();
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segs.as_slice() {
        ["healthz"] => only(&method, &[Get, Head], "GET").and_then(|_| health::get()),
        ["track"] | ["track", ""] => {
            only(&method, &[Get, Head], "GET")?;
            track_page::get(req, env).await
        }
        ["api", "jobs"] => {
            only(&method, &[Post], "POST")?;
            jobs::create::post(req, env).await
        }
        ["api", "jobs", key] => match method {
            Get => jobs::read::get(req, env, key).await,
            Patch => jobs::patch::patch(req, env, key).await,
            _ => Err(AppError::Method { allow: "GET, PATCH" }),
        },
        ["api", "jobs", key, "location"] => match method {
            Get => jobs::location::get(req, env, key).await,
            Post => ingest::json::post(req, env, key).await,
            _ => Err(AppError::Method { allow: "GET, POST" }),
        },
        ["api", "tokens"] => {
            only(&method, &[Post], "POST")?;
            tokens::post(req, env).await
        }
        ["api", "trailers", trailer_id] => {
            only(&method, &[Put], "PUT")?;
            trailers::put(req, env, trailer_id).await
        }
        ["ingest", "osmand"] => {
            only(&method, &[Get, Post], "GET, POST")?;
            ingest::osmand::handle(req, env).await
        }
        ["ingest", "owntracks"] => {
            only(&method, &[Post], "POST")?;
            ingest::owntracks::post(req, env).await
        }
        _ => Err(AppError::client(404, "not_found", "no such endpoint")),
    }
}

fn only(method: &Method, allowed: &[Method], allow: &'static str) -> Result<(), AppError> {
    if allowed.contains(method) {
        Ok(())
    } else {
        Err(AppError::Method { allow })
    }
}
