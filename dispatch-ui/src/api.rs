//! The console's only network code: JSON to and from the Worker, with the session cookie
//! (same origin). An endpoint this deployment does not have yet answers 404 `not_found`, which
//! the views show as "not available" rather than an error.

use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestCredentials, RequestInit, Response};

#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The endpoint is not served here (404 `not_found`, or 405).
    NotAvailable,
    /// The session ended: sign in again.
    SignedOut,
    /// The API refused it: its stable code and message.
    Refused { status: u16, code: String, message: String },
    /// Network down, or a 5xx.
    Unavailable,
}

impl ApiError {
    pub fn describe(&self) -> String {
        match self {
            ApiError::NotAvailable => "Not available on this server yet.".into(),
            ApiError::SignedOut => "You are signed out.".into(),
            ApiError::Refused { message, code, .. } => format!("{message} ({code})"),
            ApiError::Unavailable => "The server cannot be reached; retrying.".into(),
        }
    }
}

pub type ApiResult = Result<Value, ApiError>;

pub async fn get(path: &str) -> ApiResult {
    call("GET", path, None).await
}

pub async fn send(method: &str, path: &str, body: &Value) -> ApiResult {
    call(method, path, Some(body.to_string())).await
}

pub async fn call(method: &str, path: &str, body: Option<String>) -> ApiResult {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_cache(web_sys::RequestCache::NoStore);
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some(b) = &body {
        init.set_body(&wasm_bindgen::JsValue::from_str(b));
    }
    let req = Request::new_with_str_and_init(path, &init).map_err(|_| ApiError::Unavailable)?;
    if body.is_some() {
        let _ = req.headers().set("Content-Type", "application/json");
    }
    let window = web_sys::window().ok_or(ApiError::Unavailable)?;
    let resp: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| ApiError::Unavailable)?
        .dyn_into()
        .map_err(|_| ApiError::Unavailable)?;
    let status = resp.status();
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let json: Value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    match status {
        200..=299 => Ok(json),
        401 => Err(ApiError::SignedOut),
        404 if json["error"] == "not_found" => Err(ApiError::NotAvailable),
        405 => Err(ApiError::NotAvailable),
        400..=499 => Err(ApiError::Refused {
            status,
            code: json["error"].as_str().unwrap_or_default().to_string(),
            message: json["message"].as_str().unwrap_or("refused").to_string(),
        }),
        _ => Err(ApiError::Unavailable),
    }
}

/// Copies `text` to the clipboard (best effort: a browser may refuse).
pub fn copy(text: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}

/// Encodes a path segment.
pub fn seg(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}
