//! Where the job stands: scheduled → on the way → at site → next stop → completed.

use leptos::prelude::*;
use qdn_shared::job::JobStatus;

use super::Model;
use crate::format::{step_index, STEPS};

#[component]
pub fn Timeline(model: Model) -> impl IntoView {
    let status = move || model.view.with(|v| v.as_ref().map(|v| (v.status, v.trailer_count)));
    view! {
        <section class="card timeline" aria-label="Job progress">
            {move || match status() {
                Some((JobStatus::Cancelled, _)) => view! { <p class="cancelled">"Cancelled"</p> }.into_any(),
                s => {
                    let current = s.and_then(|(st, _)| step_index(st));
                    let trailers = s.map(|(_, n)| n).unwrap_or(0);
                    view! {
                        <ol class="steps">
                            {STEPS
                                .iter()
                                .enumerate()
                                .map(|(i, (_, label))| {
                                    let class = match current {
                                        Some(c) if i < c => "step done",
                                        Some(c) if i == c => "step current",
                                        _ => "step",
                                    };
                                    let aria = (current == Some(i)).then_some("step");
                                    view! { <li class=class aria-current=aria>{*label}</li> }
                                })
                                .collect_view()}
                        </ol>
                        <p class="trailers">{match trailers {
                            0 => String::new(),
                            1 => "1 trailer".to_string(),
                            n => format!("{n} trailers"),
                        }}</p>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}
