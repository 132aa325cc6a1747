//! Messages about the link or the connection.

use leptos::prelude::*;

use super::Model;

/// A refused or missing link: what happened and what to do, instead of a blank page.
#[component]
pub fn Problem(title: String, body: String) -> impl IntoView {
    view! {
        <section class="card problem" role="alert">
            <h1 class="problem-title">{title}</h1>
            <p>{body}</p>
        </section>
    }
}

/// Shown while polls fail; the last data stays on screen below it.
#[component]
pub fn Reconnecting(model: Model) -> impl IntoView {
    view! {
        <p class="reconnecting" role="status" hidden=move || !model.reconnecting.get()>
            "Connection lost — reconnecting… The information below may be out of date."
        </p>
    }
}
