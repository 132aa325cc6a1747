//! Call / text buttons for the company number.

use leptos::prelude::*;

#[component]
pub fn Contact(phone: Memo<Option<String>>) -> impl IntoView {
    move || {
        phone.get().map(|p| {
            view! {
                <nav class="contact" aria-label="Contact us">
                    <a class="button" href=format!("tel:{p}")>"Call us"</a>
                    <a class="button" href=format!("sms:{p}")>"Text us"</a>
                </nav>
            }
        })
    }
}
