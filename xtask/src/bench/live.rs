//! Live updates: how soon an open page shows a new fix, what 1,000 viewers of one job cost over
//! WebSocket and over server-sent events, and how soon a slow phone shows the ETA from cold.

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use qdn_tests::live::{self, Event, Stream};
use serde_json::{json, Value};

use super::Seeded;
use crate::util::{root, step, Result};

/// Viewers of one job in the fan-out figure.
pub const VIEWERS: usize = 1000;
/// Fixes posted to the viewers (each one an update every viewer must get).
const FANOUT_FIXES: usize = 5;

pub struct Live {
    /// Fix POSTed → the open page's map and ETA changed, ms.
    pub push_ms: Vec<f64>,
    pub websocket: Fanout,
    pub sse: Fanout,
    /// Cold loads on the emulated slow phone.
    pub cold: Vec<Cold>,
}

/// What `VIEWERS` streams of one job measured.
pub struct Fanout {
    pub kind: &'static str,
    pub opened: usize,
    /// Fix POSTed → each viewer has it, ms (every viewer, every fix).
    pub ms: Vec<f64>,
    /// Updates that did not arrive within 10 s.
    pub missed: usize,
    /// The stack's resident memory per open viewer (workerd, node), KB.
    pub kb_per_viewer: (f64, f64),
    /// CPU per fix sent to every viewer (workerd, node), ms.
    pub cpu_ms_per_fix: (f64, f64),
}

/// One cold load, ms from navigation start.
pub struct Cold {
    pub total: f64,
    /// The page (wasm) drew its own ETA.
    pub app: f64,
    pub html: f64,
    pub wasm_start: f64,
    pub wasm_end: f64,
    pub wasm_kb: f64,
    pub ready: f64,
    pub data_end: Option<f64>,
    pub embedded: bool,
}

pub fn measure(base: &str, stack_pid: u32, job: &Seeded) -> Result<Live> {
    step("live: fix POSTed → the open page shows it (headless Chromium)");
    let push = page(base, job, "push", 30)?;
    let push_ms = push["push_ms"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    step(&format!("live: {VIEWERS} WebSocket viewers of one job"));
    let websocket = fanout(base, stack_pid, job, "WebSocket", live::websocket)?;
    step(&format!("live: {VIEWERS} server-sent-event viewers of one job"));
    let sse = fanout(base, stack_pid, job, "SSE", |b, t| live::sse(b, t, None))?;
    step("live: cold loads on an emulated slow phone (150 ms RTT, 1.6/0.75 Mbps, 4× CPU)");
    let cold = page(base, job, "cold", 7)?["cold"]
        .as_array()
        .map(|a| a.iter().map(cold_run).collect())
        .unwrap_or_default();
    Ok(Live {
        push_ms,
        websocket,
        sse,
        cold,
    })
}

fn cold_run(v: &Value) -> Cold {
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    Cold {
        total: f("total"),
        app: f("app"),
        html: f("html"),
        wasm_start: f("wasm_start"),
        wasm_end: f("wasm_end"),
        wasm_kb: f("wasm_bytes") / 1024.0,
        ready: f("ready"),
        data_end: v["data_end"].as_f64(),
        embedded: v["embedded"].as_bool().unwrap_or(false),
    }
}

/// Runs `page.mjs` in `mode` against the job's tracking page.
fn page(base: &str, job: &Seeded, mode: &str, rounds: u32) -> Result<Value> {
    let chromium = crate::tools::chromium()?;
    let out = Command::new("node")
        .arg(root().join("xtask/src/bench/page.mjs"))
        .env("CHROMIUM", chromium)
        .env("QDN_BASE_URL", base)
        .env("QDN_TRACK_URL", format!("{base}/track?job_id={}", job.track))
        .env("QDN_JOB_ID", &job.job_id)
        .env("QDN_INGEST", &job.ingest)
        .env("QDN_MODE", mode)
        .env("QDN_ROUNDS", rounds.to_string())
        .current_dir(root())
        .output()
        .map_err(|e| format!("node: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.starts_with('{'));
    line.and_then(|l| serde_json::from_str(l).ok()).ok_or_else(|| {
        format!(
            "page.mjs {mode} failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn fanout(
    base: &str,
    stack_pid: u32,
    job: &Seeded,
    kind: &'static str,
    open: impl Fn(&str, &str) -> std::result::Result<Stream, live::Refusal> + Sync,
) -> Result<Fanout> {
    let before = usage(stack_pid);
    // Opened from 8 threads: a crowd arriving, not one at a time.
    let streams: Vec<Stream> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let open = &open;
                s.spawn(move || {
                    (0..VIEWERS / 8)
                        .filter_map(|_| open(base, &job.track).ok())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    let opened = streams.len();
    // Everyone has the current view before the first fix.
    for s in &streams {
        s.next(Duration::from_secs(30));
    }
    let after_open = usage(stack_pid);
    let mut ms = Vec::with_capacity(opened * FANOUT_FIXES);
    let mut missed = 0;
    for i in 0..FANOUT_FIXES {
        // Six decimals, as the view gives them back.
        let lat = ((53.415 + i as f64 * 0.0011) * 1e6).round() / 1e6;
        let t0 = Instant::now();
        post_fix(base, job, lat)?;
        for s in &streams {
            match arrival(s, lat, t0 + Duration::from_secs(10)) {
                Some(at) => ms.push(at.duration_since(t0).as_secs_f64() * 1000.0),
                None => missed += 1,
            }
        }
    }
    let after_fixes = usage(stack_pid);
    let per = |a: f64, b: f64, n: f64| if n > 0.0 { (b - a) / n } else { f64::NAN };
    Ok(Fanout {
        kind,
        opened,
        ms,
        missed,
        kb_per_viewer: (
            per(before.workerd_kb, after_open.workerd_kb, opened as f64),
            per(before.node_kb, after_open.node_kb, opened as f64),
        ),
        cpu_ms_per_fix: (
            per(
                after_open.workerd_cpu_ms,
                after_fixes.workerd_cpu_ms,
                FANOUT_FIXES as f64,
            ),
            per(after_open.node_cpu_ms, after_fixes.node_cpu_ms, FANOUT_FIXES as f64),
        ),
    })
}

/// When `s` delivered the view at `lat` (None: not by `deadline`).
fn arrival(s: &Stream, lat: f64, deadline: Instant) -> Option<Instant> {
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match s.next_timed(left)? {
            (at, Event::View(v)) if v["position"]["lat"].as_f64() == Some(lat) => return Some(at),
            (_, Event::View(_)) => {}
            _ => return None,
        }
    }
}

fn post_fix(base: &str, job: &Seeded, lat: f64) -> Result {
    ureq::post(&format!("{base}/api/jobs/{}/location", job.job_id))
        .set("Authorization", &format!("Bearer {}", job.ingest))
        .send_json(json!({"lat": lat, "lon": -2.96, "recorded_at": Utc::now().to_rfc3339()}))
        .map_err(|e| format!("posting a fix: {e}"))?;
    Ok(())
}

/// Memory and CPU of the stack's processes (wrangler's process group): workerd, which runs the
/// Worker and the objects, and node (wrangler and its local proxy, which the network's edge
/// replaces in production).
#[derive(Default)]
struct Usage {
    workerd_kb: f64,
    node_kb: f64,
    workerd_cpu_ms: f64,
    node_cpu_ms: f64,
}

fn usage(pgid: u32) -> Usage {
    let tick_ms = 1000.0
        / crate::util::output(Command::new("getconf").arg("CLK_TCK"))
            .and_then(|t| t.trim().parse::<f64>().ok())
            .unwrap_or(100.0);
    let page_kb = 4.0;
    let mut u = Usage::default();
    let Ok(dir) = std::fs::read_dir("/proc") else { return u };
    for entry in dir.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp …`: comm may hold spaces, so split after its ')'.
        let Some((head, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let comm = head.split_once(" (").map_or("", |(_, c)| c);
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.get(2).and_then(|g| g.parse::<u32>().ok()) != Some(pgid) {
            continue;
        }
        let num = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
        // Fields after the comm: utime is the 12th, stime the 13th, rss the 22nd (0-based 11, 12, 21).
        let cpu = (num(11) + num(12)) * tick_ms;
        let kb = num(21) * page_kb;
        if comm.contains("workerd") {
            u.workerd_kb += kb;
            u.workerd_cpu_ms += cpu;
        } else if comm.contains("node") {
            u.node_kb += kb;
            u.node_cpu_ms += cpu;
        }
    }
    u
}
