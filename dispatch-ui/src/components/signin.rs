//! Sign-in: a roster phone gets a 6-digit code by text; the code opens a 12 h session.

use leptos::prelude::*;
use serde_json::json;

use super::{bind, ctx};
use crate::api;

#[component]
pub fn SignIn() -> impl IntoView {
    let c = ctx();
    let phone = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let asked = RwSignal::new(false);
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::send("POST", "/api/session/code", &json!({ "phone": phone.get_untracked() })).await {
                Ok(_) => {
                    asked.set(true);
                    note.set(Some(
                        "If this phone is on the roster, a code is on its way. It works for 5 minutes.".into(),
                    ));
                }
                Err(e) => note.set(Some(e.describe())),
            }
            busy.set(false);
        });
    };
    let enter = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = json!({ "phone": phone.get_untracked(), "code": code.get_untracked() });
            match api::send("POST", "/api/session", &body).await {
                Ok(me) => {
                    c.signed_out.set(false);
                    c.me.set(Some(me));
                }
                Err(api::ApiError::SignedOut) => {
                    note.set(Some("That code is wrong or has expired. Ask for a new one.".into()))
                }
                Err(e) => note.set(Some(e.describe())),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="signin">
            <h1>"QDN dispatch"</h1>
            {move || c.signed_out.get().then(|| view! { <p class="muted">"Your session ended. Sign in again."</p> })}
            <form on:submit=ask class="card">
                <label for="phone">"Your phone number (on the roster)"</label>
                <input id="phone" name="phone" type="tel" autocomplete="tel" placeholder="+15551230001"
                    prop:value=move || phone.get() on:input=bind(phone) required/>
                <button type="submit" disabled=move || busy.get()>"Text me a code"</button>
            </form>
            {move || asked.get().then(|| view! {
                <form on:submit=enter class="card">
                    <label for="code">"6-digit code"</label>
                    <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6"
                        prop:value=move || code.get() on:input=bind(code) required/>
                    <button type="submit" disabled=move || busy.get()>"Sign in"</button>
                </form>
            })}
            <p role="status" class="note">{move || note.get()}</p>
        </main>
    }
}
