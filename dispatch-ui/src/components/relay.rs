//! Relay: recent relayed messages, open ones first, each with its attempt timeline; ACK from
//! here stops a cascade as a texted `ACK #REF` does. And who the relay can reach now.

use leptos::prelude::*;
use serde_json::Value;

use super::{age_s, ctx, live, pending};
use crate::api::{self, seg};
use crate::format::ago;

#[component]
pub fn Relay() -> impl IntoView {
    let c = ctx();
    let status = live(|| api::get("/relay/status"));
    let note = RwSignal::new(None::<String>);
    let ack = move |reference: String| {
        leptos::task::spawn_local(async move {
            let r = reference.trim_start_matches('#').to_string();
            match api::call("POST", &format!("/api/relay/messages/{}/ack", seg(&r)), None).await {
                Ok(_) => {
                    note.set(Some(format!("#{r} acknowledged.")));
                    c.refresh();
                }
                Err(e) => note.set(Some(c.fail(&e))),
            }
        });
    };
    view! {
        <section aria-labelledby="relay-h">
            <h2 id="relay-h">"Relay"</h2>
            {move || status.with(pending)}
            <p role="status" class="note">{move || note.get()}</p>
            {move || status.with(|s| s.as_ref().and_then(|r| r.as_ref().ok()).cloned()).map(|s| {
                let now = c.now_ms.get();
                let mut msgs = s["messages"].as_array().cloned().unwrap_or_default();
                msgs.sort_by_key(|m| m["state"] != "open");
                let counts = &s["counts"];
                view! {
                    <p class="summary">{format!("Last {} h: {} failovers, {} exhausted, {} acknowledged, {} open.",
                        counts["window_hours"], counts["failovers"], counts["exhausted"], counts["acknowledged"], counts["open"])}</p>
                    <h3>"Tiers now"</h3>
                    <ul class="tiers">{s["tiers"].as_array().cloned().unwrap_or_default().into_iter().map(|t| {
                        let ok = t["eligible_now"] == true;
                        view! { <li class=if ok { "tier ok" } else { "tier skip" }>
                            {format!("{} ({}) — {}", t["name"].as_str().unwrap_or(""), t["dispatcher_id"].as_str().unwrap_or(""),
                                if ok { "reachable".to_string() } else { format!("skipped: {}", t["skip_reason"].as_str().unwrap_or("")) })}
                        </li> }
                    }).collect_view()}</ul>
                    <h3>"Messages"</h3>
                    {msgs.is_empty().then(|| view! { <p class="muted">"Nothing relayed recently."</p> })}
                    {msgs.into_iter().map(|m| {
                        let reference = m["ref"].as_str().unwrap_or_default().to_string();
                        let open = m["state"] == "open";
                        let age = m["created_at"].as_str().and_then(|a| age_s(a, now)).map(ago).unwrap_or_default();
                        let r2 = reference.clone();
                        view! {
                            <article class=format!("relay card {}", m["state"].as_str().unwrap_or(""))>
                                <h4>{format!("{reference} from {} · {age}", m["from"].as_str().unwrap_or(""))}</h4>
                                <p>{format!("State: {}{}", m["state"].as_str().unwrap_or(""),
                                    m["acked_by"].as_str().map(|b| format!(" by {b}")).unwrap_or_default())}
                                   {m["job_id"].as_str().map(|j| format!(" · job {j}"))}</p>
                                <ol class="timeline">{m["attempts"].as_array().cloned().unwrap_or_default().into_iter().map(|a: Value| view! {
                                    <li>{format!("{}. {} ({}) — {}{} · {}", a["n"], a["dispatcher_id"].as_str().unwrap_or(""), a["to"].as_str().unwrap_or(""),
                                        a["status"].as_str().unwrap_or(""), a["error_code"].as_u64().map(|c| format!(" (error {c})")).unwrap_or_default(),
                                        a["at"].as_str().and_then(|t| age_s(t, now)).map(ago).unwrap_or_default())}</li>
                                }).collect_view()}</ol>
                                {open.then(|| view! { <button type="button" on:click=move |_| ack(r2.clone())>{format!("ACK {reference}")}</button> })}
                            </article>
                        }
                    }).collect_view()}
                }
            })}
        </section>
    }
}
