//! The customer's tracking page. One signal holds what the API last said; the live stream and the
//! poller feed it;
//! components render it. Pure formatting lives in `format` (tested natively).

mod api;
mod components;
pub mod format;
mod live;
mod poll;

/// Parses JSON with the browser's own parser (`JSON.parse`) into a Rust value: no JSON parser
/// in the wasm (serde_json's was 24 KB of it).
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    let value = js_sys::JSON::parse(text).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}

use wasm_bindgen::prelude::*;

use crate::components::App;

#[wasm_bindgen(start)]
pub fn start() {
    // The Worker's first paint (the headline, before the wasm arrived) gives way to the page.
    if let Some(first) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("qdn-first"))
    {
        first.remove();
    }
    leptos::mount::mount_to_body(App);
}
