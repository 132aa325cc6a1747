//! What a relayed text says of the writer's open job: name, job id, status, ETA. Read at each
//! send, so a later tier sees the job as it is then.

use qdn_shared::view;
use worker::Env;

use crate::db::jobs::Job;

/// The job and the minutes to arrival (when the location view has an ETA).
pub async fn of_job(env: &Env, job_id: &str) -> worker::Result<Option<(Job, Option<u32>)>> {
    let Some(job) = crate::db::jobs::get(env, job_id).await? else {
        return Ok(None);
    };
    let fixes = crate::db::fixes::recent(env, job_id).await?;
    let past = crate::cache::past_trips_for(env, &job, &fixes).await?;
    let eta = view::location_view(&job.facts(), fixes, &past, None).eta.map(|e| {
        let s = (e.arrive_at - crate::clock::now()).num_seconds().max(0);
        // Rounded up: "ETA 0 min" would read as "here", which the dispatcher cannot check.
        ((s + 59) / 60).max(1) as u32
    });
    Ok(Some((job, eta)))
}
