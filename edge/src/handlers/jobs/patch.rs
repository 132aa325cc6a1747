//! `PATCH /api/jobs/{job_id}` (dispatch): status, destination, trailers.

use qdn_shared::job::details::{check_destination, current_stop, stop_after};
use qdn_shared::job::{Destination, JobError, JobPatch, JobPatchBody, StatusSource};
use qdn_shared::token::Scope;
use worker::{Context, Env, Request};

use crate::error::{AppError, AppResult};

pub async fn patch(req: &mut Request, env: &Env, ctx: &Context, job_id: &str) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    if !qdn_shared::job::valid_id(job_id) {
        return Err(AppError::job_not_found());
    }
    let patch = crate::http::json_body::<JobPatchBody>(req).await?.validate()?;
    let job = crate::db::jobs::get(env, job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    let status = patch.status.unwrap_or(job.status);
    if !job.status.can_become(status) {
        return Err(JobError::Transition(job.status, status).into());
    }
    if let Some(Some(id)) = &patch.details.dispatcher_id {
        super::check_dispatcher(env, Some(id)).await?;
    }
    let mut details = patch.details.apply(&job.details);
    let (destination, stop_index) = where_to(&job, &patch, &mut details, status)?;
    let change = crate::db::jobs::Change {
        from: job.status,
        status,
        destination: &destination,
        stop_index,
        details: &details,
        trailer_ids: patch.trailer_ids.as_deref(),
        source: StatusSource::Dispatch,
    };
    if !crate::db::jobs::update(env, job_id, &change, crate::clock::now()).await? {
        return Err(AppError::client(
            409,
            "job_changed",
            "the job changed while this update was made; read it again and retry",
        ));
    }
    crate::cache::job_changed(job_id);
    let updated = crate::db::jobs::get(env, job_id)
        .await?
        .ok_or_else(AppError::job_not_found)?;
    if status != job.status {
        // The customer hears of it by SMS, after the answer (a Twilio outage never fails a PATCH).
        let (env, job) = (env.clone(), updated.clone());
        ctx.wait_until(async move {
            if let Err(e) = crate::notify::status_changed(&env, &job).await {
                worker::console_error!("status SMS for {} failed: {e:?}", job.job_id);
            }
        });
    }
    Ok(crate::http::json(200, &super::dispatch_json(&updated)))
}

/// The stop the job heads for after this patch. New stops keep the current position in the list
/// (clamped); leaving a site moves on to the next stop; a destination sent for a job with stops
/// corrects the current stop.
fn where_to(
    job: &crate::db::jobs::Job,
    patch: &JobPatch,
    details: &mut qdn_shared::job::Details,
    status: qdn_shared::job::JobStatus,
) -> Result<(Destination, usize), AppError> {
    let index = stop_after(job.status, status, &details.stops, job.stop_index);
    if patch.details.stops.is_some() {
        check_destination(&details.stops, index, patch.destination.as_ref())?;
    } else if let (Some(d), Some(stop)) = (&patch.destination, details.stops.get_mut(index)) {
        (stop.lat, stop.lon, stop.address) = (d.lat, d.lon, d.address.clone());
    }
    let destination = match current_stop(&details.stops, index) {
        Some(stop) => stop.destination(),
        None => patch.destination.clone().unwrap_or_else(|| job.destination.clone()),
    };
    Ok((destination, index))
}
