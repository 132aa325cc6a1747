//! `cargo xtask bench`: how fast and how small the stack is, against a fresh release stack.
//! Throughputs are also given as a ratio to `GET /healthz` measured in the same run, because
//! the machines are shared and absolute numbers drift. Never fails on a missed target.

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use qdn_shared::token::Scope;
use serde_json::{json, Value};

use crate::fixture::*;
use crate::seed::{expect, mint};
use crate::util::{output, root, step, Result};

struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn ensure_wrk() -> Result {
    // `wrk -v` exits non-zero, but it only runs at all if wrk is there.
    if Command::new("wrk").arg("-v").output().is_ok() {
        return Ok(());
    }
    crate::tools::apt_install("wrk", "wrk (Debian) for the load")
}

fn ms(v: &str) -> f64 {
    let (num, unit) = v.split_at(v.find(|c: char| c.is_alphabetic()).unwrap_or(v.len()));
    let n: f64 = num.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        _ => n,
    }
}

/// Runs wrk for `secs` with an optional Lua script; parses req/s and latency percentiles.
fn wrk(url: &str, script: Option<&str>, secs: u32, conns: u32) -> Result<Wrk> {
    let mut c = Command::new("wrk");
    c.args(["-t2", &format!("-c{conns}"), &format!("-d{secs}s"), "--latency"]);
    let path = std::env::temp_dir().join(format!("qdn-bench-{}.lua", std::process::id()));
    if let Some(s) = script {
        std::fs::write(&path, s).map_err(|e| e.to_string())?;
        c.arg("-s").arg(&path);
    }
    let out = c.arg(url).output().map_err(|e| format!("wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    let pct = |p: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(p).map(|v| ms(v.trim())))
            .unwrap_or(f64::NAN)
    };
    let non2xx = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .map(|v| v.trim().to_string());
    if let Some(n) = non2xx {
        eprintln!("    note: {n} non-2xx answers from {url}");
    }
    Ok(Wrk {
        rps,
        p50_ms: pct("50%"),
        p99_ms: pct("99%"),
    })
}

const LUA_THREAD_SEED: &str = r#"
local counter = 1
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args) math.randomseed(id * 7919 + os.time()) end
"#;

/// How a request's fixes are spread in time.
#[derive(Clone, Copy)]
enum Spread {
    /// Each fix at a random instant of the last ~6 days: every fix lands on its own index page.
    Scattered,
    /// A tracker's queued backlog: consecutive fixes 1 s apart, from a random start.
    Backlog,
}

fn post_script(token: &str, batch: usize, spread: Spread) -> String {
    let now_ms = Utc::now().timestamp_millis();
    let backlog = matches!(spread, Spread::Backlog);
    format!(
        r#"{LUA_THREAD_SEED}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
local base = {now_ms}
local function fix(at)
  return string.format('{{"lat":53.4%05d,"lon":-2.9%05d,"recorded_at":%d}}', math.random(0, 99999), math.random(0, 99999), at)
end
local function instant() return base - math.random(1, 500000000) end
request = function()
  if {batch} == 1 then return wrk.format(nil, nil, nil, fix(instant())) end
  local t = {{}}
  local start = instant() - {batch} * 1000
  for i = 1, {batch} do
    if {backlog} then t[i] = fix(start + i * 1000) else t[i] = fix(instant()) end
  end
  return wrk.format(nil, nil, nil, '{{"fixes":[' .. table.concat(t, ",") .. ']}}')
end
"#
    )
}

/// Time from a signed inbound SMS to the stand-in receiving the relay's first send.
fn sms_latency(base: &str, standin: &str, n: usize) -> Result<Vec<f64>> {
    let count = || -> Result<u64> {
        let v: Value = ureq::get(&format!(
            "{standin}/_standin/count?to={}",
            TEST_HANDLERS[0].replace('+', "%2B")
        ))
        .call()
        .map_err(|e| e.to_string())?
        .into_json()
        .map_err(|e| e.to_string())?;
        Ok(v["count"].as_u64().unwrap_or(0))
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let before = count()?;
        let sid = format!(
            "SM{:032x}",
            Utc::now().timestamp_nanos_opt().unwrap_or_default() as u128 + i as u128
        );
        let t0 = Instant::now();
        crate::standin::inbound_sms(base, TEST_AUTH_TOKEN, &sid, &format!("+1555080{i:04}"), "bench")?;
        while count()? <= before {
            if t0.elapsed() > Duration::from_secs(10) {
                return Err("a relay did not reach the stand-in within 10 s".into());
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        out.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(out)
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn gz_sum(paths: &[&str]) -> (u64, u64) {
    paths
        .iter()
        .filter_map(|p| crate::build::sizes(&root().join(p)))
        .fold((0, 0), |(r, g), (a, b)| (r + a, g + b))
}

struct Row {
    figure: String,
    measured: String,
    target: String,
    /// Whether the target is met; None for a figure shown for comparison, with no target.
    ok: Option<bool>,
}

/// A job en route with a 40-fix trail; its id, track token and an ingest token.
struct Seeded {
    job_id: String,
    track: String,
    ingest: String,
}

fn seed_job(base: &str) -> Result<Seeded> {
    step("seeding a job with a trail");
    let dispatch = mint(TEST_JWT_SECRET, Scope::Dispatch, None, 3600);
    let job = expect(
        "POST",
        &format!("{base}/api/jobs"),
        &dispatch,
        json!({
            "customer_name": "Bench", "customer_phone": "+15550101111", "destination": {"lat": 53.43, "lon": -2.96}, "status": "en_route"
        }),
        201,
        "creating the bench job",
    )?;
    let job_id = job["job_id"].as_str().unwrap_or_default().to_string();
    let track = job["track_token"].as_str().unwrap_or_default().to_string();
    let ingest = mint(TEST_JWT_SECRET, Scope::Ingest, Some(&job_id), 3600);
    let fixes: Vec<Value> = (0..40).map(|i| json!({"lat": 53.40 + i as f64 * 0.0005, "lon": -2.96, "recorded_at": (Utc::now() - chrono::Duration::seconds(400 - i * 10)).to_rfc3339()})).collect();
    expect(
        "POST",
        &format!("{base}/api/jobs/{job_id}/location"),
        &ingest,
        json!({"fixes": fixes}),
        202,
        "posting the trail",
    )?;
    Ok(Seeded { job_id, track, ingest })
}

/// Single-fix POSTs and their baseline on a stack with wrangler's DevTools bridge, as plain
/// `wrangler dev` starts: shows what the bridge costs, not what the stack costs.
fn single_fix_with_devtools(tools: &crate::tools::Tools, secs: u32) -> Result<(Wrk, Wrk)> {
    let fx = Fixture::new(tools, "bench-devtools")?;
    let _stack = fx.start_with(
        tools,
        crate::stack::Options {
            devtools: true,
            ..fx.options()
        },
    )?;
    let s = seed_job(&fx.base)?;
    step("GET /healthz and POST one fix per request, with wrangler's DevTools bridge");
    let health = wrk(&format!("{}/healthz", fx.base), None, secs, 16)?;
    let url = format!("{}/api/jobs/{}/location", fx.base, s.job_id);
    let single = wrk(&url, Some(&post_script(&s.ingest, 1, Spread::Scattered)), secs, 16)?;
    Ok((health, single))
}

pub fn run() -> Result {
    let tools = crate::tools::ensure()?;
    ensure_wrk()?;
    crate::build::all(&tools)?;
    let fx = Fixture::new(&tools, "bench")?;
    // Without wrangler's DevTools bridge, as the stack runs in production (see Options).
    let stack = fx.start(&tools)?;
    let base = fx.base.clone();
    let dispatch = mint(TEST_JWT_SECRET, Scope::Dispatch, None, 3600);
    let Seeded { job_id, track, ingest } = seed_job(&base)?;
    expect(
        "PUT",
        &format!("{base}/api/relay/roster"),
        &dispatch,
        json!({"tiers": [
        {"dispatcher_id": "primary", "phone": TEST_HANDLERS[0]}, {"dispatcher_id": "secondary", "phone": TEST_HANDLERS[1]}],
        "ack_timeout_s": 3600}),
        200,
        "storing the roster",
    )?;

    let secs = 8;
    step("GET /healthz (baseline, 1 of 2)");
    let health = wrk(&format!("{base}/healthz"), None, secs, 16)?;
    step("GET /api/jobs/{token}/location");
    let read = wrk(&format!("{base}/api/jobs/{track}/location"), None, secs, 16)?;
    // A new fix shows in the view within 2 s: checked, not assumed, after the read load.
    let fresh_at = (Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
    expect(
        "POST",
        &format!("{base}/api/jobs/{job_id}/location"),
        &ingest,
        json!({"lat": 53.4299, "lon": -2.96, "recorded_at": fresh_at}),
        202,
        "posting the fresh fix",
    )?;
    let t0 = Instant::now();
    let visible = loop {
        let v: Value = ureq::get(&format!("{base}/api/jobs/{track}/location"))
            .call()
            .map_err(|e| e.to_string())?
            .into_json()
            .map_err(|e| e.to_string())?;
        if v["position"]["lat"] == 53.4299 {
            break Some(t0.elapsed());
        }
        if t0.elapsed() > Duration::from_secs(5) {
            break None;
        }
    };
    let ingest_url = format!("{base}/api/jobs/{job_id}/location");
    let post = |batch, spread, conns| wrk(&ingest_url, Some(&post_script(&ingest, batch, spread)), secs, conns);
    // The host's speed drifts within a run too: the baseline is the mean of two runs that
    // bracket the read and single-fix loads.
    step("GET /healthz (baseline, 2 of 2)");
    let health_2 = wrk(&format!("{base}/healthz"), None, secs, 16)?;
    let baseline = (health.rps + health_2.rps) / 2.0;
    step("POST one fix per request");
    let single = post(1, Spread::Scattered, 16)?;
    // Scattered first, so both runs start from a table of about the same size.
    step("POST 500 fixes per request (scattered in time, then a tracker's backlog)");
    let scattered = post(500, Spread::Scattered, 4)?;
    let batch = post(500, Spread::Backlog, 4)?;
    step("signed inbound SMS → first send at the stand-in (200 messages)");
    let mut sms = sms_latency(&base, &fx.standin.base_url, 200)?;
    step("ETA on the real trips (qdn-shared)");
    let eta_out = output(
        crate::util::cargo()
            .args(["test", "-q", "-p", "qdn-shared", "beats_half", "--", "--nocapture"])
            .current_dir(root()),
    )
    .unwrap_or_default();

    drop(stack);
    drop(fx);
    let (dev_health, dev_single) = single_fix_with_devtools(&tools, secs)?;

    let (edge_raw, edge_gz) = crate::build::sizes(&root().join("edge/build/index_bg.wasm")).unwrap_or_default();
    let (page_raw, page_gz) = gz_sum(&[
        "static/track/pkg/qdn_track_ui_bg.wasm",
        "static/track/pkg/qdn_track_ui.js",
        "static/track/index.html",
        "static/track/boot.js",
        "static/track/track.css",
    ]);
    let kb = |b: u64| format!("{:.0} KB", b as f64 / 1024.0);
    let mut rows = vec![
        Row {
            figure: "edge .wasm (gzip / raw)".into(),
            measured: format!("{} / {}", kb(edge_gz), kb(edge_raw)),
            target: "≤ 600 KB gzip".into(),
            ok: Some(edge_gz <= 600 * 1024),
        },
        Row {
            figure: "tracking page transfer (gzip / raw)".into(),
            measured: format!("{} / {}", kb(page_gz), kb(page_raw)),
            target: "≤ 150 KB gzip".into(),
            ok: Some(page_gz <= 150 * 1024),
        },
        Row {
            figure: "GET /healthz (baseline)".into(),
            measured: format!(
                "{baseline:.0} req/s (mean of {:.0}, {:.0}), p50 {:.1} ms, p99 {:.1} ms",
                health.rps, health_2.rps, health.p50_ms, health.p99_ms
            ),
            target: "—".into(),
            ok: None,
        },
        Row {
            figure: "GET location".into(),
            measured: format!(
                "{:.0} req/s ({:.2}×), p50 {:.1} ms, p99 {:.1} ms",
                read.rps,
                read.rps / baseline,
                read.p50_ms,
                read.p99_ms
            ),
            target: "≥ 0.5× healthz".into(),
            ok: Some(read.rps >= 0.5 * baseline),
        },
        Row {
            figure: "new fix visible in the view".into(),
            measured: visible.map_or("not within 5 s".into(), |d| {
                format!("{:.0} ms", d.as_secs_f64() * 1000.0)
            }),
            target: "≤ 2 s".into(),
            ok: Some(visible.is_some_and(|d| d <= Duration::from_secs(2))),
        },
        Row {
            figure: "POST one fix per request".into(),
            measured: format!(
                "{:.0} req/s ({:.2}×), p50 {:.1} ms, p99 {:.1} ms",
                single.rps,
                single.rps / baseline,
                single.p50_ms,
                single.p99_ms
            ),
            target: "≥ 0.3× healthz".into(),
            ok: Some(single.rps >= 0.3 * baseline),
        },
        Row {
            figure: "… same, with wrangler's DevTools bridge".into(),
            measured: format!(
                "{:.0} req/s ({:.2}× its {:.0} req/s healthz), p50 {:.1} ms",
                dev_single.rps,
                dev_single.rps / dev_health.rps,
                dev_health.rps,
                dev_single.p50_ms
            ),
            target: "— (dev tooling, not deployed)".into(),
            ok: None,
        },
        Row {
            figure: "batch ingest (500 fixes/request)".into(),
            measured: format!(
                "{:.0} fixes/s ({:.1} req/s, p50 {:.0} ms)",
                batch.rps * 500.0,
                batch.rps,
                batch.p50_ms
            ),
            target: "≥ 20,000 fixes/s".into(),
            ok: Some(batch.rps * 500.0 >= 20_000.0),
        },
        Row {
            figure: "… each fix at a random time of 6 days".into(),
            measured: format!(
                "{:.0} fixes/s ({:.1} req/s, p50 {:.0} ms)",
                scattered.rps * 500.0,
                scattered.rps,
                scattered.p50_ms
            ),
            target: "— (index worst case)".into(),
            ok: None,
        },
        {
            let (p50, p99) = (percentile(&mut sms, 0.5), percentile(&mut sms, 0.99));
            Row {
                figure: "inbound SMS → first send (200 msgs)".into(),
                measured: format!("p50 {p50:.1} ms, p99 {p99:.1} ms"),
                target: "p50 ≤ 50 ms".into(),
                ok: Some(p50 <= 50.0),
            }
        },
    ];
    for line in eta_out.lines().filter(|l| l.starts_with("ETA")) {
        let ratio: f64 = line
            .split("ratio")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|r| r.parse().ok())
            .unwrap_or(f64::NAN);
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim_start_matches("ETA")
            .trim()
            .to_string();
        let figs = line
            .split(':')
            .nth(1)
            .unwrap_or("")
            .split("ratio")
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        rows.push(Row {
            figure: format!("ETA MdAPE, {name}"),
            measured: format!("{figs} ({ratio:.2}×)"),
            target: "≤ 0.5× baseline".into(),
            ok: Some(ratio <= 0.5),
        });
    }
    let w = rows.iter().map(|r| r.figure.chars().count()).max().unwrap_or(10);
    let m = rows.iter().map(|r| r.measured.chars().count()).max().unwrap_or(10);
    println!(
        "\ncargo xtask bench — {} — {} cores\n",
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| {:w$} | {:m$} | target | |", "figure", "measured");
    println!("|{}|{}|---|---|", "-".repeat(w + 2), "-".repeat(m + 2));
    for r in &rows {
        println!(
            "| {:w$} | {:m$} | {} | {} |",
            r.figure,
            r.measured,
            r.target,
            match r.ok {
                None => " ",
                Some(true) => "✓",
                Some(false) => "✗",
            }
        );
    }
    Ok(())
}
