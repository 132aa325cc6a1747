//! The bench's table: one row per figure, with its target.

use std::time::Duration;

use chrono::Utc;

use super::load::Wrk;
use crate::util::root;

pub struct Row {
    figure: String,
    measured: String,
    target: String,
    /// Whether the target is met; None for a figure shown for comparison, with no target.
    ok: Option<bool>,
}

fn row(figure: &str, measured: String, target: &str, ok: Option<bool>) -> Row {
    Row {
        figure: figure.into(),
        measured,
        target: target.into(),
        ok,
    }
}

fn kb(bytes: u64) -> String {
    format!("{:.0} KB", bytes as f64 / 1024.0)
}

pub fn edge_size() -> Row {
    let (raw, gz) = crate::build::sizes(&root().join("edge/build/index_bg.wasm")).unwrap_or_default();
    row(
        "edge .wasm (gzip / raw)",
        format!("{} / {}", kb(gz), kb(raw)),
        "≤ 600 KB gzip",
        Some(gz <= 600 * 1024),
    )
}

pub fn page_transfer() -> Row {
    transfer(
        "tracking page transfer (gzip / raw)",
        &[
            "static/track/pkg/qdn_track_ui_bg.wasm",
            "static/track/pkg/qdn_track_ui.js",
            "static/track/index.html",
            "static/track/boot.js",
            "static/track/track.css",
        ],
        110,
    )
}

/// Everything a browser fetches to open `/dispatch` (before its API calls).
pub fn console_transfer() -> Row {
    transfer(
        "dispatcher console transfer (gzip / raw)",
        &[
            "static/dispatch/pkg/qdn_dispatch_ui_bg.wasm",
            "static/dispatch/pkg/qdn_dispatch_ui.js",
            "static/dispatch/index.html",
            "static/dispatch/boot.js",
            "static/dispatch/console.css",
        ],
        250,
    )
}

fn transfer(figure: &str, files: &[&str], target_kb: u64) -> Row {
    let (raw, gz) = files
        .iter()
        .filter_map(|p| crate::build::sizes(&root().join(p)))
        .fold((0, 0), |(r, g), (a, b)| (r + a, g + b));
    row(
        figure,
        format!("{} / {}", kb(gz), kb(raw)),
        &format!("≤ {target_kb} KB gzip"),
        Some(gz <= target_kb * 1024),
    )
}

pub fn healthz(health: &[Wrk; 2], baseline: f64) -> Row {
    let measured = format!(
        "{baseline:.0} req/s (mean of {:.0}, {:.0}), p50 {:.1} ms, p99 {:.1} ms",
        health[0].rps, health[1].rps, health[0].p50_ms, health[0].p99_ms
    );
    row("GET /healthz (baseline)", measured, "—", None)
}

/// Requests per second, as a ratio to the baseline too, and latency.
fn against_baseline(w: &Wrk, baseline: f64) -> String {
    format!(
        "{:.0} req/s ({:.2}×), p50 {:.1} ms, p99 {:.1} ms",
        w.rps,
        w.rps / baseline,
        w.p50_ms,
        w.p99_ms
    )
}

pub fn location_reads(read: &Wrk, baseline: f64) -> Row {
    let ok = read.rps >= 0.8 * baseline;
    row(
        "GET location",
        against_baseline(read, baseline),
        "≥ 0.8× healthz",
        Some(ok),
    )
}

pub fn fix_visible(visible: Option<Duration>) -> Row {
    let measured = visible.map_or("not within 5 s".into(), |d| {
        format!("{:.0} ms", d.as_secs_f64() * 1000.0)
    });
    let ok = visible.is_some_and(|d| d <= Duration::from_secs(2));
    row("new fix visible in the view", measured, "≤ 2 s", Some(ok))
}

pub fn single_fixes(single: &Wrk, baseline: f64) -> Row {
    let ok = single.rps >= 0.3 * baseline;
    row(
        "POST one fix per request",
        against_baseline(single, baseline),
        "≥ 0.3× healthz",
        Some(ok),
    )
}

pub fn single_fixes_with_devtools((health, single): &(Wrk, Wrk)) -> Row {
    let measured = format!(
        "{:.0} req/s ({:.2}× its {:.0} req/s healthz), p50 {:.1} ms",
        single.rps,
        single.rps / health.rps,
        health.rps,
        single.p50_ms
    );
    row(
        "… same, with wrangler's DevTools bridge",
        measured,
        "— (dev tooling, not deployed)",
        None,
    )
}

/// Fixes per second of 500-fix requests.
fn fixes_per_s(w: &Wrk) -> String {
    format!(
        "{:.0} fixes/s ({:.1} req/s, p50 {:.0} ms)",
        w.rps * 500.0,
        w.rps,
        w.p50_ms
    )
}

pub fn batch_ingest(batch: &Wrk) -> Row {
    let ok = batch.rps * 500.0 >= 20_000.0;
    row(
        "batch ingest (500 fixes/request)",
        fixes_per_s(batch),
        "≥ 20,000 fixes/s",
        Some(ok),
    )
}

pub fn scattered_ingest(scattered: &Wrk) -> Row {
    row(
        "… each fix at a random time of 6 days",
        fixes_per_s(scattered),
        "— (index worst case)",
        None,
    )
}

/// The worst of the simulated trackers: every 5 s, every 30 s, a backlog batch.
pub fn rows_written_per_fix(cost: &super::cost::Cost) -> Row {
    let worst = cost.worst_rows_written_per_fix();
    row(
        "D1 rows written per fix, insert + retention (worst case)",
        format!(
            "{worst:.3} (every 5 s {:.3}, every 30 s {:.3}, backlog {:.3})",
            cost.every_5s.rows_written_per_fix(),
            cost.every_30s.rows_written_per_fix(),
            cost.backlog.rows_written_per_fix()
        ),
        "≤ 1.1",
        Some(worst <= 1.1),
    )
}

pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

pub fn sms_to_first_send(mut ms: Vec<f64>) -> Row {
    let (p50, p99) = (percentile(&mut ms, 0.5), percentile(&mut ms, 0.99));
    row(
        "inbound SMS → first send (200 msgs)",
        format!("p50 {p50:.1} ms, p99 {p99:.1} ms"),
        "p50 ≤ 50 ms",
        Some(p50 <= 50.0),
    )
}

/// One row per trip from the ETA test's `ETA <trip>: <figures> ratio <r> …` lines.
pub fn eta(test_output: &str) -> Vec<Row> {
    test_output
        .lines()
        .filter(|l| l.starts_with("ETA"))
        .map(eta_row)
        .collect()
}

fn eta_row(line: &str) -> Row {
    let ratio: f64 = line
        .split("ratio")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|r| r.parse().ok())
        .unwrap_or(f64::NAN);
    let mut parts = line.split(':');
    let name = parts.next().unwrap_or("").trim_start_matches("ETA").trim();
    let figs = parts.next().unwrap_or("").split("ratio").next().unwrap_or("").trim();
    Row {
        figure: format!("ETA MdAPE, {name}"),
        measured: format!("{figs} ({ratio:.2}×)"),
        target: "≤ 0.5× baseline".into(),
        ok: Some(ratio <= 0.5),
    }
}

/// One row per scenario of the geofence evaluation on the real bus trips (`qdn_shared::eval`).
pub fn arrival() -> Result<Vec<Row>, String> {
    use qdn_shared::eval::{self, arrival};
    let path = crate::util::root().join("shared/testdata/liverpool_bus_route14_outbound.csv");
    let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let trips = eval::trips_from_csv(file)?;
    Ok(arrival::scenarios()
        .iter()
        .map(|s| {
            let f = arrival::arrival_figures(&trips, s, eval::SEED);
            let ok = f.detected_share() >= 0.95 && f.false_arrivals == 0 && f.soon_share() >= 0.8;
            row(
                &format!("arrival, {}", f.scenario),
                format!(
                    "{}/{} within 90 s, {} false, {} flaps; soon 7-13 min {}/{}",
                    f.detected, f.trips, f.false_arrivals, f.flaps, f.soon_on_time, f.soon_eligible
                ),
                "≥ 95 %, 0 false; soon ≥ 80 %",
                Some(ok),
            )
        })
        .collect())
}

pub fn print_table(rows: &[Row]) {
    let w = rows.iter().map(|r| r.figure.chars().count()).max().unwrap_or(10);
    let m = rows.iter().map(|r| r.measured.chars().count()).max().unwrap_or(10);
    println!(
        "\ncargo xtask bench — {} — {} cores\n",
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| {:w$} | {:m$} | target | |", "figure", "measured");
    println!("|{}|{}|---|---|", "-".repeat(w + 2), "-".repeat(m + 2));
    for r in rows {
        let mark = match r.ok {
            None => " ",
            Some(true) => "✓",
            Some(false) => "✗",
        };
        println!("| {:w$} | {:m$} | {} | {} |", r.figure, r.measured, r.target, mark);
    }
}

/// Fix POSTed → the open page's map and ETA changed, through the live stream.
pub fn live_push(ms: &[f64]) -> Row {
    if ms.is_empty() {
        return row(
            "fix POSTed → open page updated",
            "not measured".into(),
            "p50 ≤ 300 ms, p95 ≤ 1 s",
            Some(false),
        );
    }
    let mut v = ms.to_vec();
    let (p50, p95) = (percentile(&mut v, 0.5), percentile(&mut v, 0.95));
    row(
        "fix POSTed → open page updated (live stream)",
        format!(
            "p50 {p50:.0} ms, p95 {p95:.0} ms ({} fixes; polling every 10 s alone: ~5 s / ~9.5 s)",
            ms.len()
        ),
        "p50 ≤ 300 ms, p95 ≤ 1 s",
        Some(p50 <= 300.0 && p95 <= 1000.0),
    )
}

/// Every viewer of one job gets each fix.
pub fn live_fanout(f: &super::live::Fanout) -> Row {
    let expected = super::live::VIEWERS;
    let mut v = f.ms.clone();
    let measured = if v.is_empty() {
        format!("{}/{expected} opened, no update arrived", f.opened)
    } else {
        let (p50, p99, max) = (
            percentile(&mut v, 0.5),
            percentile(&mut v, 0.99),
            percentile(&mut v, 1.0),
        );
        format!(
            "{}/{expected} opened; {} updates, {} missed; p50 {p50:.0} ms, p99 {p99:.0} ms, max {max:.0} ms",
            f.opened,
            f.ms.len(),
            f.missed
        )
    };
    let ok = f.opened == expected && f.missed == 0 && !v.is_empty() && percentile(&mut v, 0.99) <= 2000.0;
    row(
        &format!("{expected} viewers of one job, fix → every viewer ({})", f.kind),
        measured,
        "all, p99 ≤ 2 s",
        Some(ok),
    )
}

/// What one open viewer costs the stack, locally.
pub fn live_viewer_cost(f: &super::live::Fanout) -> Row {
    let (wk, nk) = f.kb_per_viewer;
    let (wc, nc) = f.cpu_ms_per_fix;
    let viewers = f.opened.max(1) as f64;
    row(
        &format!("per viewer ({}): memory; CPU per fix to all", f.kind),
        format!(
            "{wk:.1} KB workerd + {nk:.1} KB wrangler proxy; {wc:.1} ms workerd ({:.0} µs/viewer) + {nc:.1} ms proxy",
            wc * 1000.0 / viewers
        ),
        "—",
        None,
    )
}

/// A cold load on an emulated slow phone until the ETA is visible, with where the time went.
pub fn cold_eta(runs: &[super::live::Cold]) -> Row {
    if runs.is_empty() {
        return row(
            "time to a visible ETA, slow phone",
            "not measured".into(),
            "≤ 0.9 s",
            Some(false),
        );
    }
    let med = |f: &dyn Fn(&super::live::Cold) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            f64::NAN
        } else {
            percentile(&mut v, 0.5)
        }
    };
    let total = med(&|c| c.total);
    let html = med(&|c| c.html);
    let (ws, we) = (med(&|c| c.wasm_start), med(&|c| c.wasm_end));
    let ready = med(&|c| c.ready);
    let data = med(&|c| c.data_end.unwrap_or(f64::NAN));
    let app = med(&|c| c.app);
    let embedded = runs.iter().all(|c| c.embedded);
    let first_data = if embedded {
        "first data in the HTML".to_string()
    } else {
        format!("first data at {data:.0}")
    };
    row(
        "time to a visible ETA, slow phone (150 ms RTT, 1.6 Mbps, 4× CPU, cold; median ms)",
        format!(
            "{total:.0} ms: HTML at {html:.0}, wasm ({:.0} KB) {ws:.0}–{we:.0}, compiled and started at {ready:.0}, {first_data}; the page's own ETA at {app:.0}",
            med(&|c| c.wasm_kb)
        ),
        "≤ 0.9 s",
        Some(total <= 900.0),
    )
}
