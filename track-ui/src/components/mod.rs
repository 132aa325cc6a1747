//! The page, one component per concern.

mod contact;
mod eta;
mod map;
mod notice;
mod timeline;

use std::time::Duration;

use leptos::prelude::*;
use qdn_shared::view::LocationView;

/// Everything the page shows, as signals the poller writes.
#[derive(Clone, Copy)]
pub struct Model {
    pub view: RwSignal<Option<LocationView>>,
    pub reconnecting: RwSignal<bool>,
    pub refused: RwSignal<Option<(u16, String)>>,
    pub stopped: RwSignal<bool>,
    pub polls: RwSignal<u32>,
    /// Whether the live stream is open (the poller stands down meanwhile).
    pub live: RwSignal<bool>,
    /// Views the stream has pushed.
    pub pushes: RwSignal<u32>,
    /// The viewer's clock, ticking so ages and countdowns move between polls.
    pub now_ms: RwSignal<f64>,
}

fn query_job_id() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
    params
        .get("job_id")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A setting the Worker writes into the page as `<meta name=... content=...>`.
fn page_meta(name: &str) -> Option<String> {
    let doc = web_sys::window()?.document()?;
    let meta = doc.query_selector(&format!("meta[name={name}]")).ok()??;
    meta.get_attribute("content")
        .filter(|c| !c.is_empty() && !c.starts_with("{{"))
}

/// The view the Worker put in the page (`#qdn-view`), when the link is good: shown at once.
fn embedded_view() -> Option<LocationView> {
    let el = web_sys::window()?.document()?.get_element_by_id("qdn-view")?;
    crate::json::from_json(&el.text_content()?)
}

/// The company number, for people whose link failed.
fn page_phone() -> Option<String> {
    page_meta("qdn-company-phone").filter(|p| p.starts_with('+'))
}

#[component]
pub fn App() -> impl IntoView {
    let model = Model {
        view: RwSignal::new(embedded_view()),
        reconnecting: RwSignal::new(false),
        refused: RwSignal::new(None),
        stopped: RwSignal::new(false),
        polls: RwSignal::new(0),
        live: RwSignal::new(false),
        pushes: RwSignal::new(0),
        now_ms: RwSignal::new(js_sys::Date::now()),
    };
    let token = query_job_id();
    let phone = Memo::new(move |_| {
        model
            .view
            .with(|v| v.as_ref().and_then(|v| v.company_phone.clone()))
            .or_else(page_phone)
    });
    // A link cut short or mangled is told apart without asking the server.
    let token_shaped = token.as_deref().is_none_or(|t| t.split('.').count() == 3);
    if let Some(t) = token.clone().filter(|_| token_shaped) {
        leptos::task::spawn_local(crate::live::run(t.clone(), model));
        leptos::task::spawn_local(crate::poll::run(t, model));
        let _ = set_interval_with_handle(move || model.now_ms.set(js_sys::Date::now()), Duration::from_secs(5));
    }
    let has_token = token.is_some();
    let tiles = page_meta("qdn-tile-url").map(|url| map::Tiles {
        url,
        attribution: page_meta("qdn-tile-attribution"),
    });
    view! {
        <main class="page" data-polls=move || model.polls.get() data-live=move || model.live.get().to_string() data-pushes=move || model.pushes.get() data-stopped=move || model.stopped.get().to_string()>
            <header class="brand"><span class="logo" aria-hidden="true">"▮"</span>" Trailer tracking"</header>
            {move || {
                if !has_token {
                    let (title, body) = crate::format::missing_link(phone.get().as_deref());
                    return view! { <notice::Problem title body/> }.into_any();
                }
                if !token_shaped {
                    let (title, body) = crate::format::refusal(400, "token_malformed", phone.get().as_deref());
                    return view! { <notice::Problem title body/> }.into_any();
                }
                if let Some((status, code)) = model.refused.get() {
                    let (title, body) = crate::format::refusal(status, &code, phone.get().as_deref());
                    return view! { <notice::Problem title body/> }.into_any();
                }
                view! {
                    <notice::Reconnecting model/>
                    <eta::EtaCard model/>
                    <timeline::Timeline model/>
                    <map::Map model tiles=tiles.clone()/>
                    <contact::Contact phone/>
                }
                .into_any()
            }}
        </main>
    }
}
