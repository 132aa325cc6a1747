//! The dispatchers' console at `/dispatch`: sign in with a texted code, then run the day —
//! board, fleet, conversations, relay, roster, devices, metrics — from one page. Every view
//! polls its endpoint every 10 s; `api` is the only network code; `mapref` and `format` are
//! pure and tested natively.

mod api;
mod components;
pub mod format;
pub mod mapref;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(components::App);
}
