//! The headline: ETA first, big and plain, with the arrival clock time, distance and freshness.
//! A stale position never shows as a live ETA.

use leptos::prelude::*;
use qdn_shared::view::LocationView;
use wasm_bindgen::JsValue;

use super::Model;
use crate::format;

/// "14:32" in the viewer's own locale and time zone.
fn local_time(ms: f64) -> String {
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"hour".into(), &"numeric".into());
    let _ = js_sys::Reflect::set(&opts, &"minute".into(), &"2-digit".into());
    let lang = web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_else(|| "en".into());
    js_sys::Date::new(&JsValue::from_f64(ms))
        .to_locale_time_string_with_options(&lang, &opts)
        .into()
}

struct Headline {
    big: String,
    detail: String,
    fresh: String,
    stale: bool,
}

fn headline(v: &LocationView, now_ms: f64) -> Headline {
    let now = chrono::DateTime::from_timestamp_millis(now_ms as i64).unwrap_or_default();
    let age_s = qdn_shared::words::age_s(v, now);
    let stale = age_s.is_some_and(format::is_stale);
    let fresh = age_s
        .map(format::freshness)
        .unwrap_or_else(|| format::no_position(v.status).into());
    // The same words the Worker wrote into the page's first paint.
    let big = qdn_shared::words::headline(v, now);
    let detail = match (&v.eta, stale, v.status.is_moving()) {
        (Some(eta), false, true) => format!(
            "around {} · {}",
            local_time(eta.arrive_at.timestamp_millis() as f64),
            format::distance_phrase(eta.distance_m)
        ),
        (Some(eta), true, true) => format!(
            "{} — we'll show an arrival time when it reports in again",
            format::distance_phrase(eta.distance_m)
        ),
        _ => String::new(),
    };
    Headline {
        big,
        detail,
        fresh,
        stale,
    }
}

#[component]
pub fn EtaCard(model: Model) -> impl IntoView {
    let h = Memo::new(move |_| {
        let now = model.now_ms.get();
        model.view.with(|v| {
            v.as_ref().map(|v| {
                let h = headline(v, now);
                (h.big, h.detail, h.fresh, h.stale)
            })
        })
    });
    view! {
        <section class="card eta" aria-label="Arrival">
            <p class="eta-big" aria-live="polite" aria-atomic="true">
                {move || h.get().map(|h| h.0).unwrap_or_else(|| "Finding your trailer…".into())}
            </p>
            <p class="eta-detail">{move || h.get().map(|h| h.1).unwrap_or_default()}</p>
            <p class=move || if h.get().is_some_and(|h| h.3) { "fresh stale" } else { "fresh" }>
                {move || h.get().map(|h| h.2).unwrap_or_default()}
            </p>
        </section>
    }
}
