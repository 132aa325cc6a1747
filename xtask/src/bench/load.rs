//! Load with wrk: GETs, and POSTs of fixes spread in time the ways trackers send them.

use std::process::Command;

use chrono::Utc;

use crate::util::Result;

pub struct Wrk {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

pub fn ensure_wrk() -> Result {
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
pub fn wrk(url: &str, script: Option<&str>, secs: u32, conns: u32) -> Result<Wrk> {
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
pub enum Spread {
    /// Each fix at a random instant of the last ~6 days: every fix lands on its own index page.
    Scattered,
    /// A tracker's queued backlog: consecutive fixes 1 s apart, from a random start.
    Backlog,
}

/// A wrk script POSTing `batch` fixes per request with the ingest `token`.
pub fn post_script(token: &str, batch: usize, spread: Spread) -> String {
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
