//! Small HTTP helpers: JSON in and out, bounded bodies, query parameters.

use qdn_shared::body::RequestBody;
use serde::Serialize;
use worker::{Headers, Request, Response};

use crate::error::{AppError, AppResult};

/// Largest JSON body accepted (a full 500-fix batch is ~100 KB).
pub const MAX_BODY: usize = 256 * 1024;

pub fn json(status: u16, body: &impl Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    bytes_response(status, bytes, "application/json")
}

pub fn bytes_response(status: u16, body: Vec<u8>, content_type: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", content_type);
    let _ = headers.set("Cache-Control", "no-store");
    Response::from_bytes(body)
        .map(|r| r.with_status(status).with_headers(headers))
        .unwrap_or_else(|_| Response::empty().unwrap().with_status(500))
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Reads the body, refusing more than [`MAX_BODY`] bytes whatever the framing: a Content-Length
/// over it is refused unread, and any body (chunked included) is read chunk by chunk and
/// dropped as soon as it passes the cap, so nothing larger is ever held in memory.
pub async fn body_bytes(req: &mut Request) -> AppResult<Vec<u8>> {
    use futures_util::StreamExt;
    let too_large = || {
        AppError::client(
            413,
            "body_too_large",
            format!("the body is larger than {} KB", MAX_BODY / 1024),
        )
    };
    let unreadable = || AppError::bad_request("invalid_body", "the body could not be read");
    if header(req, "Content-Length")
        .and_then(|l| l.parse::<usize>().ok())
        .is_some_and(|l| l > MAX_BODY)
    {
        return Err(too_large());
    }
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream().map_err(|_| unreadable())?;
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| unreadable())?;
        if bytes.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// A JSON body read into its type: the content type, if given, must be JSON.
pub async fn json_body<T: RequestBody>(req: &mut Request) -> AppResult<T> {
    require_json(req)?;
    let bytes = body_bytes(req).await?;
    Ok(qdn_shared::body::parse(&bytes)?)
}

/// As [`json_body`], where an empty body means the type's default (every field absent).
pub async fn json_body_or_empty<T: RequestBody + Default>(req: &mut Request) -> AppResult<T> {
    let bytes = body_bytes(req).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    require_json(req)?;
    Ok(qdn_shared::body::parse(&bytes)?)
}

/// A body sent with a content type must say JSON.
fn require_json(req: &Request) -> AppResult<()> {
    match header(req, "Content-Type") {
        Some(ct) if !ct.to_ascii_lowercase().contains("json") => Err(AppError::client(
            415,
            "unsupported_media_type",
            "send the body as application/json",
        )),
        _ => Ok(()),
    }
}

/// The query string's pairs, percent-decoded.
pub fn query_pairs(req: &Request) -> Vec<(String, String)> {
    req.url()
        .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
        .unwrap_or_default()
}
