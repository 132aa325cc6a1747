//! Conversations: a job's thread (`GET /api/jobs/{id}` `messages`) and a reply to its customer
//! (`POST /api/jobs/{id}/messages`; where the server has no threads yet, `/notify/sms`). A job
//! whose thread has inbound items the signed-in dispatcher has not opened is marked unread
//! (`unread` of `GET /api/jobs`, kept on the server by `POST /api/jobs/{id}/read`, so the same
//! on every device).

use leptos::prelude::*;
use serde_json::{json, Value};

use super::{bind, ctx, live, pending, today};
use crate::api::{self, seg, ApiError};

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
    // Opening a thread marks it read on the server up to its newest inbound item shown (not
    // "now": a text arriving meanwhile stays unread), for this dispatcher on every device; the
    // list's `unread` then says so on its next fetch, which this asks for at once. Only when
    // there is something new to mark: the thread is refetched with everything else.
    let marked = StoredValue::new(None::<(String, String)>);
    Effect::new(move |_| {
        thread.with(|t| {
            let Some(Ok(job)) = t else { return };
            let (Some(id), Some(until)) = (job["job_id"].as_str(), newest_inbound(job)) else {
                return;
            };
            let mark = (id.to_string(), until.to_string());
            if marked.with_value(|m| m.as_ref() == Some(&mark)) {
                return;
            }
            marked.set_value(Some(mark.clone()));
            let (id, until) = mark;
            leptos::task::spawn_local(async move {
                let path = format!("/api/jobs/{}/read", seg(&id));
                if api::send("POST", &path, &json!({ "until": until })).await.is_ok() {
                    c.refresh();
                }
            });
        });
    });
    let unread = move |job: &Value| -> u64 {
        let open = selected.with(|s| s.as_deref() == job["job_id"].as_str());
        if open {
            0
        } else {
            job["unread"].as_u64().unwrap_or(0)
        }
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
                            let id2 = id.clone();
                            let count = unread(&j);
                            view! { <li><button type="button" aria-pressed=move || (selected.get().as_deref() == Some(id.as_str())).to_string()
                                on:click=move |_| selected.set(Some(id2.clone()))>{label}
                                {match count {
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

/// The `at` of a thread's newest inbound item (`messages` of `GET /api/jobs/{id}`), as sent.
fn newest_inbound(job: &Value) -> Option<&str> {
    job["messages"]
        .as_array()?
        .iter()
        .filter(|m| m["direction"] == "in")
        .filter_map(|m| m["at"].as_str())
        .max_by(|a, b| js_sys::Date::parse(a).total_cmp(&js_sys::Date::parse(b)))
}
