//! Conversations: a job's thread (`GET /api/jobs/{id}` `messages`) and a reply to its customer
//! (`POST /api/jobs/{id}/messages`; where the server has no threads yet, `/notify/sms`). A job
//! whose thread has inbound messages newer than this browser last showed it is marked unread.

use leptos::prelude::*;
use serde_json::{json, Value};

use super::{bind, ctx, live, pending, today};
use crate::api::{self, seg, ApiError};
use crate::seen;

#[component]
pub fn Conversations() -> impl IntoView {
    let c = ctx();
    let jobs = live(|| {
        let d = today();
        async move { api::get(&format!("/api/jobs?day={d}")).await }
    });
    let selected = RwSignal::new(None::<String>);
    let thread = live(move || {
        let id = selected.get();
        async move {
            match id {
                Some(id) => api::get(&format!("/api/jobs/{}", seg(&id))).await,
                None => Ok(Value::Null),
            }
        }
    });
    // Each listed job's inbound times, refetched whenever the list is (every 10 s): the list
    // endpoint does not carry them, so one thread read per job of the day (a server-side
    // "last inbound" in the list would save these reads).
    let inbound = RwSignal::new(Vec::<(String, Vec<f64>)>::new());
    Effect::new(move |_| {
        let ids: Vec<String> = jobs.with(|j| {
            j.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|v| v["jobs"].as_array())
                .map(|list| {
                    list.iter()
                        .filter_map(|j| j["job_id"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        });
        // All at once (the browser queues them), each marker updated as its thread arrives: a
        // busy day's list is up to 200 jobs.
        for id in ids {
            leptos::task::spawn_local(async move {
                let Ok(job) = api::get(&format!("/api/jobs/{}", seg(&id))).await else {
                    return;
                };
                let times = seen::inbound_ms(&job);
                inbound.update(|all| match all.iter_mut().find(|(j, _)| *j == id) {
                    Some(entry) => entry.1 = times,
                    None => all.push((id, times)),
                });
            });
        }
    });
    // Bumped when a thread is marked seen, so the markers recount.
    let seen_rev = RwSignal::new(0u32);
    Effect::new(move |_| {
        thread.with(|t| {
            let Some(Ok(job)) = t else { return };
            let (Some(id), Some(newest)) = (
                job["job_id"].as_str(),
                seen::inbound_ms(job).into_iter().reduce(f64::max),
            ) else {
                return;
            };
            seen::mark(id, newest);
            seen_rev.update(|n| *n += 1);
        });
    });
    let unread = move |id: &str| -> usize {
        seen_rev.get();
        if selected.with(|s| s.as_deref() == Some(id)) {
            return 0;
        }
        let since = seen::get(id);
        inbound.with(|all| {
            all.iter()
                .find(|(j, _)| j == id)
                .map_or(0, |(_, times)| times.iter().filter(|&&t| t > since).count())
        })
    };
    let reply = RwSignal::new(String::new());
    let note = RwSignal::new(None::<String>);
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(id) = selected.get_untracked() else { return };
        let body = reply.get_untracked();
        if body.trim().is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            let mut payload = json!({ "body": body });
            if let Some(me) =
                c.me.get_untracked()
                    .and_then(|m| m["dispatcher_id"].as_str().map(str::to_string))
            {
                payload["dispatcher_id"] = me.into();
            }
            let r = match api::send("POST", &format!("/api/jobs/{}/messages", seg(&id)), &payload).await {
                Err(ApiError::NotAvailable) => {
                    api::send("POST", "/notify/sms", &json!({ "job_id": id, "body": body })).await
                }
                r => r,
            };
            match r {
                Ok(_) => {
                    reply.set(String::new());
                    note.set(Some("Sent.".into()));
                    c.refresh();
                }
                Err(e) => note.set(Some(c.fail(&e))),
            }
        });
    };
    view! {
        <section aria-labelledby="conv-h">
            <h2 id="conv-h">"Conversations"</h2>
            {move || jobs.with(pending)}
            <div class="split">
                <ul class="job-list" aria-label="Today's jobs">
                    {move || jobs.with(|j| j.as_ref().and_then(|r| r.as_ref().ok()).map(|v| {
                        v["jobs"].as_array().cloned().unwrap_or_default().into_iter().map(|j| {
                            let id = j["job_id"].as_str().unwrap_or_default().to_string();
                            let label = format!("{} · {}", j["customer_name"].as_str().unwrap_or("—"), id);
                            let (id2, id3) = (id.clone(), id.clone());
                            view! { <li><button type="button" aria-pressed=move || (selected.get().as_deref() == Some(id.as_str())).to_string()
                                on:click=move |_| selected.set(Some(id2.clone()))>{label}
                                {move || match unread(&id3) {
                                    0 => None,
                                    n => Some(view! { " " <span class="unread">{format!("{n} unread")}</span> }),
                                }}</button></li> }
                        }).collect_view()
                    }))}
                </ul>
                <div class="thread">
                    {move || match selected.get() {
                        None => view! { <p class="muted">"Pick a job to see its texts."</p> }.into_any(),
                        Some(_) => view! {
                            {move || thread.with(pending)}
                            {move || thread.with(|t| t.as_ref().and_then(|r| r.as_ref().ok()).and_then(|job| job["history"].as_array().cloned()).map(|h| view! {
                                <details class="history"><summary>{format!("Status history ({})", h.len())}</summary>
                                    <ol>{h.into_iter().map(|e| view! { <li>{format!("{} · {} · {}",
                                        crate::format::status_label(e["status"].as_str().unwrap_or("")), e["at"].as_str().unwrap_or(""), e["source"].as_str().unwrap_or(""))}</li> }).collect_view()}</ol>
                                </details>
                            }))}
                            {move || thread.with(|t| t.as_ref().and_then(|r| r.as_ref().ok()).map(|job| match job["messages"].as_array() {
                                None => view! { <p class="muted not-available">"Message history: not available on this server yet."</p> }.into_any(),
                                Some(list) if list.is_empty() => view! { <p class="muted">"No texts yet."</p> }.into_any(),
                                Some(list) => view! { <ol class="messages">{list.iter().map(|m| {
                                    let dir = if m["direction"] == "in" { "in" } else { "out" };
                                    view! { <li class=format!("msg {dir}")>
                                        <p class="meta">{format!("{} · {} · {}", m["from"].as_str().unwrap_or(""), m["channel"].as_str().unwrap_or("sms"), m["at"].as_str().unwrap_or(""))}</p>
                                        <p>{m["body"].as_str().unwrap_or("").to_string()}</p>
                                        {m["media"].as_array().map(|media| media.iter().filter_map(Value::as_str).map(|u| view! {
                                            <a href=u.to_string() rel="noreferrer noopener" target="_blank">"attachment"</a>
                                        }).collect_view())}
                                        <p class="meta">{m["status"].as_str().unwrap_or("").to_string()}</p>
                                    </li> }
                                }).collect_view()}</ol> }.into_any(),
                            }))}
                            <form class="card" on:submit=send>
                                <label for="reply">"Reply to the customer"</label>
                                <textarea id="reply" prop:value=move || reply.get() on:input=bind(reply)></textarea>
                                <button type="submit">"Send text"</button>
                                <p role="status" class="note">{move || note.get()}</p>
                            </form>
                        }.into_any(),
                    }}
                </div>
            </div>
        </section>
    }
}
