//! The customer's tracking page. One signal holds what the API last said; the live stream and the
//! poller feed it;
//! components render it. Pure formatting lives in `format` (tested natively).

mod api;
mod components;
pub mod format;
pub(crate) mod json;
mod live;
mod poll;

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
