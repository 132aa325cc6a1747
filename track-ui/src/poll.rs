//! The poll loop: every 10 s while visible and the live stream (`live.rs`) is not open,
//! backing off on errors, stopping when the job ends.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError, Fetched};
use crate::components::Model;

pub const INTERVAL_MS: i32 = 10_000;
const MAX_BACKOFF_MS: i32 = 60_000;

pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

pub fn hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden)
}

/// Resolves at once if the tab is visible, else when it becomes visible again.
pub async fn visible() {
    if !hidden() {
        return;
    }
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let cb = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        });
        let opts = web_sys::AddEventListenerOptions::new();
        opts.set_once(true);
        let _ = doc.add_event_listener_with_callback_and_add_event_listener_options(
            "visibilitychange",
            cb.unchecked_ref(),
            &opts,
        );
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

pub async fn run(token: String, model: Model) {
    let mut etag: Option<String> = None;
    let mut delay = INTERVAL_MS;
    if model.view.with_untracked(Option::is_some) {
        // The page came with the view; the stream or the next poll brings what changes.
        sleep(INTERVAL_MS).await;
    }
    loop {
        visible().await;
        if model.live.get_untracked() {
            // The stream brings every change; look again in a while.
            sleep(INTERVAL_MS).await;
            continue;
        }
        match api::location(&token, etag.as_deref()).await {
            Ok(Fetched::Fresh(view, tag)) => {
                etag = tag;
                delay = INTERVAL_MS;
                let done = view.status.is_final();
                model.view.set(Some(*view));
                model.reconnecting.set(false);
                model.polls.update(|n| *n += 1);
                if done {
                    model.stopped.set(true);
                    return;
                }
            }
            Ok(Fetched::NotModified) => {
                delay = INTERVAL_MS;
                model.reconnecting.set(false);
                model.polls.update(|n| *n += 1);
            }
            Err(ApiError::Refused { status, code }) => {
                model.refused.set(Some((status, code)));
                return;
            }
            Err(ApiError::Unavailable) => {
                model.reconnecting.set(true);
                delay = (delay * 2).min(MAX_BACKOFF_MS);
            }
        }
        sleep(delay).await;
    }
}
