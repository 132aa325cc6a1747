//! Demo data through the real API: a trailer with its tracker, a job en route, and a short
//! trail of fixes replayed from a real trip (shared/testdata), ending now.

use chrono::{Duration, Utc};
use qdn_shared::token::Scope;
use qdn_tests::{tokens, DISPATCHER_PHONES};
use serde_json::{json, Value};

use crate::util::{root, Result};

pub const DEMO_JOB: &str = "job_demo";
pub const DEMO_TRAILER: &str = "TR-1";
pub const DEMO_DEVICE: &str = "demo-tracker-1";

pub struct Demo {
    pub track_token: String,
    pub dispatch_token: String,
    pub ingest_token: String,
    /// A point a third of the way on toward the destination, for the sample curl lines.
    pub next_fix: (f64, f64),
}

/// A token for `scope` (and `job`) whose `sub` names xtask; the Worker carries it over into
/// tokens minted with it.
pub fn mint(secret: &str, scope: Scope, job: Option<&str>, ttl_s: i64) -> String {
    let mut c = tokens::claims(scope, job, ttl_s);
    c.sub = Some("xtask".into());
    tokens::sign(secret, &c)
}

pub fn call(method: &str, url: &str, bearer: &str, body: Value) -> Result<(u16, Value)> {
    let resp = ureq::request(method, url)
        .set("Authorization", &format!("Bearer {bearer}"))
        .send_json(body);
    let resp = match resp {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(format!("{method} {url}: {e}")),
    };
    let status = resp.status();
    Ok((status, resp.into_json().unwrap_or(Value::Null)))
}

/// Calls the API and requires the answer `want`; returns the body. `what` names the step in errors.
pub fn expect(method: &str, url: &str, bearer: &str, body: Value, want: u16, what: &str) -> Result<Value> {
    match call(method, url, bearer, body)? {
        (status, v) if status == want => Ok(v),
        (status, v) => Err(format!("{what}: {status} {v}")),
    }
}

/// (seconds before the newest fix, lat, lon)
type Stretch = Vec<(i64, f64, f64)>;

/// A stretch of the first real trip, and the trip's end.
fn real_trip() -> (Stretch, (f64, f64)) {
    let csv =
        std::fs::read_to_string(root().join("shared/testdata/liverpool_bus_route14_outbound.csv")).unwrap_or_default();
    let mut rows: Vec<(String, i64, f64, f64)> = Vec::new();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').map(|s| s.trim_matches('"')).collect();
        let (Some(t), Ok(lat), Ok(lon)) = (qdn_shared::time::parse_timestamp(f[3]), f[4].parse(), f[5].parse()) else {
            continue;
        };
        rows.push((f[2].to_string(), t.timestamp(), lat, lon));
    }
    let Some(first_trip) = rows.first().map(|r| r.0.clone()) else {
        return (vec![(0, 53.4084, -2.9916)], (53.4300, -2.9600));
    };
    let trip: Vec<_> = rows.into_iter().filter(|r| r.0 == first_trip).collect();
    let end = trip.last().map(|r| (r.2, r.3)).unwrap_or_default();
    // Twelve fixes up to ~60 % of the trip, re-timed to end now.
    let cut = trip.len() * 6 / 10;
    let slice = &trip[cut.saturating_sub(12)..cut.max(1)];
    let last_t = slice.last().map(|r| r.1).unwrap_or_default();
    (slice.iter().map(|r| (last_t - r.1, r.2, r.3)).collect(), end)
}

fn handler(vars: &[(String, String)], name: &str) -> Option<String> {
    vars.iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.clone())
}

/// Seeds the demo only where nothing is stored: a kept demo job, trailer or roster (the
/// dispatchers' own, set through the API) is never overwritten.
pub fn demo(base: &str, secret: &str, vars: &[(String, String)]) -> Result<Demo> {
    let dispatch = mint(secret, Scope::Dispatch, None, 12 * 3600);
    let (fixes, dest) = real_trip();
    let ingest = mint(secret, Scope::Ingest, Some(DEMO_JOB), 30 * 24 * 3600);
    if create_demo_job(base, &dispatch, dest)? {
        let trailer = json!({ "device_id": DEMO_DEVICE });
        expect(
            "PUT",
            &format!("{base}/api/trailers/{DEMO_TRAILER}"),
            &dispatch,
            trailer,
            200,
            "registering the demo trailer",
        )?;
        post_trail(base, &ingest, &fixes)?;
    } else {
        eprintln!("    kept the demo job from an earlier run (`rm -rf .wrangler/state` for a fresh demo)");
    }
    store_roster(base, &dispatch, vars)?;
    Ok(Demo {
        track_token: mint(secret, Scope::Track, Some(DEMO_JOB), 14 * 24 * 3600),
        dispatch_token: dispatch,
        ingest_token: ingest,
        next_fix: fixes.last().map_or(dest, |(_, lat, lon)| {
            (lat + (dest.0 - lat) / 3.0, lon + (dest.1 - lon) / 3.0)
        }),
    })
}

/// Creates the demo job en route to `dest`; `false` when one is kept from an earlier run.
fn create_demo_job(base: &str, dispatch: &str, dest: (f64, f64)) -> Result<bool> {
    let job = json!({
        "job_id": DEMO_JOB,
        "customer_name": "Demo Customer",
        "customer_phone": "+15550100200",
        "destination": { "lat": dest.0, "lon": dest.1, "address": "Petherick Road (demo)" },
        "trailer_ids": [DEMO_TRAILER],
        "status": "en_route",
    });
    match call("POST", &format!("{base}/api/jobs"), dispatch, job)? {
        (201, _) => Ok(true),
        (409, _) => Ok(false),
        (status, body) => Err(format!("creating the demo job: {status} {body}")),
    }
}

/// The trail's fixes, re-timed to end now.
fn post_trail(base: &str, ingest: &str, fixes: &Stretch) -> Result {
    let now = Utc::now();
    let batch: Vec<Value> = fixes
        .iter()
        .map(|(ago, lat, lon)| json!({ "lat": lat, "lon": lon, "recorded_at": (now - Duration::seconds(*ago)).to_rfc3339(), "trailer_id": DEMO_TRAILER }))
        .collect();
    let trail = json!({ "fixes": batch });
    expect(
        "POST",
        &format!("{base}/api/jobs/{DEMO_JOB}/location"),
        ingest,
        trail,
        202,
        "posting the demo trail",
    )?;
    Ok(())
}

/// The demo roster: the handler phones of `.dev.vars`, else the test dispatchers'; a roster
/// already stored (a dispatcher's, through the API) is kept.
fn store_roster(base: &str, dispatch: &str, vars: &[(String, String)]) -> Result {
    let (_, stored) = call("GET", &format!("{base}/api/relay/roster"), dispatch, Value::Null)?;
    if stored["source"] == "stored" {
        eprintln!("    kept the stored relay roster");
        return Ok(());
    }
    let phone = |name: &str, default: &str| handler(vars, name).unwrap_or_else(|| default.to_string());
    let roster = json!({
        "tiers": [
            {"dispatcher_id": "primary", "name": "Primary dispatcher", "phone": phone("PRIMARY_HANDLER_PHONE", DISPATCHER_PHONES[0])},
            {"dispatcher_id": "secondary", "name": "Secondary dispatcher", "phone": phone("SECONDARY_HANDLER_PHONE", DISPATCHER_PHONES[1])},
            {"dispatcher_id": "backup", "name": "Backup dispatcher", "phone": phone("BACKUP_HANDLER_PHONE", DISPATCHER_PHONES[2])},
        ],
        "ack_timeout_s": 30, "backoff_s": [2, 4, 8], "heartbeat_stale_s": 600,
    });
    expect(
        "PUT",
        &format!("{base}/api/relay/roster"),
        dispatch,
        roster,
        200,
        "storing the demo roster",
    )?;
    Ok(())
}
