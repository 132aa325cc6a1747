//! Devices: tracker ids that report but belong to no trailer, and devices needing a person;
//! assign an id to a trailer here (`PUT /api/trailers/{id}`).

use leptos::prelude::*;
use serde_json::{json, Value};

use super::{age_s, bind, ctx, live, pending};
use crate::api::{self, seg};
use crate::format::ago;

#[component]
pub fn Devices() -> impl IntoView {
    let c = ctx();
    let devices = live(|| api::get("/api/devices/unknown"));
    view! {
        <section aria-labelledby="dev-h">
            <h2 id="dev-h">"Devices"</h2>
            {move || devices.with(pending)}
            {move || devices.with(|d| d.as_ref().and_then(|r| r.as_ref().ok()).cloned()).map(|d| {
                let now = c.now_ms.get();
                let unknown = d["devices"].as_array().cloned().unwrap_or_default();
                let flagged = d["needs_attention"].as_array().cloned().unwrap_or_default();
                view! {
                    <h3>"Unknown devices (last 7 days)"</h3>
                    {unknown.is_empty().then(|| view! { <p class="muted">"Every reporting device is on a trailer."</p> })}
                    <ul class="devices">{unknown.into_iter().map(|u| view! { <Unknown device=u now/> }).collect_view()}</ul>
                    <h3>"Needs attention"</h3>
                    {flagged.is_empty().then(|| view! { <p class="muted">"Nothing to fix."</p> })}
                    <ul>{flagged.into_iter().map(|f| view! { <li>{format!("{} on {}: {}", f["device_id"].as_str().unwrap_or(""), f["trailer_id"].as_str().unwrap_or("?"), f["reason"].as_str().unwrap_or(""))}</li> }).collect_view()}</ul>
                }
            })}
        </section>
    }
}

#[component]
fn Unknown(device: Value, now: f64) -> impl IntoView {
    let c = ctx();
    let id = device["device_id"].as_str().unwrap_or_default().to_string();
    let trailer = RwSignal::new(String::new());
    let note = RwSignal::new(None::<String>);
    let input_id = format!("assign-{id}");
    let dev = id.clone();
    let assign = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (t, dev) = (trailer.get_untracked().trim().to_string(), dev.clone());
        if t.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            match api::send(
                "PUT",
                &format!("/api/trailers/{}", seg(&t)),
                &json!({ "device_id": dev }),
            )
            .await
            {
                Ok(_) => {
                    note.set(Some(format!("Assigned to {t}.")));
                    c.refresh();
                }
                Err(e) => note.set(Some(c.fail(&e))),
            }
        });
    };
    let seen = device["last_seen"]
        .as_str()
        .and_then(|a| age_s(a, now))
        .map(ago)
        .unwrap_or_default();
    view! {
        <li class="card">
            <p><strong>{id.clone()}</strong>{format!(" · {} · {} reports · last {seen}", device["protocol"].as_str().unwrap_or(""), device["count"])}</p>
            <form class="row" on:submit=assign>
                <label for=input_id.clone()>"Trailer"</label>
                <input id=input_id prop:value=move || trailer.get() on:input=bind(trailer)/>
                <button type="submit">"Assign"</button>
            </form>
            <p role="status" class="note">{move || note.get()}</p>
        </li>
    }
}
