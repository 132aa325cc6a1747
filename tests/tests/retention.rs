//! The cron's retention deletes fixes older than 7 days.

use qdn_tests::*;
use serde_json::json;

#[test]
fn fixes_older_than_seven_days_are_deleted_by_the_cron() {
    let (job, track) = create_job(&[], "at_site");
    let seven_days = 7 * 24 * 3600;
    let r = post_fix(
        &job,
        &ingest(&job),
        json!({"lat": 53.4, "lon": -2.96, "recorded_at": at(-seven_days + 3)}),
    );
    assert_eq!(r.json()["accepted"], 1, "{}", r.body);
    let keep = post_fix(
        &job,
        &ingest(&job),
        json!({"lat": 53.41, "lon": -2.96, "recorded_at": at(-seven_days + 3600)}),
    );
    assert_eq!(keep.json()["accepted"], 1);
    assert_eq!(location(&track).json()["trail"].as_array().unwrap().len(), 2);
    std::thread::sleep(std::time::Duration::from_secs(5));
    // The cron's work, run on demand (local wrangler dev cannot deliver a scheduled event).
    let run = req("POST", "/api/maintenance/run").bearer(&dispatch()).send();
    assert_eq!(run.status, 200, "{}", run.body);
    assert!(run.json()["fixes_deleted"].as_u64() >= Some(1));
    req("POST", "/api/maintenance/run")
        .bearer(&qdn_tests::track(&job))
        .send()
        .expect_error(403, "forbidden_scope");
    std::thread::sleep(std::time::Duration::from_millis(1200)); // past the view's 1 s cache
    let v = location(&track).json();
    let trail = v["trail"].as_array().unwrap();
    assert_eq!(trail.len(), 1, "{v}");
    assert_eq!(trail[0]["lat"], 53.41);
}

#[test]
fn a_finished_jobs_customer_is_erased_after_customer_data_days() {
    // The test stack sets CUSTOMER_DATA_DAYS=0: a job finished before the run is past it.
    let (done, _) = create_job(&[], "at_site");
    patch_job(&done, json!({"status": "completed"}));
    let (open, _) = create_job(&[], "at_site");
    std::thread::sleep(std::time::Duration::from_millis(50));
    let run = req("POST", "/api/maintenance/run").bearer(&dispatch()).send();
    assert_eq!(run.status, 200, "{}", run.body);
    assert!(run.json()["customers_erased"].as_u64() >= Some(1), "{}", run.body);
    let job = |id: &str| req("GET", &format!("/api/jobs/{id}")).bearer(&dispatch()).send().json();
    let erased = job(&done);
    assert_eq!(
        (erased["customer_name"].as_str(), erased["customer_phone"].as_str()),
        (Some(""), Some(""))
    );
    assert_eq!(erased["status"], "completed", "the job itself is kept");
    assert_eq!(
        job(&open)["customer_phone"],
        "+15550109999",
        "an open job keeps its customer"
    );
}
