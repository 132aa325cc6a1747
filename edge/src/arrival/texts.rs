//! The automatic texts of the arrival automation, worded for the customer.

use qdn_shared::arrival::{EtaReading, Notice};
use worker::Env;

use crate::db::jobs::Job;

/// The text of `notice`, with the minutes to go where the ETA says.
pub fn body(notice: Notice, eta: Option<EtaReading>) -> String {
    let minutes = eta.map(|r| ((r.seconds / 60.0).ceil() as i64).max(1));
    match (notice, minutes) {
        (Notice::ArrivingSoon, Some(m)) => {
            format!("Quick Dump Now: your trailer is about {m} min away.")
        }
        (Notice::ArrivingSoon, None) => "Quick Dump Now: your trailer will be with you shortly.".into(),
        (Notice::Arrived, _) => "Quick Dump Now: your trailer has arrived.".into(),
        (Notice::RunningLate, Some(m)) => {
            format!("Quick Dump Now: sorry, your trailer is running late. It is now expected in about {m} min.")
        }
        (Notice::RunningLate, None) => "Quick Dump Now: sorry, your trailer is running late.".into(),
    }
}

/// Sends `notice` to the job's customer (never to one who opted out: the helper checks again).
/// A failed send is logged, not retried: each text goes at most once.
pub async fn send(env: &Env, job: &Job, notice: Notice, eta: Option<EtaReading>) {
    if job.customer_phone.is_empty() || !job.details.notify {
        return;
    }
    let text = body(notice, eta);
    match crate::notify::text_customer_automatic(env, Some(&job.job_id), &job.customer_phone, &text).await {
        Ok(_) => worker::console_log!("arrival: job {}: {} text handed to Twilio", job.job_id, notice.as_str()),
        Err(e) => worker::console_error!(
            "arrival: job {}: the {} text failed: {e:?}",
            job.job_id,
            notice.as_str()
        ),
    }
}
