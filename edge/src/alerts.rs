//! Alerts to `ALERT_WEBHOOK_URL` (Slack-compatible `{"text"}`), at most one per kind per 10 min
//! (the failover alert: one per clock hour).

use futures_util::future::{select, Either};
use qdn_shared::relay::alert::AlertKind;
use worker::{Delay, Env, Fetch, Headers, Method, Request, RequestInit};

pub const EVERY: chrono::Duration = chrono::Duration::minutes(10);
/// A webhook that has not answered by then is given up on (the alert is logged).
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Sends `text` unless an alert of `kind` went out in the last 10 minutes. Never fails the
/// caller: a broken webhook is logged.
pub async fn raise(env: &Env, kind: AlertKind, text: &str) {
    raise_keyed(env, kind, kind.as_str(), EVERY, text).await
}

/// Sends `text` unless an alert of `kind` went out in this clock hour (UTC): one per window
/// however often the condition recurs in it.
pub async fn raise_once_this_hour(env: &Env, kind: AlertKind, text: &str) {
    let window = crate::clock::now().format("%Y-%m-%dT%H");
    let key = format!("{}@{window}", kind.as_str());
    let text = format!("{text} (one alert for the hour from {window}:00Z)");
    // Longer than the window: the key is the window, so a later hour has a fresh key.
    raise_keyed(env, kind, &key, chrono::Duration::hours(2), &text).await
}

async fn raise_keyed(env: &Env, kind: AlertKind, key: &str, every: chrono::Duration, text: &str) {
    if crate::config::get(env).alert_webhook_url.is_none() {
        return;
    }
    match crate::db::alerts::claim(env, key, crate::clock::now(), every).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            worker::console_error!("alert {}: could not check the rate limit: {e}", kind.as_str());
            return;
        }
    }
    post(env, kind.as_str(), &format!("[QDN relay] {text}")).await
}

/// A tracking alert (`kind` e.g. `tracker_silent`), not rate-limited here: the caller decides
/// once per occurrence (a silence, say) and calls this once.
pub async fn raise_tracking(env: &Env, kind: &str, text: &str) {
    post(env, kind, &format!("[QDN tracking] {text}")).await
}

/// Posts one alert to the webhook, with a timeout; failures are logged.
async fn post(env: &Env, kind: &str, text: &str) {
    let Some(url) = crate::config::get(env).alert_webhook_url.clone() else {
        return;
    };
    let body = serde_json::json!({ "text": text, "kind": kind });
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(body.to_string().into()));
    let sent = match Request::new_with_init(&url, &init) {
        Ok(req) => {
            let fetch = Box::pin(async move { Fetch::Request(req).send().await.map(|r| r.status_code()) });
            match select(fetch, Box::pin(Delay::from(TIMEOUT))).await {
                Either::Left((r, _)) => r.map(Some),
                Either::Right(_) => Ok(None),
            }
        }
        Err(e) => Err(e),
    };
    match sent {
        Ok(Some(s)) if (200..300).contains(&s) => {}
        Ok(Some(s)) => worker::console_error!("alert {kind}: the webhook answered {s}"),
        Ok(None) => worker::console_error!("alert {kind}: the webhook gave no answer within {TIMEOUT:?}"),
        Err(e) => worker::console_error!("alert {kind}: the webhook failed: {e}"),
    }
}
