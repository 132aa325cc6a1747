//! What the stack costs to run on Cloudflare's meters: D1 rows written and read, and Worker
//! requests, per fix, per location view and per hour of tracking and of watching.
//!
//! The rows come from D1's own result metadata (`rows_read`, `rows_written` of every statement),
//! summed by the Worker on a stack started with `QDN_METER=1` and returned in each answer's
//! `Qdn-Meter` header (`edge/src/meter.rs`). The bench's requests are made one at a time, and a
//! figure is only printed if every answer came from the same isolate and each answer's totals
//! are exactly the previous answer's plus this request's own: no statement ran that the bench
//! did not cause, and none of its statements ran elsewhere.
//!
//! Hours are simulated: fixes carry the times a tracker would give them, posted back to back;
//! retention is the cron's work run every 10 simulated minutes with `?now=` (honoured by a
//! metering stack only) until the fixes are 7 days old and gone.

use chrono::{DateTime, Duration, Utc};
use qdn_shared::token::Scope;
use serde_json::{json, Value};

use crate::fixture::TEST_JWT_SECRET;
use crate::seed::mint;
use crate::util::{step, Result};

/// The tracking page polls the view this often (`track-ui/src/poll.rs`, `INTERVAL_MS`).
const PAGE_POLL_S: i64 = 10;
/// The cron trigger's period (`wrangler.toml`, `*/10 * * * *`).
const CRON_S: i64 = 600;
/// How long each simulated tracker reports.
const HOURS: i64 = 2;
/// Fixes in the backlog batch (the API's maximum per request).
const BACKLOG: usize = 500;

/// One `Qdn-Meter` header: the isolate's totals, and this request's own share.
#[derive(Clone, Debug, Default)]
struct Meter {
    isolate: String,
    requests: f64,
    statements: f64,
    rows_read: f64,
    rows_written: f64,
    d1_ms: f64,
    db_bytes: f64,
    req_statements: f64,
    req_rows_read: f64,
    req_rows_written: f64,
}

impl Meter {
    fn parse(header: &str) -> Option<Meter> {
        let mut m = Meter::default();
        for pair in header.split(';') {
            let (k, v) = pair.trim().split_once('=')?;
            let n = || v.parse::<f64>().ok();
            match k {
                "isolate" => m.isolate = v.to_string(),
                "requests" => m.requests = n()?,
                "statements" => m.statements = n()?,
                "rows_read" => m.rows_read = n()?,
                "rows_written" => m.rows_written = n()?,
                "d1_ms" => m.d1_ms = n()?,
                "db_bytes" => m.db_bytes = n()?,
                "req_statements" => m.req_statements = n()?,
                "req_rows_read" => m.req_rows_read = n()?,
                "req_rows_written" => m.req_rows_written = n()?,
                _ => {}
            }
        }
        Some(m)
    }
}

/// The D1 rows and time a set of requests cost.
#[derive(Clone, Copy, Default)]
struct Tally {
    requests: f64,
    rows_read: f64,
    rows_written: f64,
    d1_ms: f64,
    /// How much the database grew (D1's `size_after`, whole pages).
    db_bytes: f64,
}

impl Tally {
    fn add(&mut self, a: &Answer) {
        self.requests += 1.0;
        self.rows_read += a.meter.req_rows_read;
        self.rows_written += a.meter.req_rows_written;
        self.d1_ms += a.d1_ms;
        self.db_bytes += a.db_bytes;
    }
}

/// Sequential requests to a metering stack, each answer checked against the previous one.
struct Client {
    agent: ureq::Agent,
    base: String,
    last: Option<Meter>,
    checked: u64,
}

struct Answer {
    status: u16,
    body: Value,
    etag: Option<String>,
    meter: Meter,
    /// D1's own time for this request's statements, in ms.
    d1_ms: f64,
    /// How much the database grew during this request.
    db_bytes: f64,
}

impl Client {
    fn call(
        &mut self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
        etag: Option<&str>,
    ) -> Result<Answer> {
        let url = format!("{}{path}", self.base);
        let mut r = self.agent.request(method, &url);
        if let Some(b) = bearer {
            r = r.set("Authorization", &format!("Bearer {b}"));
        }
        if let Some(e) = etag {
            r = r.set("If-None-Match", e);
        }
        let resp = match body {
            Some(b) => r.send_json(b),
            None => r.call(),
        };
        let resp = match resp {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(format!("{method} {path}: {e}")),
        };
        let status = resp.status();
        let meter = resp
            .header("Qdn-Meter")
            .and_then(Meter::parse)
            .ok_or_else(|| format!("{method} {path}: no Qdn-Meter header (is QDN_METER=1 set?)"))?;
        let etag = resp.header("ETag").map(str::to_string);
        let text = resp.into_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        let (d1_ms, db_bytes) = match &self.last {
            Some(prev) => {
                let chained = meter.isolate == prev.isolate
                    && meter.requests == prev.requests + 1.0
                    && meter.statements == prev.statements + meter.req_statements
                    && meter.rows_read == prev.rows_read + meter.req_rows_read
                    && meter.rows_written == prev.rows_written + meter.req_rows_written;
                if !chained {
                    return Err(format!(
                        "metering is not trustworthy: {method} {path} answered {meter:?} after {prev:?} \
                         (another isolate, or statements outside the bench's requests)"
                    ));
                }
                let grew = if prev.db_bytes > 0.0 && meter.db_bytes > 0.0 {
                    meter.db_bytes - prev.db_bytes
                } else {
                    0.0
                };
                (meter.d1_ms - prev.d1_ms, grew)
            }
            None => (0.0, 0.0),
        };
        self.last = Some(meter.clone());
        self.checked += 1;
        Ok(Answer {
            status,
            body,
            etag,
            meter,
            d1_ms,
            db_bytes,
        })
    }

    /// A call that must answer `want`.
    fn expect(
        &mut self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
        want: u16,
    ) -> Result<Answer> {
        let a = self.call(method, path, bearer, body, None)?;
        if a.status != want {
            return Err(format!("{method} {path}: {} {}", a.status, a.body));
        }
        Ok(a)
    }
}

/// One simulated tracker: its fixes, their cost on insert and when retention deleted them.
pub struct Tracked {
    pub name: &'static str,
    pub fixes: f64,
    insert: Tally,
    retention: Tally,
}

impl Tracked {
    pub fn rows_written_per_fix(&self) -> f64 {
        (self.insert.rows_written + self.retention.rows_written) / self.fixes
    }

    fn describe(&self) -> String {
        format!(
            "{:.3} ({}: {} fixes, {} rows written on insert + {} by retention)",
            self.rows_written_per_fix(),
            self.name,
            self.fixes,
            self.insert.rows_written,
            self.retention.rows_written
        )
    }
}

pub struct Cost {
    pub every_5s: Tracked,
    pub every_30s: Tracked,
    pub backlog: Tracked,
    resend: Tally,
    views: Vec<f64>,
    page_loads: f64,
    osmand: Tally,
    cron_runs: Tally,
    checked: u64,
}

impl Cost {
    pub fn worst_rows_written_per_fix(&self) -> f64 {
        [&self.every_5s, &self.every_30s, &self.backlog]
            .iter()
            .map(|t| t.rows_written_per_fix())
            .fold(0.0, f64::max)
    }

    pub fn mean_view_rows_read(&self) -> f64 {
        self.views.iter().sum::<f64>() / self.views.len().max(1) as f64
    }

    /// The plain lines `cargo xtask bench` prints after its table.
    pub fn lines(&self) -> Vec<String> {
        let per_hour = |t: &Tracked| t.insert.requests / HOURS as f64;
        vec![
            format!(
                "rows written per fix: {}; {}; {}",
                self.every_5s.describe(),
                self.every_30s.describe(),
                self.backlog.describe()
            ),
            format!(
                "rows written by a re-sent batch: {} ({BACKLOG} duplicates)",
                self.resend.rows_written
            ),
            format!(
                "rows read per location view: {:.1} (mean of {} views, one every {PAGE_POLL_S} s over {HOURS} h of fixes every 5 s; {} at the end)",
                self.mean_view_rows_read(),
                self.views.len(),
                self.views.last().copied().unwrap_or(0.0)
            ),
            format!(
                "requests per tracked trailer-hour: {:.0} (every 5 s), {:.0} (every 30 s)",
                per_hour(&self.every_5s),
                per_hour(&self.every_30s)
            ),
            format!(
                "requests per watching customer-hour: {:.1} (one page load and a poll every {PAGE_POLL_S} s, over {HOURS} h)",
                (self.page_loads + self.views.len() as f64) / HOURS as f64
            ),
            format!(
                "rows read per fix: {:.1} (JSON API, every 5 s), {:.1} (OsmAnd: its device and job look-ups too)",
                self.every_5s.insert.rows_read / self.every_5s.fixes,
                self.osmand.rows_read / self.osmand.requests.max(1.0)
            ),
            format!(
                "rows read per cron run: {:.1} (mean of {} runs)",
                self.cron_runs.rows_read / self.cron_runs.requests.max(1.0),
                self.cron_runs.requests
            ),
            format!(
                "D1 bytes stored per fix: {:.0} (every 5 s), {:.0} (a backlog)",
                self.every_5s.insert.db_bytes / self.every_5s.fixes,
                self.backlog.insert.db_bytes / self.backlog.fixes
            ),
            format!(
                "D1 time per fix (local meta.duration, whole ms per statement, so a rough mean): {:.3} ms every 5 s, {:.3} ms in a backlog",
                self.every_5s.insert.d1_ms / self.every_5s.fixes,
                self.backlog.insert.d1_ms / self.backlog.fixes
            ),
            format!(
                "metering: {} requests, all answered by one isolate with every D1 statement accounted for",
                self.checked
            ),
        ]
    }
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn fix(trailer: &str, at: DateTime<Utc>, i: i64) -> Value {
    json!({"trailer_id": trailer, "lat": 53.40 + (i % 1000) as f64 * 0.0001, "lon": -2.96, "recorded_at": ms(at), "speed_mps": 8.5, "accuracy_m": 6.0})
}

/// Measures on a stack started with `QDN_METER=1` at `base`.
pub fn measure(base: &str) -> Result<Cost> {
    let mut c = Client {
        agent: ureq::AgentBuilder::new().build(),
        base: base.to_string(),
        last: None,
        checked: 0,
    };
    let dispatch = mint(TEST_JWT_SECRET, Scope::Dispatch, None, 3600);
    let now = Utc::now();
    let (start_5s, start_30s, start_backlog) = (
        now - Duration::days(6),
        now - Duration::days(5),
        now - Duration::days(4),
    );
    let (mut every_5s, track, views) = tracker_watched(&mut c, &dispatch, start_5s)?;
    let mut every_30s = tracker_every_30s(&mut c, &dispatch, start_30s)?;
    let (mut backlog, resend) = backlog_then_resent(&mut c, &dispatch, start_backlog)?;
    let osmand = osmand_fixes(&mut c, &dispatch, now - Duration::days(3))?;
    step("cost: the cron every 10 min until those fixes are 7 days old and gone");
    let mut cron_runs = Tally::default();
    for (start, hours, tracked) in [
        (start_5s, HOURS, &mut every_5s),
        (start_30s, HOURS, &mut every_30s),
        (start_backlog, 1, &mut backlog),
    ] {
        age_out(&mut c, &dispatch, start, hours, tracked, &mut cron_runs)?;
    }
    // Retention must really have deleted them: run as of now, the view is empty.
    let gone = c.expect("GET", &format!("/api/jobs/{track}/location"), None, None, 200)?;
    if !gone.body["position"].is_null() {
        return Err(format!("fixes were left after retention: {}", gone.body));
    }
    let checked = c.checked;
    Ok(Cost {
        every_5s,
        every_30s,
        backlog,
        resend,
        views,
        page_loads: 1.0,
        osmand,
        cron_runs,
        checked,
    })
}

/// A new en-route job for `trailer`: its id, track token and an ingest token.
fn cost_job(c: &mut Client, dispatch: &str, trailer: &str) -> Result<(String, String, String)> {
    // No automatic texts: they are sent after the answer, outside the request the meter counts
    // (at most three a job; their D1 rows are the notifications table's).
    let body = json!({"customer_name": "Cost", "customer_phone": "+15550102222", "destination": {"lat": 53.43, "lon": -2.96}, "status": "en_route", "trailer_ids": [trailer], "notify": false});
    let a = c.expect("POST", "/api/jobs", Some(dispatch), Some(&body), 201)?;
    let id = a.body["job_id"].as_str().unwrap_or_default().to_string();
    let track = a.body["track_token"].as_str().unwrap_or_default().to_string();
    let ingest = mint(TEST_JWT_SECRET, Scope::Ingest, Some(&id), 3600);
    Ok((id, track, ingest))
}

fn tracked(name: &'static str) -> Tracked {
    Tracked {
        name,
        fixes: 0.0,
        insert: Tally::default(),
        retention: Tally::default(),
    }
}

/// A tracker every 5 s for the hours measured, its customer's page polling: the tracker's
/// tally, the track token, and the rows each poll read.
fn tracker_watched(c: &mut Client, dispatch: &str, start: DateTime<Utc>) -> Result<(Tracked, String, Vec<f64>)> {
    step("cost: a tracker every 5 s for 2 h, its customer watching");
    let (id, track, ingest) = cost_job(c, dispatch, "T5")?;
    let mut every_5s = tracked("a tracker every 5 s");
    c.expect("GET", &format!("/track?job_id={track}"), None, None, 200)?;
    let mut views = Vec::new();
    let mut etag: Option<String> = None;
    let polls_every = PAGE_POLL_S / 5;
    for i in 0..HOURS * 3600 / 5 {
        post_one(
            c,
            &id,
            &ingest,
            &fix("T5", start + Duration::seconds(i * 5), i),
            &mut every_5s,
        )?;
        if (i + 1) % polls_every == 0 {
            let v = c.call(
                "GET",
                &format!("/api/jobs/{track}/location"),
                None,
                None,
                etag.as_deref(),
            )?;
            if v.status != 200 {
                return Err(format!("a poll after a new fix answered {}", v.status));
            }
            etag = v.etag.clone();
            views.push(v.meter.req_rows_read);
        }
    }
    Ok((every_5s, track, views))
}

/// Posts one fix of a tracker and adds what it cost to the tracker's tally.
fn post_one(c: &mut Client, job_id: &str, ingest: &str, fix: &Value, tracked: &mut Tracked) -> Result {
    let a = c.expect(
        "POST",
        &format!("/api/jobs/{job_id}/location"),
        Some(ingest),
        Some(fix),
        202,
    )?;
    tracked.fixes += a.body["accepted"].as_f64().unwrap_or(0.0);
    tracked.insert.add(&a);
    Ok(())
}

fn tracker_every_30s(c: &mut Client, dispatch: &str, start: DateTime<Utc>) -> Result<Tracked> {
    step("cost: a tracker every 30 s for 2 h");
    let (id, _, ingest) = cost_job(c, dispatch, "T30")?;
    let mut every_30s = tracked("every 30 s");
    for i in 0..HOURS * 3600 / 30 {
        post_one(
            c,
            &id,
            &ingest,
            &fix("T30", start + Duration::seconds(i * 30), i),
            &mut every_30s,
        )?;
    }
    Ok(every_30s)
}

/// A tracker's 500-fix backlog, then the same batch re-sent (which must write nothing).
fn backlog_then_resent(c: &mut Client, dispatch: &str, start: DateTime<Utc>) -> Result<(Tracked, Tally)> {
    step("cost: a tracker's 500-fix backlog (every 5 s), then the same batch re-sent");
    let (id, _, ingest) = cost_job(c, dispatch, "TB")?;
    let batch: Vec<Value> = (0..BACKLOG as i64)
        .map(|i| fix("TB", start + Duration::seconds(i * 5), i))
        .collect();
    let body = json!({ "fixes": batch });
    let path = format!("/api/jobs/{id}/location");
    let mut backlog = tracked("a 500-fix backlog");
    let a = c.expect("POST", &path, Some(&ingest), Some(&body), 202)?;
    backlog.fixes = a.body["accepted"].as_f64().unwrap_or(0.0);
    backlog.insert.add(&a);
    let again = c.expect("POST", &path, Some(&ingest), Some(&body), 202)?;
    if again.body["duplicates"].as_u64() != Some(BACKLOG as u64) {
        return Err(format!("the re-sent batch was not all duplicates: {}", again.body));
    }
    let mut resend = Tally::default();
    resend.add(&again);
    Ok((backlog, resend))
}

fn osmand_fixes(c: &mut Client, dispatch: &str, start: DateTime<Utc>) -> Result<Tally> {
    step("cost: OsmAnd fixes (device → trailer → job look-ups)");
    cost_job(c, dispatch, "TO")?;
    let device = json!({"device_id": "cost-osmand"});
    c.expect("PUT", "/api/trailers/TO", Some(dispatch), Some(&device), 200)?;
    let mut osmand = Tally::default();
    for i in 0..20 {
        let at = (start + Duration::seconds(i * 5)).timestamp();
        let path = format!("/ingest/osmand?id=cost-osmand&lat=53.4{i:03}&lon=-2.96&timestamp={at}");
        osmand.add(&c.expect("GET", &path, None, None, 200)?);
    }
    Ok(osmand)
}

/// Runs the cron on its 10-minute marks, in simulated time, from before the first of `hours` of
/// fixes from `start` expires until well after the last one did (any bucketing included).
fn age_out(
    c: &mut Client,
    dispatch: &str,
    start: DateTime<Utc>,
    hours: i64,
    tracked: &mut Tracked,
    cron_runs: &mut Tally,
) -> Result {
    let first = start + qdn_shared::fix::MAX_AGE;
    let mut at = ms(first) / 1000 / CRON_S * CRON_S - CRON_S;
    let until = ms(first + Duration::hours(hours + 3)) / 1000;
    while at <= until {
        let path = format!("/api/maintenance/run?now={}", at * 1000);
        let a = c.expect("POST", &path, Some(dispatch), None, 200)?;
        tracked.retention.add(&a);
        cron_runs.add(&a);
        at += CRON_S;
    }
    Ok(())
}
