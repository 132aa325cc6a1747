//! The live stream: a WebSocket to `/api/jobs/{token}/live` while the tab is visible, each
//! message a new location view. The poller stands down while the stream is open and takes over
//! when it is not; a closed or failing stream is retried with backoff; a hidden tab drops the
//! stream and opens it again on return.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use qdn_shared::view::LocationView;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::api::{self, ApiError, Fetched};
use crate::components::Model;
use crate::poll::{sleep, visible};

const MIN_BACKOFF_MS: i32 = 1_000;
const MAX_BACKOFF_MS: i32 = 60_000;
/// A stream that stayed open this long was healthy: its next retry starts from the minimum.
const HEALTHY_MS: f64 = 30_000.0;

#[derive(Clone, Copy, PartialEq, Debug)]
enum End {
    /// The tab was hidden: reopen when it is visible again.
    Hidden,
    /// The server withdrew the link (revoked, expired): ask `/location` what to show.
    Refused,
    /// The job is over: nothing more will come.
    Finished,
    /// Network or server trouble: retry with backoff.
    Failed,
}

pub async fn run(token: String, model: Model) {
    let mut backoff = MIN_BACKOFF_MS;
    loop {
        visible().await;
        if model.stopped.get_untracked() || model.refused.get_untracked().is_some() {
            return;
        }
        let opened = js_sys::Date::now();
        let end = session(&token, model).await;
        model.live.set(false);
        match end {
            End::Hidden => backoff = MIN_BACKOFF_MS,
            End::Finished => return,
            End::Refused => {
                match api::location(&token, None).await {
                    Err(ApiError::Refused { status, code }) => model.refused.set(Some((status, code))),
                    Ok(Fetched::Fresh(view, _)) => model.view.set(Some(*view)),
                    _ => {}
                }
                return;
            }
            End::Failed => {
                if js_sys::Date::now() - opened >= HEALTHY_MS {
                    backoff = MIN_BACKOFF_MS;
                }
                // Jittered, so pages cut off together do not all come back in the same instant.
                let jitter = (js_sys::Math::random() * backoff as f64 / 2.0) as i32;
                sleep(backoff + jitter).await;
                backoff = (backoff * 2).min(MAX_BACKOFF_MS);
            }
        }
    }
}

fn url(token: &str) -> Option<String> {
    let loc = web_sys::window()?.location();
    let scheme = if loc.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!(
        "{scheme}://{}/api/jobs/{}/live",
        loc.host().ok()?,
        js_sys::encode_uri_component(token)
    ))
}

/// One connection, until it closes or the tab is hidden.
async fn session(token: &str, model: Model) -> End {
    let Some(ws) = url(token).and_then(|u| WebSocket::new(&u).ok()) else {
        return End::Failed;
    };
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return End::Failed;
    };
    let end: Rc<Cell<Option<End>>> = Rc::new(Cell::new(None));
    let resolve: Rc<RefCell<Option<js_sys::Function>>> = Rc::new(RefCell::new(None));
    let done = js_sys::Promise::new(&mut |res, _| *resolve.borrow_mut() = Some(res));
    let finish = {
        let (end, resolve) = (end.clone(), resolve.clone());
        move |why: End| {
            if end.get().is_none() {
                end.set(Some(why));
            }
            if let Some(r) = resolve.borrow_mut().take() {
                let _ = r.call0(&JsValue::NULL);
            }
        }
    };

    let on_open = Closure::<dyn FnMut()>::new(move || {
        model.live.set(true);
        model.reconnecting.set(false);
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(text) = e.data().as_string() else { return };
        if let Some(view) = crate::json::from_json::<LocationView>(&text) {
            let done = view.status.is_final();
            model.view.set(Some(view));
            model.pushes.update(|n| *n += 1);
            if done {
                model.stopped.set(true);
            }
        }
    });
    let on_close = {
        let finish = finish.clone();
        Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            finish(match e.code() {
                4000..=4999 => End::Refused,
                _ if model.stopped.get_untracked() => End::Finished,
                _ => End::Failed,
            })
        })
    };
    let on_visibility = {
        let (finish, ws) = (finish.clone(), ws.clone());
        Closure::<dyn FnMut()>::new(move || {
            if crate::poll::hidden() {
                finish(End::Hidden);
                let _ = ws.close_with_code(1000);
            }
        })
    };
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let _ = doc.add_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref());

    let _ = wasm_bindgen_futures::JsFuture::from(done).await;

    ws.set_onopen(None);
    ws.set_onmessage(None);
    ws.set_onclose(None);
    let _ = doc.remove_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref());
    end.get().unwrap_or(End::Failed)
}
