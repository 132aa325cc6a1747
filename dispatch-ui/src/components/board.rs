//! Board: today's jobs by status; create or edit a job (destination as coordinates or a pasted
//! map link); status buttons; copy, reissue and revoke the customer's tracking link.

use leptos::prelude::*;
use qdn_shared::job::JobStatus;
use serde_json::{json, Value};

use super::{bind, ctx, live, pending, today};
use crate::api::{self, seg};
use crate::format::{local_input_to_rfc3339, status_label};

const STATUSES: [&str; 6] = [
    "scheduled",
    "en_route",
    "at_site",
    "en_route_next",
    "completed",
    "cancelled",
];

/// The form's fields; `editing` is the job being changed, `None` for a new one.
#[derive(Clone, Copy)]
struct Form {
    editing: RwSignal<Option<String>>,
    name: RwSignal<String>,
    phone: RwSignal<String>,
    place: RwSignal<String>,
    address: RwSignal<String>,
    trailers: RwSignal<String>,
    dispatcher: RwSignal<String>,
    window_end: RwSignal<String>,
    note: RwSignal<Option<String>>,
}

impl Form {
    fn new() -> Form {
        Form {
            editing: RwSignal::new(None),
            name: RwSignal::new(String::new()),
            phone: RwSignal::new(String::new()),
            place: RwSignal::new(String::new()),
            address: RwSignal::new(String::new()),
            trailers: RwSignal::new(String::new()),
            dispatcher: RwSignal::new(String::new()),
            window_end: RwSignal::new(String::new()),
            note: RwSignal::new(None),
        }
    }

    fn clear(&self) {
        for s in [
            self.name,
            self.phone,
            self.place,
            self.address,
            self.trailers,
            self.dispatcher,
            self.window_end,
        ] {
            s.set(String::new());
        }
        self.editing.set(None);
    }

    fn load(&self, j: &Value) {
        let d = &j["destination"];
        self.editing.set(j["job_id"].as_str().map(str::to_string));
        self.name.set(j["customer_name"].as_str().unwrap_or_default().into());
        self.phone.set(j["customer_phone"].as_str().unwrap_or_default().into());
        self.place.set(format!("{}, {}", d["lat"], d["lon"]));
        self.address.set(d["address"].as_str().unwrap_or_default().into());
        let trailers: Vec<&str> = j["trailer_ids"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        self.trailers.set(trailers.join(", "));
        self.dispatcher
            .set(j["dispatcher_id"].as_str().unwrap_or_default().into());
        self.window_end
            .set(j["window_end"].as_str().map(local_input).unwrap_or_default());
    }

    /// The body for POST or PATCH, or what is wrong with the form.
    fn body(&self) -> Result<Value, String> {
        let place = self.place.get_untracked();
        let (lat, lon) = crate::mapref::parse(&place).ok_or(
            "Destination: paste coordinates (41.88, -87.63) or a Google, Apple or OpenStreetMap link to the place.",
        )?;
        let mut dest = json!({ "lat": lat, "lon": lon });
        let address = self.address.get_untracked();
        if !address.trim().is_empty() {
            dest["address"] = address.trim().into();
        }
        let trailers: Vec<String> = self
            .trailers
            .get_untracked()
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        let mut body = json!({ "destination": dest, "trailer_ids": trailers });
        if self.editing.get_untracked().is_none() {
            body["customer_name"] = self.name.get_untracked().trim().into();
            body["customer_phone"] = self.phone.get_untracked().trim().into();
        }
        let dispatcher = self.dispatcher.get_untracked();
        if !dispatcher.trim().is_empty() {
            body["dispatcher_id"] = dispatcher.trim().into();
        }
        let window_end = self.window_end.get_untracked();
        if !window_end.is_empty() {
            let offset = js_sys::Date::new_0().get_timezone_offset() as i32;
            body["window_end"] = local_input_to_rfc3339(&window_end, offset)
                .ok_or("Window: pick a date and time.")?
                .into();
        }
        Ok(body)
    }
}

/// An RFC 3339 instant as `<input type="datetime-local">` shows it: the browser's local time.
fn local_input(at: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at));
    if d.get_time().is_nan() {
        return String::new();
    }
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

#[component]
pub fn Board() -> impl IntoView {
    let c = ctx();
    let day = RwSignal::new(today());
    let jobs = live(move || {
        let d = day.get();
        async move { api::get(&format!("/api/jobs?day={d}")).await }
    });
    let roster = live(|| api::get("/api/relay/roster"));
    let form = Form::new();
    // Tracking links this console has seen (from creating or reissuing), by job.
    let links = RwSignal::new(Vec::<(String, String)>::new());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = match form.body() {
            Ok(b) => b,
            Err(e) => return form.note.set(Some(e)),
        };
        leptos::task::spawn_local(async move {
            let r = match form.editing.get_untracked() {
                Some(id) => api::send("PATCH", &format!("/api/jobs/{}", seg(&id)), &body).await,
                None => api::send("POST", "/api/jobs", &body).await,
            };
            match r {
                Ok(v) => {
                    if let (Some(id), Some(url)) = (v["job_id"].as_str(), v["tracking_url"].as_str()) {
                        links.update(|l| l.push((id.to_string(), url.to_string())));
                    }
                    form.note
                        .set(Some(format!("Saved job {}.", v["job_id"].as_str().unwrap_or_default())));
                    form.clear();
                    c.refresh();
                }
                Err(e) => form.note.set(Some(c.fail(&e))),
            }
        });
    };
    view! {
        <section class="board" aria-labelledby="board-h">
            <div class="row">
                <h2 id="board-h">"Board"</h2>
                <label>"Day " <input type="date" prop:value=move || day.get() on:change=bind(day)/></label>
            </div>
            {move || jobs.with(pending)}
            <div class="columns">
                {move || {
                    let list = jobs.with(|j| j.as_ref().and_then(|r| r.as_ref().ok()).map(|v| v["jobs"].as_array().cloned().unwrap_or_default()));
                    list.map(|list| STATUSES.iter().map(|&s| {
                        let these: Vec<Value> = list.iter().filter(|j| j["status"] == s).cloned().collect();
                        let n = these.len();
                        view! {
                            <section class="column" aria-label=status_label(s)>
                                <h3>{status_label(s)}" "<span class="count">{n}</span></h3>
                                {these.into_iter().map(|j| view! { <JobCard job=j form links/> }).collect_view()}
                            </section>
                        }
                    }).collect_view())
                }}
            </div>
            <form class="card job-form" on:submit=save aria-labelledby="form-h">
                <h3 id="form-h">{move || match form.editing.get() { Some(id) => format!("Edit job {id}"), None => "New job".into() }}</h3>
                <label for="f-name">"Customer name"</label>
                <input id="f-name" prop:value=move || form.name.get() on:input=bind(form.name) disabled=move || form.editing.get().is_some()/>
                <label for="f-phone">"Customer phone (E.164)"</label>
                <input id="f-phone" type="tel" placeholder="+15551234567" prop:value=move || form.phone.get() on:input=bind(form.phone) disabled=move || form.editing.get().is_some()/>
                <label for="f-place">"Destination: coordinates or a map link"</label>
                <input id="f-place" placeholder="41.8781, -87.6298 or https://maps.app…" prop:value=move || form.place.get() on:input=bind(form.place)/>
                <p class="muted">{move || match crate::mapref::parse(&form.place.get()) {
                    Some((lat, lon)) => format!("Destination {lat:.5}, {lon:.5}"),
                    None => "No place recognised yet.".into(),
                }}</p>
                <label for="f-address">"Address (shown to the customer)"</label>
                <input id="f-address" prop:value=move || form.address.get() on:input=bind(form.address)/>
                <label for="f-trailers">"Trailers (comma-separated ids)"</label>
                <input id="f-trailers" prop:value=move || form.trailers.get() on:input=bind(form.trailers)/>
                <label for="f-dispatcher">"Assigned dispatcher"</label>
                <select id="f-dispatcher" prop:value=move || form.dispatcher.get() on:change=bind(form.dispatcher)>
                    <option value="">"— none —"</option>
                    {move || roster.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).map(|r| {
                        r["tiers"].as_array().cloned().unwrap_or_default().into_iter().map(|t| {
                            let id = t["dispatcher_id"].as_str().unwrap_or_default().to_string();
                            let label = match t["name"].as_str().filter(|n| !n.is_empty()) {
                                Some(n) => format!("{n} ({id})"),
                                None => id.clone(),
                            };
                            view! { <option value=id.clone() selected=move || form.dispatcher.get() == id>{label}</option> }
                        }).collect_view()
                    }))}
                </select>
                <label for="f-window">"Promised by (window end)"</label>
                <input id="f-window" type="datetime-local" prop:value=move || form.window_end.get() on:input=bind(form.window_end)/>
                <div class="row">
                    <button type="submit">{move || if form.editing.get().is_some() { "Save changes" } else { "Create job" }}</button>
                    {move || form.editing.get().is_some().then(|| view! { <button type="button" on:click=move |_| form.clear()>"Cancel edit"</button> })}
                </div>
                <p role="status" class="note">{move || form.note.get()}</p>
            </form>
        </section>
    }
}

#[component]
fn JobCard(job: Value, form: Form, links: RwSignal<Vec<(String, String)>>) -> impl IntoView {
    let c = ctx();
    let id = job["job_id"].as_str().unwrap_or_default().to_string();
    let status = JobStatus::parse(job["status"].as_str().unwrap_or_default());
    let note = RwSignal::new(None::<String>);
    let next: Vec<&'static str> = STATUSES
        .iter()
        .copied()
        .filter(|s| {
            status
                .zip(JobStatus::parse(s))
                .is_some_and(|(a, b)| a != b && a.can_become(b))
        })
        .collect();
    let dest = &job["destination"];
    let place = dest["address"].as_str().map(str::to_string).unwrap_or_else(|| {
        format!(
            "{:.4}, {:.4}",
            dest["lat"].as_f64().unwrap_or(0.0),
            dest["lon"].as_f64().unwrap_or(0.0)
        )
    });
    let trailers = job["trailer_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    let set_status = {
        let id = id.clone();
        move |to: &'static str| {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match api::send("PATCH", &format!("/api/jobs/{}", seg(&id)), &json!({ "status": to })).await {
                    Ok(_) => c.refresh(),
                    Err(e) => note.set(Some(c.fail(&e))),
                }
            });
        }
    };
    let link_action = {
        let id = id.clone();
        move |method: &'static str| {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                match api::call(method, &format!("/api/jobs/{}/links", seg(&id)), None).await {
                    Ok(v) if method == "POST" => {
                        if let Some(url) = v["tracking_url"].as_str() {
                            api::copy(url);
                            links.update(|l| l.push((id.clone(), url.to_string())));
                            note.set(Some("New link issued and copied.".into()));
                        }
                    }
                    Ok(_) => note.set(Some("Every link of this job is withdrawn.".into())),
                    Err(e) => note.set(Some(c.fail(&e))),
                }
            });
        }
    };
    // A fresh link texted to the customer from the company number, in the job's thread.
    let send_link = {
        let id = id.clone();
        move || {
            let id = id.clone();
            leptos::task::spawn_local(async move {
                let path = format!("/api/jobs/{}", seg(&id));
                let sent = match api::call("POST", &format!("{path}/links"), None).await {
                    Ok(v) => {
                        let url = v["tracking_url"].as_str().unwrap_or_default().to_string();
                        links.update(|l| l.push((id.clone(), url.clone())));
                        let body = format!("Quick Dump Now: track your trailer here: {url}");
                        api::send("POST", &format!("{path}/messages"), &json!({ "body": body })).await
                    }
                    Err(e) => Err(e),
                };
                match sent {
                    Ok(_) => note.set(Some("Link texted to the customer.".into())),
                    Err(e) => note.set(Some(c.fail(&e))),
                }
            });
        }
    };
    let known_link = {
        let id = id.clone();
        move || links.with(|l| l.iter().rev().find(|(j, _)| *j == id).map(|(_, u)| u.clone()))
    };
    let edit_job = job.clone();
    let link_post = link_action.clone();
    view! {
        <article class="job card" data-job=id.clone()>
            <h4>{job["customer_name"].as_str().unwrap_or("—").to_string()}</h4>
            <p class="muted">{id.clone()}" · "{place}</p>
            {(!trailers.is_empty()).then(|| view! { <p>"Trailers: "{trailers}</p> })}
            {job["dispatcher_id"].as_str().map(|d| view! { <p>"Dispatcher: "{d.to_string()}</p> })}
            {job["window_end"].as_str().map(|w| view! { <p>"Promised by "{w.to_string()}</p> })}
            <div class="buttons">
                {next.into_iter().map(|s| {
                    let set_status = set_status.clone();
                    view! { <button type="button" on:click=move |_| set_status(s)>{format!("→ {}", status_label(s))}</button> }
                }).collect_view()}
            </div>
            <div class="buttons">
                <button type="button" on:click=move |_| form.load(&edit_job)>"Edit"</button>
                {move || known_link().map(|u| view! { <button type="button" on:click=move |_| api::copy(&u)>"Copy link"</button> })}
                <button type="button" on:click=move |_| send_link()>"Text link"</button>
                <button type="button" on:click=move |_| link_post("POST")>"Reissue link"</button>
                <button type="button" on:click=move |_| link_action("DELETE")>"Revoke links"</button>
            </div>
            <p role="status" class="note">{move || note.get()}</p>
        </article>
    }
}
