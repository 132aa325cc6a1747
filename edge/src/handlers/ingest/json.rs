//! `POST /api/jobs/{job_id}/location` (ingest): one fix or `{"fixes": [...]}`.

use qdn_shared::fix::{self, Body, Checked, FixError};
use qdn_shared::token::Scope;
use worker::{Context, Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env, ctx: &Context, job_id: &str) -> AppResult {
    let claims = crate::auth::require(req, env, &[Scope::Ingest])?;
    if !qdn_shared::job::valid_id(job_id) || claims.job_id.as_deref().is_some_and(|j| j != job_id) {
        return Err(AppError::job_not_found());
    }
    let job = crate::cache::job(env, job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    if let Some(t) = &claims.trailer_id {
        if claims.job_id.is_none() && !job.trailer_ids.contains(t) {
            return Err(AppError::job_not_found());
        }
    }
    super::require_open(&job)?;
    let body = crate::http::json_body::<serde_json::Value>(req).await?;
    let now = crate::clock::now();
    // A trailer-bound token stamps its trailer; a job-bound one may name any of the job's trailers.
    let bind = |c: Checked| -> Result<Checked, FixError> {
        let fix = match (&claims.trailer_id, &c.fix.trailer_id) {
            (Some(t), Some(named)) if t != named => return Err(FixError::TrailerId),
            (Some(t), _) => fix::Fix {
                trailer_id: Some(t.clone()),
                ..c.fix
            },
            (None, Some(named)) if !job.trailer_ids.contains(named) => return Err(FixError::TrailerId),
            (None, _) => c.fix,
        };
        Ok(Checked { fix, ..c })
    };
    let checked = match fix::body(&body)? {
        Body::One(v) => vec![(0, Ok(fix::from_json(v, now).and_then(bind)?))],
        Body::Batch(list) => list
            .iter()
            .map(|v| fix::from_json(v, now).and_then(bind))
            .enumerate()
            .collect(),
    };
    let summary = super::store(env, ctx, &job, checked).await?;
    Ok(crate::http::json(202, &summary))
}
