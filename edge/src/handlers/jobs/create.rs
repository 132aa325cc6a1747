//! `POST /api/jobs` (dispatch).

use qdn_shared::job::NewJobBody;
use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    let new = crate::http::json_body::<NewJobBody>(req).await?.validate()?;
    super::check_dispatcher(env, new.details.dispatcher_id.as_deref()).await?;
    let job_id = new.job_id.clone().unwrap_or_else(|| crate::ids::new_id("job_", 12));
    let now = crate::clock::now();
    if !crate::db::jobs::insert(env, &job_id, &new, now).await? {
        return Err(AppError::client(
            409,
            "job_exists",
            format!("a job with id {job_id} already exists"),
        ));
    }
    let job = crate::db::jobs::get(env, &job_id)
        .await?
        .ok_or_else(|| AppError::Internal("job vanished after insert".into()))?;
    let cfg = crate::config::get(env);
    let token = crate::links::track_token(&cfg, &job_id)?;
    let mut out = super::dispatch_json(&job);
    out["tracking_url"] = crate::links::tracking_url(&cfg, &token).into();
    out["track_token"] = token.into();
    Ok(crate::http::json(201, &out))
}
