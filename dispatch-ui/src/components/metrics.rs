//! Metrics: the relay per day over 7 or 30 days (`GET /api/metrics/relay`) as SVG charts with
//! their numbers written out, and the ETA's accuracy (`GET /api/metrics/eta`) where served.

use leptos::prelude::*;
use qdn_shared::metrics::RelayMetrics;

use super::{live, pending};
use crate::api;
use crate::format::{duration, nice_max, percent};

const W: f64 = 640.0;
const H: f64 = 180.0;
const PAD_L: f64 = 40.0;
const PAD_B: f64 = 24.0;

/// A bar chart of one number per day, with its scale and each bar's value as text.
fn bars(title: &'static str, days: &[String], values: &[f64], fmt: fn(f64) -> String) -> impl IntoView {
    let top = nice_max(values.iter().cloned().fold(0.0, f64::max));
    let n = values.len().max(1) as f64;
    let slot = (W - PAD_L) / n;
    let y = move |v: f64| (H - PAD_B) - v / top * (H - PAD_B - 10.0);
    let label_every = if values.len() > 10 { 5 } else { 1 };
    view! {
        <figure class="chart">
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=format!("{title}, per day")>
                <line x1=PAD_L y1=y(0.0) x2=W y2=y(0.0) class="axis"/>
                <text x=PAD_L - 4.0 y=y(top) + 4.0 class="scale" text-anchor="end">{fmt(top)}</text>
                <text x=PAD_L - 4.0 y=y(0.0) class="scale" text-anchor="end">"0"</text>
                {values.iter().enumerate().map(|(i, &v)| {
                    let x = PAD_L + i as f64 * slot + slot * 0.15;
                    let day = days.get(i).cloned().unwrap_or_default();
                    view! {
                        <g>
                            <rect x=x y=y(v) width=slot * 0.7 height=(y(0.0) - y(v)).max(0.0) class="bar">
                                <title>{format!("{day}: {}", fmt(v))}</title>
                            </rect>
                            {(v > 0.0 && values.len() <= 10).then(|| view! { <text x=x + slot * 0.35 y=y(v) - 3.0 text-anchor="middle" class="value">{fmt(v)}</text> })}
                            {(i % label_every == 0).then(|| view! { <text x=x + slot * 0.35 y=H - 6.0 text-anchor="middle" class="scale">{day.get(5..).unwrap_or("").to_string()}</text> })}
                        </g>
                    }
                }).collect_view()}
            </svg>
        </figure>
    }
}

#[component]
pub fn Metrics() -> impl IntoView {
    let days = RwSignal::new(7u32);
    let relay = live(move || {
        let d = days.get();
        async move { api::get(&format!("/api/metrics/relay?days={d}")).await }
    });
    let eta = live(move || {
        let d = days.get();
        async move { api::get(&format!("/api/metrics/eta?days={d}")).await }
    });
    view! {
        <section aria-labelledby="metrics-h">
            <div class="row">
                <h2 id="metrics-h">"Metrics"</h2>
                {[7u32, 30].map(|d| view! {
                    <button type="button" aria-pressed=move || (days.get() == d).to_string() on:click=move |_| days.set(d)>{format!("{d} days")}</button>
                })}
            </div>
            {move || relay.with(pending)}
            {move || relay.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).cloned()).and_then(|v| serde_json::from_value::<RelayMetrics>(v).ok()).map(|m| {
                let names: Vec<String> = m.days.iter().map(|d| d.day.clone()).collect();
                let col = |f: fn(&qdn_shared::metrics::RelayDay) -> f64| m.days.iter().map(f).collect::<Vec<f64>>();
                let count = |v: f64| format!("{}", v as i64);
                let secs = |v: f64| duration(Some(v));
                let total: u32 = m.days.iter().map(|d| d.relayed).sum();
                view! {
                    <p class="summary">{format!("{total} messages relayed in {} days.", m.days.len())}</p>
                    {bars("Relayed messages", &names, &col(|d| d.relayed as f64), count)}
                    {bars("Failovers", &names, &col(|d| d.failovers as f64), count)}
                    {bars("Time to ACK, median", &names, &col(|d| d.ack_p50_s.unwrap_or(0.0)), secs)}
                    <table tabindex="0">
                        <caption>"Per day"</caption>
                        <thead><tr>
                            <th scope="col">"Day"</th><th scope="col">"Relayed"</th><th scope="col">"Failovers"</th><th scope="col">"Exhausted"</th>
                            <th scope="col">"ACK p50"</th><th scope="col">"ACK p90"</th><th scope="col">"Delivery p50"</th><th scope="col">"Available"</th>
                        </tr></thead>
                        <tbody>{m.days.iter().rev().map(|d| view! { <tr>
                            <td>{d.day.clone()}</td><td>{d.relayed}</td><td>{d.failovers}</td><td>{d.exhausted}</td>
                            <td>{duration(d.ack_p50_s)}</td><td>{duration(d.ack_p90_s)}</td><td>{duration(d.delivery_p50_s)}</td>
                            <td>{d.availability.iter().map(|s| format!("{} {}", s.dispatcher_id, percent(s.share))).collect::<Vec<_>>().join(", ")}</td>
                        </tr> }).collect_view()}</tbody>
                    </table>
                }
            })}
            <h3>"ETA accuracy"</h3>
            {move || eta.with(pending)}
            {move || eta.with(|r| r.as_ref().and_then(|r| r.as_ref().ok()).cloned()).map(|e| {
                let per_day = e["days"].as_array().cloned().unwrap_or_default();
                let names: Vec<String> = per_day.iter().map(|d| d["day"].as_str().unwrap_or_default().to_string()).collect();
                let col = |f: &dyn Fn(&serde_json::Value) -> Option<f64>| per_day.iter().map(|d| f(d).unwrap_or(0.0)).collect::<Vec<f64>>();
                let soon = &e["arriving_soon"];
                view! {
                    <p class="summary">{format!("{} completed jobs: median error {}, 90 % within {}.",
                        e["jobs"], e["mdape"].as_f64().map(|x| format!("{:.0} %", x * 100.0)).unwrap_or("–".into()),
                        duration(e["p90_abs_error_s"].as_f64()))}</p>
                    <p class="summary">{format!("\"Arriving soon\" texts: {} sent, {} of them 7 to 13 min ahead; median {} ahead.",
                        soon["sent"], soon["on_time"], duration(soon["lead_p50_s"].as_f64()))}</p>
                    {bars("ETA error, median", &names, &col(&|d| d["mdape"].as_f64().map(|m| m * 100.0)), |v| format!("{v:.0} %"))}
                    {bars("\"Arriving soon\" lead, median", &names, &col(&|d| d["arriving_soon"]["lead_p50_s"].as_f64()), |v| duration(Some(v)))}
                }
            })}
        </section>
    }
}
