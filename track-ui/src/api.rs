//! Fetching the location view, with `If-None-Match`.

use qdn_shared::view::LocationView;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

pub enum Fetched {
    Fresh(Box<LocationView>, Option<String>),
    NotModified,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The API refused the link: its status and stable error code.
    Refused { status: u16, code: String },
    /// Network down, or a 5xx: worth retrying.
    Unavailable,
}

pub async fn location(token: &str, etag: Option<&str>) -> Result<Fetched, ApiError> {
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_cache(web_sys::RequestCache::NoStore);
    let url = format!("/api/jobs/{}/location", js_sys::encode_uri_component(token));
    let req = Request::new_with_str_and_init(&url, &init).map_err(|_| ApiError::Unavailable)?;
    if let Some(tag) = etag {
        let _ = req.headers().set("If-None-Match", tag);
    }
    let window = web_sys::window().ok_or(ApiError::Unavailable)?;
    let resp: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| ApiError::Unavailable)?
        .dyn_into()
        .map_err(|_| ApiError::Unavailable)?;
    let status = resp.status();
    if status == 304 {
        return Ok(Fetched::NotModified);
    }
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    if status >= 500 || status == 0 || status == 429 {
        return Err(ApiError::Unavailable);
    }
    if status != 200 {
        // Only the body's stable code (`ErrorBody::error`) decides what the page says.
        let code = js_sys::JSON::parse(&text)
            .and_then(|body| js_sys::Reflect::get(&body, &"error".into()))
            .ok()
            .and_then(|c| c.as_string())
            .unwrap_or_default();
        return Err(ApiError::Refused { status, code });
    }
    let view: LocationView = crate::json::from_json(&text).ok_or(ApiError::Unavailable)?;
    let etag = resp.headers().get("ETag").ok().flatten();
    Ok(Fetched::Fresh(Box::new(view), etag))
}
