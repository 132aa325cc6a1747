//! Method + path → handler. Every answer passes through here, so CORS and error bodies are
//! applied in one place, and so are the checks every request needs: a configuration that must
//! not be served is refused, and the revocation list is fresh before any token is checked.

use worker::{Context, Env, Method, Request, Response};

use crate::error::{AppError, AppResult};
use crate::handlers::{
    devices, dispatch_page, health, ingest, jobs, maintenance, metrics, notify, relay, session, sms, tokens,
    track_page, trailers, trailers_list, voice,
};

pub async fn handle(mut req: Request, env: &Env, ctx: &Context) -> Response {
    let path = req.path();
    if let Some(refusal) = crate::config::refusal(env) {
        return refusal.into_response();
    }
    if crate::cors::applies(&path) && req.method() == Method::Options {
        return crate::cors::preflight(&req, env);
    }
    if path != "/healthz" {
        crate::revocations::refresh(env).await;
    }
    if let Err(e) = session::cookie::load(&req, env).await {
        return e.into_response();
    }
    let mut resp = route(&mut req, env, ctx, &path)
        .await
        .unwrap_or_else(AppError::into_response);
    if crate::cors::applies(&path) {
        crate::cors::decorate(&req, env, &mut resp);
    }
    resp
}

async fn route(req: &mut Request, env: &Env, ctx: &Context, path: &str) -> AppResult {
    use Method::*;
    let method = req.method();
    let segs: Vec<&str> = without_trailing_slash(path)
        .trim_start_matches('/')
        .split('/')
        .collect();
    match segs.as_slice() {
        ["healthz"] => only(&method, &[Get, Head], "GET").and_then(|_| health::get()),
        ["track"] | ["track", ""] => {
            only(&method, &[Get, Head], "GET")?;
            track_page::get(req, env).await
        }
        ["api", "jobs"] => match method {
            Get => jobs::list::get(req, env).await,
            Post => jobs::create::post(req, env).await,
            _ => Err(AppError::Method { allow: "GET, POST" }),
        },
        ["api", "jobs", key] => match method {
            Get => jobs::read::get(req, env, key).await,
            Patch => jobs::patch::patch(req, env, ctx, key).await,
            _ => Err(AppError::Method { allow: "GET, PATCH" }),
        },
        ["api", "jobs", key, "location"] => match method {
            Get => jobs::location::get(req, env, key).await,
            Post => ingest::json::post(req, env, ctx, key).await,
            _ => Err(AppError::Method { allow: "GET, POST" }),
        },
        ["api", "jobs", key, "messages"] => {
            only(&method, &[Post], "POST")?;
            jobs::messages::post(req, env, key).await
        }
        ["api", "jobs", key, "read"] => {
            only(&method, &[Post], "POST")?;
            jobs::read_mark::post(req, env, key).await
        }
        ["api", "jobs", key, "message-status"] => {
            only(&method, &[Get], "GET")?;
            jobs::status::messages(req, env, key).await
        }
        ["api", "jobs", key, "call-status"] => {
            only(&method, &[Get], "GET")?;
            jobs::status::calls(req, env, key).await
        }
        ["api", "jobs", key, "sms-webhook"] => {
            only(&method, &[Post], "POST")?;
            jobs::webhooks::sms(req, env, key).await
        }
        ["api", "jobs", key, "call-webhook"] => {
            only(&method, &[Post], "POST")?;
            jobs::webhooks::call(req, env, key).await
        }
        ["api", "jobs", key, "links"] => match method {
            Post => jobs::links::post(req, env, key).await,
            Delete => jobs::links::delete(req, env, key).await,
            _ => Err(AppError::Method { allow: "POST, DELETE" }),
        },
        ["api", "metrics", "eta"] => {
            only(&method, &[Get], "GET")?;
            jobs::eta_metrics::get(req, env).await
        }
        ["api", "jobs", key, "live"] => {
            only(&method, &[Get], "GET")?;
            jobs::live::get(req, env, key).await
        }
        ["dispatch"] | ["dispatch", ""] => {
            only(&method, &[Get, Head], "GET")?;
            dispatch_page::get(env).await
        }
        ["api", "session"] => match method {
            Get => session::sign_in::get(req, env).await,
            Post => session::sign_in::post(req, env).await,
            Delete => session::sign_in::delete(req, env).await,
            _ => Err(AppError::Method {
                allow: "GET, POST, DELETE",
            }),
        },
        ["api", "session", "code"] => {
            only(&method, &[Post], "POST")?;
            session::code::post(req, env, ctx).await
        }
        ["api", "metrics", "relay"] => {
            only(&method, &[Get], "GET")?;
            metrics::relay::get(req, env).await
        }
        ["api", "trailers"] => {
            only(&method, &[Get], "GET")?;
            trailers_list::get(req, env).await
        }
        ["api", "relay", "messages", reference, "ack"] => {
            only(&method, &[Post], "POST")?;
            relay::ack::post(req, env, reference).await
        }
        ["api", "tokens"] => {
            only(&method, &[Post], "POST")?;
            tokens::mint::post(req, env).await
        }
        ["api", "tokens", "revoke"] => {
            only(&method, &[Post], "POST")?;
            tokens::revoke::post(req, env).await
        }
        ["api", "trailers", trailer_id] => {
            only(&method, &[Put], "PUT")?;
            trailers::put(req, env, trailer_id).await
        }
        ["api", "devices", "unknown"] => {
            only(&method, &[Get], "GET")?;
            devices::unknown(req, env).await
        }
        ["ingest", "osmand"] => {
            only(&method, &[Get, Post], "GET, POST")?;
            ingest::osmand::handle(req, env, ctx).await
        }
        ["ingest", "owntracks"] => {
            only(&method, &[Post], "POST")?;
            ingest::owntracks::post(req, env, ctx).await
        }
        ["sms", "inbound"] => {
            only(&method, &[Post], "POST")?;
            sms::inbound::post(req, env).await
        }
        ["sms", "relay-state"] => {
            only(&method, &[Post], "POST")?;
            sms::relay_state::post(req, env).await
        }
        ["sms", "delivery-status"] => {
            only(&method, &[Post], "POST")?;
            sms::delivery_status::post(req, env).await
        }
        ["voice", step] => {
            only(&method, &[Post], "POST")?;
            match *step {
                "inbound" => voice::inbound::post(req, env).await,
                "next" => voice::next::post(req, env).await,
                "screen" => voice::screen::prompt(req, env).await,
                "screen-result" => voice::screen::result(req, env).await,
                "recorded" => voice::recorded::post(req, env).await,
                _ => Err(AppError::not_found()),
            }
        }
        ["relay", "status"] => {
            only(&method, &[Get, Post], "GET, POST")?;
            relay::status::get(req, env).await
        }
        ["api", "relay", "roster"] => match method {
            Get => relay::roster::get(req, env).await,
            Put => relay::roster::put(req, env).await,
            _ => Err(AppError::Method { allow: "GET, PUT" }),
        },
        ["api", "dispatchers", id, "heartbeat"] => {
            only(&method, &[Post], "POST")?;
            relay::heartbeat::post(req, env, id).await
        }
        ["api", "maintenance", "run"] => {
            only(&method, &[Post], "POST")?;
            maintenance::post(req, env).await
        }
        ["notify", "sms"] => {
            only(&method, &[Post], "POST")?;
            notify::sms::post(req, env).await
        }
        ["notify", "voice"] => {
            only(&method, &[Post], "POST")?;
            notify::voice::post(req, env)
        }
        _ => Err(AppError::not_found()),
    }
}

/// Trackers and Twilio call the URL a person typed, and a trailing slash is easy to type
/// (Traccar Client 9 even appends one to a URL without a path). Those paths are served with or
/// without it, directly: a redirect would turn a tracker's POST into a GET without its body
/// (OkHttp, `HttpURLConnection`; Ktor follows redirects for GET only) and a webhook's signed
/// URL into another URL. The signature is still checked over the path as received.
fn without_trailing_slash(path: &str) -> &str {
    let lenient = ["/ingest/", "/sms/", "/voice/"].iter().any(|p| path.starts_with(p))
        || (path.starts_with("/api/jobs/") && path.ends_with("-webhook/"));
    match path.strip_suffix('/') {
        Some(trimmed) if lenient && !trimmed.ends_with('/') => trimmed,
        _ => path,
    }
}

fn only(method: &Method, allowed: &[Method], allow: &'static str) -> Result<(), AppError> {
    if allowed.contains(method) {
        Ok(())
    } else {
        Err(AppError::Method { allow })
    }
}
