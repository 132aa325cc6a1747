//! Fleet: every trailer on a simple map (SVG, north up), coloured moving / stopped / silent,
//! with its last fix's age and its job.

use leptos::prelude::*;
use serde_json::Value;

use super::{age_s, ctx, live, pending};
use crate::api;
use crate::format::{ago, project, Motion};

const W: f64 = 600.0;
const H: f64 = 360.0;

#[component]
pub fn Fleet() -> impl IntoView {
    let c = ctx();
    let trailers = live(|| api::get("/api/trailers"));
    let rows = move || {
        trailers.with(|t| {
            t.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|v| v["trailers"].as_array().cloned().unwrap_or_default())
        })
    };
    view! {
        <section aria-labelledby="fleet-h">
            <h2 id="fleet-h">"Fleet"</h2>
            {move || trailers.with(pending)}
            {move || rows().map(|list| {
                let now = c.now_ms.get();
                let motion = |t: &Value| Motion::of(
                    t["last_fix"]["recorded_at"].as_str().and_then(|a| age_s(a, now)),
                    t["last_fix"]["speed_mps"].as_f64(),
                );
                let located: Vec<&Value> = list.iter().filter(|t| t["last_fix"].is_object()).collect();
                let pts: Vec<(f64, f64)> = located.iter().map(|t| (
                    t["last_fix"]["lat"].as_f64().unwrap_or(0.0),
                    t["last_fix"]["lon"].as_f64().unwrap_or(0.0),
                )).collect();
                let xy = project(&pts, W, H, 30.0);
                let dots = located.iter().zip(xy).map(|(t, (x, y))| {
                    let m = motion(t);
                    let id = t["trailer_id"].as_str().unwrap_or_default().to_string();
                    view! {
                        <g class=format!("trailer {}", m.as_str())>
                            <circle cx=x cy=y r="8"><title>{format!("{id}: {}", m.as_str())}</title></circle>
                            <text x=x + 11.0 y=y + 4.0>{id.clone()}</text>
                        </g>
                    }
                }).collect_view();
                let n = list.len();
                let counts = [Motion::Moving, Motion::Stopped, Motion::Silent].map(|m| (m, list.iter().filter(|t| motion(t) == m).count()));
                view! {
                    <p class="legend">{counts.iter().map(|(m, k)| view! {
                        <span class=format!("key {}", m.as_str())>{format!("{k} {}", m.as_str())}</span>
                    }).collect_view()}</p>
                    <svg class="fleet-map" viewBox=format!("0 0 {W} {H}") role="img"
                        aria-label=format!("Map of {} trailers with a recent position", pts.len())>
                        <rect width=W height=H class="sea"/>
                        {dots}
                    </svg>
                    <table tabindex="0">
                        <caption>{format!("{n} trailers")}</caption>
                        <thead><tr><th scope="col">"Trailer"</th><th scope="col">"State"</th><th scope="col">"Last fix"</th><th scope="col">"Job"</th><th scope="col">"Device"</th></tr></thead>
                        <tbody>
                            {list.iter().map(|t| {
                                let m = motion(t);
                                let age = t["last_fix"]["recorded_at"].as_str().and_then(|a| age_s(a, now)).map(ago).unwrap_or_else(|| "never".into());
                                let job = match (t["job_id"].as_str(), t["job_status"].as_str()) {
                                    (Some(j), Some(s)) => format!("{j} ({})", crate::format::status_label(s)),
                                    _ => "—".into(),
                                };
                                view! { <tr>
                                    <td>{t["trailer_id"].as_str().unwrap_or_default().to_string()}</td>
                                    <td class=format!("state {}", m.as_str())>{m.as_str()}</td>
                                    <td>{age}</td>
                                    <td>{job}</td>
                                    <td>{t["device_id"].as_str().unwrap_or("—").to_string()}</td>
                                </tr> }
                            }).collect_view()}
                        </tbody>
                    </table>
                }
            })}
        </section>
    }
}
