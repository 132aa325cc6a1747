//! The `jobs` and `job_trailers` tables.

use chrono::{DateTime, Utc};
use qdn_shared::job::{Destination, JobStatus, NewJob};
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
}

const SELECT: &str = "SELECT j.job_id, customer_name, customer_phone, dest_lat, dest_lon, dest_address, status, \
created_at, updated_at, (SELECT group_concat(trailer_id) FROM job_trailers t WHERE t.job_id = j.job_id) AS trailer_ids FROM jobs j";

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
            "INSERT OR IGNORE INTO jobs (job_id, customer_name, customer_phone, dest_lat, dest_lon, dest_address, status, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
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
        ])?];
    stmts.extend(trailer_links(
        &d,
        job_id,
        &j.trailer_ids,
        Written::Created(now, j.status),
    )?);
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

/// Applies a validated patch in one transaction, if the job's status is still `from` (two
/// dispatchers' PATCHes at once: the second is refused, never applied on a stale read).
/// Returns whether it applied.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    env: &Env,
    job_id: &str,
    from: JobStatus,
    status: JobStatus,
    destination: &Destination,
    trailer_ids: Option<&[String]>,
    now: DateTime<Utc>,
) -> worker::Result<bool> {
    let d = db(env)?;
    let mut stmts = vec![d
        .prepare(
            "UPDATE jobs SET status = ?2, dest_lat = ?3, dest_lon = ?4, dest_address = ?5, updated_at = ?6 \
             WHERE job_id = ?1 AND status = ?7",
        )
        .bind(&[
            s(job_id),
            s(status.as_str()),
            JsValue::from_f64(destination.lat),
            JsValue::from_f64(destination.lon),
            opt_s(destination.address.as_deref()),
            ms(now),
            s(from.as_str()),
        ])?];
    if let Some(ids) = trailer_ids {
        let written = Written::Updated(now, status);
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
    let results = d.batch(stmts).await?;
    Ok(results.first().map(super::changes).unwrap_or(0) == 1)
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

/// The newest open job of a customer's number, to link their text to it.
pub async fn open_for_customer(env: &Env, phone: &str) -> worker::Result<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        job_id: String,
    }
    let row: Option<Row> = db(env)?
        .prepare(
            "SELECT job_id FROM jobs WHERE customer_phone = ?1 AND status NOT IN ('completed', 'cancelled') \
             ORDER BY created_at DESC LIMIT 1",
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
                "UPDATE relay_messages SET from_phone = '', body = '' WHERE job_id IN ({finished})"
            ))
            .bind(&[ms(cutoff)])?,
            d.prepare(format!(
                "UPDATE notifications SET to_phone = '', body = '' WHERE job_id IN ({finished})"
            ))
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
