//! The console, one component per concern. `App` knows who is signed in and which view is
//! open; every view reads through [`Live`], which refetches every 10 s while the tab is visible
//! and after any change the dispatcher makes.

mod board;
mod conversations;
mod devices;
mod fleet;
mod metrics;
mod relay;
mod roster;
mod signin;

use std::future::Future;
use std::time::Duration;

use leptos::prelude::*;
use serde_json::Value;

use crate::api::{self, ApiError, ApiResult};

/// How often views refetch.
const POLL: Duration = Duration::from_secs(10);

/// The app-wide signals: a clock tick that views refetch on, and who is signed in.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub tick: RwSignal<u32>,
    pub now_ms: RwSignal<f64>,
    pub me: RwSignal<Option<Value>>,
    pub signed_out: RwSignal<bool>,
}

impl Ctx {
    /// Refetch every view now (after a change).
    pub fn refresh(&self) {
        self.tick.update(|t| *t += 1);
    }

    /// A request's failure: a lost session shows the sign-in again.
    pub fn fail(&self, e: &ApiError) -> String {
        if *e == ApiError::SignedOut {
            self.me.set(None);
            self.signed_out.set(true);
        }
        e.describe()
    }
}

pub fn ctx() -> Ctx {
    expect_context::<Ctx>()
}

/// An endpoint's latest answer, refetched on every tick: `None` until the first arrives.
pub type Live = RwSignal<Option<ApiResult>>;

pub fn live<F, Fut>(fetch: F) -> Live
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = ApiResult> + 'static,
{
    let c = ctx();
    let out: Live = RwSignal::new(None);
    Effect::new(move |_| {
        c.tick.get();
        let fut = fetch();
        leptos::task::spawn_local(async move {
            let r = fut.await;
            if let Err(e) = &r {
                c.fail(e);
            }
            out.set(Some(r));
        });
    });
    out
}

/// What a view shows while its data is missing: loading, "not available", or the error.
pub fn pending(r: &Option<ApiResult>) -> AnyView {
    match r {
        None => view! { <p class="muted" role="status">"Loading…"</p> }.into_any(),
        Some(Err(ApiError::NotAvailable)) => {
            view! { <p class="muted not-available">"Not available on this server yet."</p> }.into_any()
        }
        Some(Err(e)) => view! { <p class="error" role="alert">{e.describe()}</p> }.into_any(),
        Some(Ok(_)) => ().into_any(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Board,
    Fleet,
    Conversations,
    Relay,
    Roster,
    Devices,
    Metrics,
}

const TABS: [(Tab, &str); 7] = [
    (Tab::Board, "Board"),
    (Tab::Fleet, "Fleet"),
    (Tab::Conversations, "Conversations"),
    (Tab::Relay, "Relay"),
    (Tab::Roster, "Roster"),
    (Tab::Devices, "Devices"),
    (Tab::Metrics, "Metrics"),
];

fn visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() != web_sys::VisibilityState::Hidden)
}

#[component]
pub fn App() -> impl IntoView {
    let c = Ctx {
        tick: RwSignal::new(0),
        now_ms: RwSignal::new(js_sys::Date::now()),
        me: RwSignal::new(None),
        signed_out: RwSignal::new(false),
    };
    provide_context(c);
    let checked = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        if let Ok(me) = api::get("/api/session").await {
            c.me.set(Some(me));
        }
        checked.set(true);
    });
    let _ = set_interval_with_handle(
        move || {
            c.now_ms.set(js_sys::Date::now());
            if visible() && c.me.with_untracked(Option::is_some) {
                c.refresh();
            }
        },
        POLL,
    );
    let tab = RwSignal::new(Tab::Board);
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::call("DELETE", "/api/session", None).await;
            c.me.set(None);
        });
    };
    view! {
        {move || {
            if !checked.get() {
                return view! { <main class="console"><p role="status">"Loading…"</p></main> }.into_any();
            }
            let Some(me) = c.me.get() else {
                return view! { <signin::SignIn/> }.into_any();
            };
            let who = me["name"].as_str().filter(|n| !n.is_empty()).or(me["dispatcher_id"].as_str()).unwrap_or("").to_string();
            view! {
                <header class="top">
                    <h1>"QDN dispatch"</h1>
                    <nav aria-label="Views">
                        {TABS.iter().map(|&(t, label)| view! {
                            <button type="button" class="tab" aria-pressed=move || (tab.get() == t).to_string()
                                on:click=move |_| tab.set(t)>{label}</button>
                        }).collect_view()}
                    </nav>
                    <span class="who">{who}</span>
                    <button type="button" class="signout" on:click=sign_out>"Sign out"</button>
                </header>
                <main class="console" data-tick=move || c.tick.get()>
                    {move || match tab.get() {
                        Tab::Board => view! { <board::Board/> }.into_any(),
                        Tab::Fleet => view! { <fleet::Fleet/> }.into_any(),
                        Tab::Conversations => view! { <conversations::Conversations/> }.into_any(),
                        Tab::Relay => view! { <relay::Relay/> }.into_any(),
                        Tab::Roster => view! { <roster::RosterView/> }.into_any(),
                        Tab::Devices => view! { <devices::Devices/> }.into_any(),
                        Tab::Metrics => view! { <metrics::Metrics/> }.into_any(),
                    }}
                </main>
            }
            .into_any()
        }}
    }
}

/// A text field's value on input.
pub fn bind(sig: RwSignal<String>) -> impl Fn(leptos::ev::Event) + Copy {
    move |ev| sig.set(event_target_value(&ev))
}

/// "2026-11-22" (UTC) for the board's day.
pub fn today() -> String {
    let d = js_sys::Date::new_0();
    d.to_iso_string().as_string().unwrap_or_default()[..10].to_string()
}

/// Seconds since an RFC 3339 instant, by the browser's clock (parsed by the browser: chrono's
/// parser would cost the page its weight).
pub fn age_s(at: &str, now_ms: f64) -> Option<i64> {
    let t = js_sys::Date::parse(at);
    (!t.is_nan()).then(|| ((now_ms - t).max(0.0) / 1000.0) as i64)
}
