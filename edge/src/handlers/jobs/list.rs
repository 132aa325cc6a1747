//! `GET /api/jobs?status=&day=&limit=` (dispatch): the board's list of jobs, newest first,
//! each as `GET /api/jobs/{job_id}` shows it to a dispatcher, with its thread's newest inbound
//! time and, for a dispatcher (the console's session, a token with `sub`), how many inbound
//! items came after their read mark (`POST /api/jobs/{id}/read`).

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use qdn_shared::job::JobStatus;
use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

const DEFAULT_LIMIT: u32 = 200;
const MAX_LIMIT: u32 = 500;

pub async fn get(req: &Request, env: &Env) -> AppResult {
    let claims = crate::auth::require(req, env, &[Scope::Dispatch])?;
    let q = crate::http::query_pairs(req);
    let param = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let status = param("status")
        .map(|s| {
            JobStatus::parse(s).ok_or_else(|| {
                AppError::bad_request(
                    "invalid_status",
                    "status is one of scheduled, en_route, at_site, en_route_next, completed, cancelled",
                )
            })
        })
        .transpose()?;
    let day = param("day")
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| {
                    let from = Utc.from_utc_datetime(&t);
                    (from, from + Duration::days(1))
                })
                .ok_or_else(|| AppError::bad_request("invalid_day", "day is a UTC date, YYYY-MM-DD"))
        })
        .transpose()?;
    let limit = match param("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| AppError::bad_request("invalid_limit", format!("limit is 1 to {MAX_LIMIT}")))?,
    };
    let jobs = crate::db::jobs::list(env, status, day, limit).await?;
    let me = super::read_mark::dispatcher(&claims);
    let ids: Vec<&str> = jobs.iter().map(|j| j.job_id.as_str()).collect();
    let inbound = crate::db::reads::inbound_summary(env, &ids, me).await?;
    let jobs: Vec<_> = jobs
        .iter()
        .map(|j| {
            let mut v = super::dispatch_json(j);
            let (last, unread) = inbound.get(&j.job_id).map_or((None, 0), |(at, n)| (Some(*at), *n));
            v["last_inbound_at"] = last.map(qdn_shared::time::rfc3339).into();
            if me.is_some() {
                v["unread"] = unread.into();
            }
            v
        })
        .collect();
    Ok(crate::http::json(200, &serde_json::json!({ "jobs": jobs })))
}
