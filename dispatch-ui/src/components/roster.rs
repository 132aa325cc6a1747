//! Roster: the relay's tiers in order, each with an availability switch and on-call hours in
//! its own time zone, and when it is on call — now, or next — by the relay's own rule
//! (`qdn_shared::metrics::next_on_call` over `roster::eligibility`).

use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;
use qdn_shared::metrics::{next_on_call, OnCallNow};
use qdn_shared::relay::roster::Roster;
use serde_json::{json, Value};

use super::ctx;
use crate::api;

fn local(t: DateTime<Utc>) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(t.timestamp_millis() as f64));
    d.to_locale_string("en-US", &wasm_bindgen::JsValue::UNDEFINED).into()
}

/// "On call now", "On call at <time>", "Not on call in the next 7 days".
fn preview(draft: &Value, i: usize, now_ms: f64) -> String {
    let Ok(roster) = serde_json::from_value::<Roster>(draft.clone()) else {
        return "Fix the hours (HH:MM) to see when.".into();
    };
    let Some(tier) = roster.tiers.get(i) else {
        return String::new();
    };
    let now = qdn_shared::time::from_ms(now_ms as i64).unwrap_or_default();
    match next_on_call(&roster, tier, now, Duration::days(7), &qdn_intl::Intl) {
        OnCallNow::Now => "On call now".into(),
        OnCallNow::At(t) => format!("On call at {}", local(t)),
        OnCallNow::Never if !tier.available => "Unavailable".into(),
        OnCallNow::Never => "Not on call in the next 7 days".into(),
    }
}

#[component]
pub fn RosterView() -> impl IntoView {
    let c = ctx();
    let draft = RwSignal::new(None::<Value>);
    let note = RwSignal::new(None::<String>);
    let load = move || {
        leptos::task::spawn_local(async move {
            match api::get("/api/relay/roster").await {
                Ok(mut v) => {
                    if let Some(o) = v.as_object_mut() {
                        o.remove("source");
                    }
                    draft.set(Some(v));
                }
                Err(e) => note.set(Some(c.fail(&e))),
            }
        });
    };
    load();
    let save = move |_| {
        let Some(body) = draft.get_untracked() else { return };
        leptos::task::spawn_local(async move {
            match api::send("PUT", "/api/relay/roster", &body).await {
                Ok(_) => note.set(Some("Roster saved.".into())),
                Err(e) => note.set(Some(c.fail(&e))),
            }
        });
    };
    let count = Memo::new(move |_| {
        draft.with(|d| {
            d.as_ref()
                .and_then(|d| d["tiers"].as_array().map(Vec::len))
                .unwrap_or(0)
        })
    });
    let edit = move |i: usize, f: Box<dyn Fn(&mut Value)>| {
        draft.update(|d| {
            if let Some(t) = d.as_mut().and_then(|d| d["tiers"].get_mut(i)) {
                f(t);
            }
        })
    };
    view! {
        <section aria-labelledby="roster-h">
            <h2 id="roster-h">"Roster"</h2>
            <p class="muted">"Texts and calls go to the first reachable tier, then down the list."</p>
            {move || draft.with(Option::is_none).then(|| view! { <p class="muted" role="status">"Loading…"</p> })}
            <ol class="roster">
                {move || {
                    // Only a change in the number of tiers redraws the list (an edit keeps focus).
                    (0..count.get()).map(|i| {
                        let tier = move || draft.with(|d| d.as_ref().map(|d| d["tiers"][i].clone()).unwrap_or_default());
                        let t0 = draft.with_untracked(|d| d.as_ref().map(|d| d["tiers"][i].clone()).unwrap_or_default());
                        let id = t0["dispatcher_id"].as_str().unwrap_or_default().to_string();
                        let oc = t0["on_call"].clone();
                        let field = move |key: &'static str| move |ev: leptos::ev::Event| {
                            let v = event_target_value(&ev);
                            edit(i, Box::new(move |t| {
                                if t["on_call"].is_null() {
                                    t["on_call"] = json!({ "tz": "UTC", "from": "00:00", "to": "23:59" });
                                }
                                t["on_call"][key] = v.clone().into();
                            }));
                        };
                        let (tz_id, from_id, to_id, sw_id) = (format!("tz-{i}"), format!("from-{i}"), format!("to-{i}"), format!("avail-{i}"));
                        let sw_for = sw_id.clone();
                        view! {
                            <li class="card tier-edit">
                                <h3>{format!("{}. {} ({})", i + 1, t0["name"].as_str().filter(|n| !n.is_empty()).unwrap_or(&id), t0["phone"].as_str().unwrap_or(""))}</h3>
                                <label class="switch" for=sw_for>
                                    <input id=sw_id type="checkbox" role="switch" prop:checked=move || tier()["available"] != false
                                        on:change=move |ev| { let on = event_target_checked(&ev); edit(i, Box::new(move |t| t["available"] = on.into())); }/>
                                    " Available"
                                </label>
                                <div class="row">
                                    <label for=tz_id.clone()>"Time zone"</label>
                                    <input id=tz_id placeholder="America/Chicago" value=oc["tz"].as_str().unwrap_or("").to_string() on:change=field("tz")/>
                                    <label for=from_id.clone()>"From"</label>
                                    <input id=from_id type="time" value=oc["from"].as_str().unwrap_or("").to_string() on:change=field("from")/>
                                    <label for=to_id.clone()>"To"</label>
                                    <input id=to_id type="time" value=oc["to"].as_str().unwrap_or("").to_string() on:change=field("to")/>
                                    <button type="button" on:click=move |_| edit(i, Box::new(|t| { if let Some(o) = t.as_object_mut() { o.remove("on_call"); } }))>"Always on call"</button>
                                </div>
                                <p class="preview" role="status">{move || draft.with(|d| d.as_ref().map(|d| preview(d, i, c.now_ms.get())).unwrap_or_default())}</p>
                            </li>
                        }
                    }).collect_view()
                }}
            </ol>
            <div class="row">
                <button type="button" on:click=save>"Save roster"</button>
                <button type="button" on:click=move |_| load()>"Reload"</button>
            </div>
            <p role="status" class="note">{move || note.get()}</p>
        </section>
    }
}
