//! `cargo xtask bench`: how fast and how small the stack is, against a fresh release stack.
//! Throughputs are also given as a ratio to `GET /healthz` measured in the same run, because
//! the machines are shared and absolute numbers drift. Never fails on a missed target.

mod cost;
mod figures;
mod live;
mod load;

use std::time::{Duration, Instant};

use chrono::Utc;
use qdn_shared::token::Scope;
use qdn_tests::DISPATCHER_PHONES;
use serde_json::{json, Value};

use crate::fixture::*;
use crate::seed::{expect, mint};
use crate::util::{output, root, step, Result};
use figures::*;
use load::{ensure_wrk, post_script, wrk, Spread, Wrk};

/// How long each load runs, in seconds.
const SECS: u32 = 8;

/// `cargo xtask bench [cost|live]`: everything, or only the cost figures (no load, a few
/// minutes less), or only the live-update and page figures.
pub fn run(args: &[String]) -> Result {
    let tools = crate::tools::ensure()?;
    let only_cost = args.first().is_some_and(|a| a == "cost");
    if args.first().is_some_and(|a| a == "live") {
        crate::build::all(&tools)?;
        let l = measure_live(&tools)?;
        let mut rows = vec![page_transfer()];
        rows.extend(live_rows(&l));
        print_table(&rows);
        return Ok(());
    }
    if !only_cost {
        ensure_wrk()?;
    }
    crate::build::all(&tools)?;
    let cost = measure_cost(&tools)?;
    if only_cost {
        print_table(&[rows_written_per_fix(&cost)]);
        print_cost(&cost);
        return Ok(());
    }
    let m = measure_release_stack(&tools)?;
    let devtools = single_fix_with_devtools(&tools)?;
    let live = measure_live(&tools)?;
    let baseline = (m.health[0].rps + m.health[1].rps) / 2.0;
    let mut rows = vec![
        edge_size(),
        page_transfer(),
        console_transfer(),
        healthz(&m.health, baseline),
        location_reads(&m.read, baseline),
        fix_visible(m.visible),
        single_fixes(&m.single, baseline),
        single_fixes_with_devtools(&devtools),
        batch_ingest(&m.batch),
        scattered_ingest(&m.scattered),
        sms_to_first_send(m.sms_ms),
        rows_written_per_fix(&cost),
    ];
    rows.extend(live_rows(&live));
    rows.extend(eta(&m.eta));
    rows.extend(arrival()?);
    print_table(&rows);
    print_cost(&cost);
    Ok(())
}

/// The live-update figures, on a stack of their own (1,000 open streams stay out of the others).
fn measure_live(tools: &crate::tools::Tools) -> Result<live::Live> {
    let fx = Fixture::new(tools, "bench-live")?;
    let stack = fx.start(tools)?;
    let job = seed_job(&fx.base)?;
    live::measure(&fx.base, stack.pid(), &job)
}

fn live_rows(l: &live::Live) -> Vec<figures::Row> {
    vec![
        live_push(&l.push_ms),
        live_fanout(&l.websocket),
        live_viewer_cost(&l.websocket),
        live_fanout(&l.sse),
        live_viewer_cost(&l.sse),
        cold_eta(&l.cold),
    ]
}

/// The cost figures, on a stack of their own: metering (`QDN_METER=1`) stays out of the speed
/// figures' stack.
fn measure_cost(tools: &crate::tools::Tools) -> Result<cost::Cost> {
    let mut fx = Fixture::new(tools, "bench-cost")?;
    fx.vars.push(("QDN_METER".into(), "1".into()));
    let _stack = fx.start(tools)?;
    cost::measure(&fx.base)
}

fn print_cost(cost: &cost::Cost) {
    println!("\nWhat it costs (D1's own rows_read/rows_written, summed by the Worker; see COST.md):\n");
    for line in cost.lines() {
        println!("{line}");
    }
}

/// What the release stack measured.
struct Release {
    /// The baseline, before the reads and before the single-fix POSTs: the host's speed drifts
    /// within a run too, so two runs bracket those loads.
    health: [Wrk; 2],
    read: Wrk,
    /// How long a new fix took to show in the view (None: not within 5 s).
    visible: Option<Duration>,
    single: Wrk,
    scattered: Wrk,
    batch: Wrk,
    sms_ms: Vec<f64>,
    /// The output of qdn-shared's ETA test on the real trips.
    eta: String,
}

fn measure_release_stack(tools: &crate::tools::Tools) -> Result<Release> {
    let fx = Fixture::new(tools, "bench")?;
    // Without wrangler's DevTools bridge, as the stack runs in production (see Options).
    let _stack = fx.start(tools)?;
    let base = fx.base.as_str();
    let job = seed_job(base)?;
    store_roster(base)?;
    step("GET /healthz (baseline, 1 of 2)");
    let health_1 = wrk(&format!("{base}/healthz"), None, SECS, 16)?;
    step("GET /api/jobs/{token}/location");
    let read = wrk(&format!("{base}/api/jobs/{}/location", job.track), None, SECS, 16)?;
    // A new fix shows in the view within 2 s: checked, not assumed, after the read load.
    let visible = time_to_visible(base, &job)?;
    step("GET /healthz (baseline, 2 of 2)");
    let health_2 = wrk(&format!("{base}/healthz"), None, SECS, 16)?;
    let ingest_url = format!("{base}/api/jobs/{}/location", job.job_id);
    let post = |batch, spread, conns| wrk(&ingest_url, Some(&post_script(&job.ingest, batch, spread)), SECS, conns);
    step("POST one fix per request");
    let single = post(1, Spread::Scattered, 16)?;
    // Scattered first, so both runs start from a table of about the same size.
    step("POST 500 fixes per request (scattered in time, then a tracker's backlog)");
    let scattered = post(500, Spread::Scattered, 4)?;
    let batch = post(500, Spread::Backlog, 4)?;
    step("signed inbound SMS → first send at the stand-in (200 messages)");
    let sms_ms = sms_latencies(base, &fx.standin.base_url, 200)?;
    step("ETA on the real trips (qdn-shared)");
    let eta = output(
        crate::util::cargo()
            .args(["test", "-q", "-p", "qdn-shared", "beats_half", "--", "--nocapture"])
            .current_dir(root()),
    )
    .unwrap_or_default();
    Ok(Release {
        health: [health_1, health_2],
        read,
        visible,
        single,
        scattered,
        batch,
        sms_ms,
        eta,
    })
}

/// Single-fix POSTs and their baseline on a stack with wrangler's DevTools bridge, as plain
/// `wrangler dev` starts: shows what the bridge costs, not what the stack costs.
fn single_fix_with_devtools(tools: &crate::tools::Tools) -> Result<(Wrk, Wrk)> {
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
    let health = wrk(&format!("{}/healthz", fx.base), None, SECS, 16)?;
    let url = format!("{}/api/jobs/{}/location", fx.base, s.job_id);
    let single = wrk(&url, Some(&post_script(&s.ingest, 1, Spread::Scattered)), SECS, 16)?;
    Ok((health, single))
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

/// Two tiers that never time out: every inbound text of the SMS figure goes to the primary.
fn store_roster(base: &str) -> Result {
    let dispatch = mint(TEST_JWT_SECRET, Scope::Dispatch, None, 3600);
    expect(
        "PUT",
        &format!("{base}/api/relay/roster"),
        &dispatch,
        json!({"tiers": [
        {"dispatcher_id": "primary", "phone": DISPATCHER_PHONES[0]}, {"dispatcher_id": "secondary", "phone": DISPATCHER_PHONES[1]}],
        "ack_timeout_s": 3600}),
        200,
        "storing the roster",
    )?;
    Ok(())
}

/// Posts a fresh fix and reads the view until it shows (None: not within 5 s).
fn time_to_visible(base: &str, job: &Seeded) -> Result<Option<Duration>> {
    let fresh_at = (Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
    expect(
        "POST",
        &format!("{base}/api/jobs/{}/location", job.job_id),
        &job.ingest,
        json!({"lat": 53.4299, "lon": -2.96, "recorded_at": fresh_at}),
        202,
        "posting the fresh fix",
    )?;
    let t0 = Instant::now();
    loop {
        let v: Value = ureq::get(&format!("{base}/api/jobs/{}/location", job.track))
            .call()
            .map_err(|e| e.to_string())?
            .into_json()
            .map_err(|e| e.to_string())?;
        if v["position"]["lat"] == 53.4299 {
            return Ok(Some(t0.elapsed()));
        }
        if t0.elapsed() > Duration::from_secs(5) {
            return Ok(None);
        }
    }
}

/// Time from a signed inbound SMS to the stand-in receiving the relay's first send, in ms.
fn sms_latencies(base: &str, standin: &str, n: usize) -> Result<Vec<f64>> {
    let count = || qdn_tests::standin::count_to(standin, DISPATCHER_PHONES[0]);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let before = count()?;
        let t0 = Instant::now();
        inbound_sms(base, &format!("+1555080{i:04}"), "bench")?;
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
