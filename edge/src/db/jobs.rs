//! The `jobs` and `job_trailers` tables.

use chrono::{DateTime, Utc};
use qdn_shared::job::{Destination, Details, JobStatus, NewJob, StatusSource, Stop};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::Env;

use super::{db, ms, opt_s, s, time};

#[derive(Debug, Clone)]
pub struct Job {
    pub job_id: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub destination: Destination,
    pub status: JobStatus,
    pub trailer_ids: Vec<String>,
    pub details: Details,
    /// Which of `details.stops` `destination` is.
    pub stop_index: usize,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Job {
    /// What the customer's location view needs of the job.
    pub fn facts(&self) -> qdn_shared::view::JobFacts {
        qdn_shared::view::JobFacts {
            job_id: self.job_id.clone(),
            status: self.status,
            trailer_count: self.trailer_ids.len() as u32,
            destination: self.destination.clone(),
            updated_at: self.updated_at,
        }
    }
}

#[derive(Deserialize)]
struct Row {
    job_id: String,
    customer_name: String,
    customer_phone: String,
    dest_lat: f64,
    dest_lon: f64,
    dest_address: Option<String>,
    status: String,
    created_at: f64,
    updated_at: f64,
    trailer_ids: Option<String>,
    dispatcher_id: Option<String>,
    window_end: Option<f64>,
    notify: f64,
    geofence_m: f64,
    stops: Option<String>,
    stop_index: f64,
}

const SELECT: &str = "SELECT j.job_id, customer_name, customer_phone, dest_lat, dest_lon, dest_address, status, \
created_at, updated_at, dispatcher_id, window_end, notify, geofence_m, stops, stop_index, (SELECT group_concat(trailer_id) FROM job_trailers t WHERE t.job_id = j.job_id) AS trailer_ids FROM jobs j";

fn job(r: Row) -> Job {
    Job {
        job_id: r.job_id,
        customer_name: r.customer_name,
        customer_phone: r.customer_phone,
        destination: Destination {
            lat: r.dest_lat,
            lon: r.dest_lon,
            address: r.dest_address,
        },
        status: JobStatus::parse(&r.status).unwrap_or(JobStatus::Scheduled),
        trailer_ids: r
            .trailer_ids
            .map(|t| t.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        details: Details {
            dispatcher_id: r.dispatcher_id,
            window_end: r.window_end.map(time),
            notify: r.notify != 0.0,
            geofence_m: r.geofence_m,
            stops: r
                .stops
                .and_then(|s| serde_json::from_str::<Vec<Stop>>(&s).ok())
                .unwrap_or_default(),
        },
        stop_index: r.stop_index as usize,
        created_at: time(r.created_at),
        updated_at: time(r.updated_at),
    }
}

pub async fn get(env: &Env, job_id: &str) -> worker::Result<Option<Job>> {
    let row: Option<Row> = db(env)?
        .prepare(format!("{SELECT} WHERE j.job_id = ?1"))
        .bind(&[s(job_id)])?
        .first(None)
        .await?;
    Ok(row.map(job))
}

/// Inserts the job and its trailers in one transaction. `false` if the id is taken.
pub async fn insert(env: &Env, job_id: &str, j: &NewJob, now: DateTime<Utc>) -> worker::Result<bool> {
    let d = db(env)?;
    let mut stmts = vec![d
        .prepare(
            "INSERT OR IGNORE INTO jobs (job_id, customer_name, customer_phone, dest_lat, dest_lon, dest_address, status, \
             created_at, updated_at, dispatcher_id, window_end, notify, geofence_m, stops, stop_index) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12, ?13, 0)",
        )
        .bind(&[
            s(job_id),
            s(&j.customer_name),
            s(&j.customer_phone),
            JsValue::from_f64(j.destination.lat),
            JsValue::from_f64(j.destination.lon),
            opt_s(j.destination.address.as_deref()),
            s(j.status.as_str()),
            ms(now),
            opt_s(j.details.dispatcher_id.as_deref()),
            opt_ms(j.details.window_end),
            JsValue::from_f64(j.details.notify as u8 as f64),
            JsValue::from_f64(j.details.geofence_m),
            stops_json(&j.details.stops),
        ])?];
    let written = Written::Created(now, j.status);
    stmts.extend(trailer_links(&d, job_id, &j.trailer_ids, written)?);
    stmts.push(history(&d, job_id, written, StatusSource::Dispatch)?);
    let results = d.batch(stmts).await?;
    Ok(results.first().map(super::changes).unwrap_or(0) == 1)
}

/// The job row this batch wrote, by the time it stamped: later statements of the batch apply
/// only if the first one did (a taken id or a concurrent change leaves the trailers alone).
#[derive(Clone, Copy)]
enum Written {
    Created(DateTime<Utc>, JobStatus),
    Updated(DateTime<Utc>, JobStatus),
}

impl Written {
    /// A condition on `?1` (the job id), `?{at}` (the time) and `?{status}` (the status).
    fn guard(self, at: u8, status: u8) -> String {
        let column = match self {
            Written::Created(..) => "created_at",
            Written::Updated(..) => "updated_at",
        };
        format!("EXISTS (SELECT 1 FROM jobs WHERE job_id = ?1 AND {column} = ?{at} AND status = ?{status})")
    }

    fn binds(self) -> (JsValue, JsValue) {
        let (Written::Created(at, status) | Written::Updated(at, status)) = self;
        (ms(at), s(status.as_str()))
    }
}

/// Statements that (re)link a job's trailers, creating unknown trailers, if `written` holds.
fn trailer_links(
    d: &worker::D1Database,
    job_id: &str,
    trailer_ids: &[String],
    written: Written,
) -> worker::Result<Vec<worker::D1PreparedStatement>> {
    let (at, status) = written.binds();
    let guard = written.guard(3, 4);
    let mut stmts = Vec::new();
    for t in trailer_ids {
        let binds = [s(job_id), s(t), at.clone(), status.clone()];
        stmts.push(
            d.prepare(format!(
                "INSERT OR IGNORE INTO trailers (trailer_id, updated_at) SELECT ?2, ?3 WHERE {guard}"
            ))
            .bind(&binds)?,
        );
        stmts.push(
            d.prepare(format!(
                "INSERT OR IGNORE INTO job_trailers (job_id, trailer_id) SELECT ?1, ?2 WHERE {guard}"
            ))
            .bind(&binds)?,
        );
    }
    Ok(stmts)
}

/// A job as a PATCH (or the geofence) leaves it.
pub struct Change<'a> {
    /// The status the change was decided on: it applies only if the job still has it.
    pub from: JobStatus,
    pub status: JobStatus,
    pub destination: &'a Destination,
    pub stop_index: usize,
    pub details: &'a Details,
    /// `None` keeps the trailers.
    pub trailer_ids: Option<&'a [String]>,
    pub source: StatusSource,
}

/// Applies a change in one transaction, if the job's status is still `from` (two dispatchers'
/// PATCHes at once, or a PATCH racing the geofence: the second is refused, never applied on a
/// stale read). A new status is added to the job's history. Returns whether it applied.
pub async fn update(env: &Env, job_id: &str, c: &Change<'_>, now: DateTime<Utc>) -> worker::Result<bool> {
    update_guarded(env, job_id, c, None, now).await
}

/// As [`update`], and only if the job is exactly as read: not changed at all since `updated_at`.
/// The geofence writes the job's other fields as it read them, so any dispatcher's change in
/// between (a new destination, new stops) must make it miss, not be overwritten.
pub async fn update_unchanged(
    env: &Env,
    job_id: &str,
    c: &Change<'_>,
    updated_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> worker::Result<bool> {
    update_guarded(env, job_id, c, Some(updated_at), now).await
}

async fn update_guarded(
    env: &Env,
    job_id: &str,
    c: &Change<'_>,
    unchanged_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> worker::Result<bool> {
    let d = db(env)?;
    let mut stmts = vec![d
        .prepare(
            "UPDATE jobs SET status = ?2, dest_lat = ?3, dest_lon = ?4, dest_address = ?5, updated_at = ?6, \
             dispatcher_id = ?8, window_end = ?9, notify = ?10, geofence_m = ?11, stops = ?12, stop_index = ?13 \
             WHERE job_id = ?1 AND status = ?7 AND (?14 IS NULL OR updated_at = ?14)",
        )
        .bind(&[
            s(job_id),
            s(c.status.as_str()),
            JsValue::from_f64(c.destination.lat),
            JsValue::from_f64(c.destination.lon),
            opt_s(c.destination.address.as_deref()),
            ms(now),
            s(c.from.as_str()),
            opt_s(c.details.dispatcher_id.as_deref()),
            opt_ms(c.details.window_end),
            JsValue::from_f64(c.details.notify as u8 as f64),
            JsValue::from_f64(c.details.geofence_m),
            stops_json(&c.details.stops),
            JsValue::from_f64(c.stop_index as f64),
            opt_ms(unchanged_since),
        ])?];
    let written = Written::Updated(now, c.status);
    if let Some(ids) = c.trailer_ids {
        let (at, st) = written.binds();
        stmts.push(
            d.prepare(format!(
                "DELETE FROM job_trailers WHERE job_id = ?1 AND {}",
                written.guard(2, 3)
            ))
            .bind(&[s(job_id), at, st])?,
        );
        stmts.extend(trailer_links(&d, job_id, ids, written)?);
    }
    if c.status != c.from {
        stmts.push(history(&d, job_id, written, c.source)?);
    }
    let results = d.batch(stmts).await?;
    Ok(results.first().map(super::changes).unwrap_or(0) == 1)
}

/// The history row of the status `written` stamped, if that write applied.
fn history(
    d: &worker::D1Database,
    job_id: &str,
    written: Written,
    source: StatusSource,
) -> worker::Result<worker::D1PreparedStatement> {
    let (at, status) = written.binds();
    d.prepare(format!(
        "INSERT OR IGNORE INTO job_history (job_id, at, status, source) SELECT ?1, ?2, ?3, ?4 WHERE {}",
        written.guard(2, 3)
    ))
    .bind(&[s(job_id), at, status, s(source.as_str())])
}

fn stops_json(stops: &[Stop]) -> JsValue {
    if stops.is_empty() {
        JsValue::NULL
    } else {
        JsValue::from_str(&serde_json::to_string(stops).unwrap_or_default())
    }
}

fn opt_ms(t: Option<DateTime<Utc>>) -> JsValue {
    t.map_or(JsValue::NULL, ms)
}

/// One entry of a job's status history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub status: JobStatus,
    pub at: DateTime<Utc>,
    pub source: StatusSource,
}

/// The job's statuses, oldest first.
pub async fn history_of(env: &Env, job_id: &str) -> worker::Result<Vec<HistoryEntry>> {
    #[derive(Deserialize)]
    struct Row {
        status: String,
        at: f64,
        source: String,
    }
    let rows: Vec<Row> = db(env)?
        .prepare("SELECT status, at, source FROM job_history WHERE job_id = ?1 ORDER BY at")
        .bind(&[s(job_id)])?
        .all()
        .await?
        .results()?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(HistoryEntry {
                status: JobStatus::parse(&r.status)?,
                at: time(r.at),
                source: StatusSource::parse(&r.source)?,
            })
        })
        .collect())
}

/// The job `trailer_id` is serving: one under way (`en_route`, `at_site`, `en_route_next`)
/// before a scheduled one, so a trailer still at customer A's site, already put on scheduled
/// job B, keeps feeding A's page; among equals the newest.
pub async fn active_for_trailer(env: &Env, trailer_id: &str) -> worker::Result<Option<Job>> {
    let row: Option<Row> = db(env)?
        .prepare(format!(
            "{SELECT} WHERE j.job_id IN (SELECT job_id FROM job_trailers WHERE trailer_id = ?1) \
             AND j.status NOT IN ('completed', 'cancelled') \
             ORDER BY j.status = 'scheduled', j.created_at DESC LIMIT 1"
        ))
        .bind(&[s(trailer_id)])?
        .first(None)
        .await?;
    Ok(row.map(job))
}

/// The open job a customer's text or call belongs to, the most active of theirs: one under way
/// before a scheduled one, the newest among equals.
pub async fn open_for_customer(env: &Env, phone: &str) -> worker::Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        job_id: String,
    }
    let row: Option<Row> = db(env)?
        .prepare(
            "SELECT job_id FROM jobs WHERE customer_phone = ?1 AND status NOT IN ('completed', 'cancelled') \
             ORDER BY status = 'scheduled', created_at DESC LIMIT 1",
        )
        .bind(&[s(phone)])?
        .first(None)
        .await?;
    Ok(row.map(|r| r.job_id))
}

/// Erases the customer (name, phone, their texts and the texts to them) of every job finished
/// before `cutoff`; the job itself stays, for the dispatchers' records. Returns how many jobs.
pub async fn erase_customers(env: &Env, cutoff: DateTime<Utc>) -> worker::Result<usize> {
    let d = db(env)?;
    let finished = "SELECT job_id FROM jobs WHERE status IN ('completed', 'cancelled') AND updated_at < ?1 \
                    AND customer_phone != ''";
    let results = d
        .batch(vec![
            d.prepare(format!(
                "UPDATE relay_messages SET from_phone = '', body = '', media = NULL WHERE job_id IN ({finished})"
            ))
            .bind(&[ms(cutoff)])?,
            d.prepare(format!(
                "UPDATE notifications SET to_phone = '', body = '' WHERE job_id IN ({finished})"
            ))
            .bind(&[ms(cutoff)])?,
            // The thread's calls: who called (the rest says only which dispatcher was rung).
            d.prepare(format!("UPDATE calls SET from_phone = '' WHERE job_id IN ({finished})"))
                .bind(&[ms(cutoff)])?,
            d.prepare(
                "UPDATE jobs SET customer_name = '', customer_phone = '' WHERE status IN ('completed', 'cancelled') \
                 AND updated_at < ?1 AND customer_phone != ''",
            )
            .bind(&[ms(cutoff)])?,
        ])
        .await?;
    Ok(results.last().map(super::changes).unwrap_or(0))
}

/// The dispatch board's list (`GET /api/jobs`), newest first, at most `limit`: of one status
/// when given; with `day` (`[from, to)`), the jobs active that day — created before its end
/// and not finished before its start.
pub async fn list(
    env: &Env,
    status: Option<JobStatus>,
    day: Option<(DateTime<Utc>, DateTime<Utc>)>,
    limit: u32,
) -> worker::Result<Vec<Job>> {
    let (from, to) = day.map_or((JsValue::NULL, JsValue::NULL), |(f, t)| (ms(f), ms(t)));
    let rows: Vec<Row> = db(env)?
        .prepare(format!(
            "{SELECT} WHERE (?1 IS NULL OR j.status = ?1) \
             AND (?2 IS NULL OR (j.created_at < ?3 AND (j.status NOT IN ('completed', 'cancelled') OR j.updated_at >= ?2))) \
             ORDER BY j.created_at DESC LIMIT ?4"
        ))
        .bind(&[
            status.map_or(JsValue::NULL, |s| JsValue::from_str(s.as_str())),
            from,
            to,
            JsValue::from(limit),
        ])?
        .all()
        .await?
        .results()?;
    Ok(rows.into_iter().map(job).collect())
}
