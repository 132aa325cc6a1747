//! `POST /api/jobs/{id}/location`: single fixes, batches, validation, duplicates, late fixes.

use qdn_tests::*;
use serde_json::{json, Value};

fn fix(step: usize, offset_s: i64) -> Value {
    let (lat, lon) = approach(step);
    json!({"lat": lat, "lon": lon, "recorded_at": at(offset_s), "speed_mps": 8.0, "heading_deg": 0})
}

#[test]
fn a_fix_becomes_the_position_and_a_resend_is_a_duplicate() {
    let (job, track) = create_job(&[], "en_route");
    let f = fix(3, -5);
    let r = post_fix(&job, &ingest(&job), f.clone());
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.json(), json!({"accepted": 1, "duplicates": 0, "rejected": []}));
    let again = post_fix(&job, &ingest(&job), f.clone()).json();
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    let v = location(&track).json();
    assert_eq!(v["position"]["lat"], f["lat"]);
    assert_eq!(v["position"]["speed_mps"], 8.0);
    assert_eq!(
        v["trail"].as_array().unwrap().len(),
        1,
        "the duplicate was stored twice"
    );
}

#[test]
fn a_late_older_fix_never_becomes_the_position() {
    let (job, track) = create_job(&[], "en_route");
    let newest = fix(5, -10);
    assert_eq!(post_fix(&job, &ingest(&job), newest.clone()).status, 202);
    assert_eq!(post_fix(&job, &ingest(&job), fix(1, -120)).status, 202);
    let v = location(&track).json();
    assert_eq!(v["position"]["lat"], newest["lat"]);
    let trail = v["trail"].as_array().unwrap();
    assert_eq!(trail.len(), 2);
    assert!(
        trail[0]["recorded_at"].as_str() < trail[1]["recorded_at"].as_str(),
        "trail is oldest first"
    );
}

#[test]
fn a_batch_is_accepted_fix_by_fix() {
    let (job, track) = create_job(&[], "en_route");
    let mut fixes: Vec<Value> = (0..10).map(|i| fix(i, -300 + i as i64 * 20)).collect();
    fixes[3] = json!({"lat": 95, "lon": 0, "recorded_at": at(-100)});
    fixes[6] = json!({"lat": 53.4, "lon": -2.96, "recorded_at": at(25 * 3600)});
    fixes[8] = json!("not a fix");
    fixes.push(fixes[0].clone()); // a duplicate inside the batch
    let r = post_fix(&job, &ingest(&job), json!({"fixes": fixes}));
    assert_eq!(r.status, 202, "{}", r.body);
    let v = r.json();
    assert_eq!(v["accepted"], 7);
    assert_eq!(v["duplicates"], 1);
    let rejected: Vec<(u64, String)> = v["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["index"].as_u64().unwrap(), x["error"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        rejected,
        vec![
            (3, "invalid_lat".into()),
            (6, "recorded_at_in_future".into()),
            (8, "invalid_fix".into())
        ]
    );
    assert_eq!(location(&track).json()["trail"].as_array().unwrap().len(), 7);
}

#[test]
fn batches_are_bounded() {
    let (job, _) = create_job(&[], "en_route");
    let fixes: Vec<Value> = (0..501)
        .map(|i| json!({"lat": 53.4, "lon": -2.9, "recorded_at": at(-600 + i)}))
        .collect();
    post_fix(&job, &ingest(&job), json!({"fixes": fixes})).expect_error(400, "batch_too_large");
    post_fix(&job, &ingest(&job), json!({"fixes": []})).expect_error(400, "empty_batch");
    let fixes: Vec<Value> = (0..500)
        .map(|i| json!({"lat": 53.4, "lon": -2.9, "recorded_at": at(-600 + i)}))
        .collect();
    let r = post_fix(&job, &ingest(&job), json!({"fixes": fixes}));
    assert_eq!(r.json()["accepted"], 500, "{}", r.body);
}

#[test]
fn single_bad_fixes_get_their_own_codes() {
    let (job, _) = create_job(&[], "en_route");
    let t = ingest(&job);
    let cases = [
        (json!({"lat": 91, "lon": 0, "recorded_at": at(0)}), "invalid_lat"),
        (json!({"lat": 0, "lon": 181, "recorded_at": at(0)}), "invalid_lon"),
        (
            json!({"lat": 0, "lon": 0, "recorded_at": "yesterday"}),
            "invalid_recorded_at",
        ),
        (json!({"lat": 0, "lon": 0}), "invalid_recorded_at"),
        (
            json!({"lat": 0, "lon": 0, "recorded_at": at(25 * 3600)}),
            "recorded_at_in_future",
        ),
        (
            json!({"lat": 0, "lon": 0, "recorded_at": at(-8 * 86400)}),
            "recorded_at_too_old",
        ),
        (
            json!({"lat": 0, "lon": 0, "recorded_at": at(0), "speed_mps": -3}),
            "invalid_speed",
        ),
        (json!({"lat": "53", "lon": 0, "recorded_at": at(0)}), "invalid_lat"),
        (
            json!({"lat": 0, "lon": 0, "recorded_at": at(0), "trailer_id": "not-on-job"}),
            "invalid_trailer_id",
        ),
        (json!(null), "invalid_body"),
        (json!([1, 2]), "invalid_body"),
    ];
    for (body, code) in cases {
        post_fix(&job, &t, body).expect_error(400, code);
    }
}

#[test]
fn a_finished_job_takes_no_fixes() {
    let (job, _) = create_job(&[], "at_site");
    assert_eq!(patch_job(&job, json!({"status": "completed"})).status, 200);
    post_fix(&job, &ingest(&job), fix(1, 0)).expect_error(409, "job_closed");
}

#[test]
fn a_trailer_token_stamps_its_trailer_and_only_its_jobs() {
    let trailer = uid("TRt");
    let (job, _) = create_job(&[&trailer], "en_route");
    let t = ingest_trailer(&trailer);
    let r = post_fix(&job, &t, fix(2, -5));
    assert_eq!(r.status, 202, "{}", r.body);
    let mut other = fix(2, -4);
    other["trailer_id"] = json!("someone-else");
    post_fix(&job, &t, other).expect_error(400, "invalid_trailer_id");
    let (job2, _) = create_job(&[], "en_route");
    post_fix(&job2, &t, fix(2, -3)).expect_error(404, "job_not_found");
}

#[test]
fn a_fast_clock_is_stored_at_the_receive_time_with_its_skew() {
    let (job, track) = create_job(&[], "en_route");
    let t = ingest(&job);
    // Six minutes fast: stored, at the time it arrived, and the skew reported.
    let before = chrono::Utc::now();
    let r = post_fix(&job, &t, json!({"lat": 53.4101, "lon": -2.96, "recorded_at": at(360)}));
    assert_eq!(r.status, 202, "{}", r.body);
    let v = r.json();
    assert_eq!(v["accepted"], 1);
    let skew = v["clock_skew_s"].as_i64().unwrap();
    assert!((355..=365).contains(&skew), "{v}");
    let p = location(&track).json()["position"].clone();
    let at_ = chrono::DateTime::parse_from_rfc3339(p["recorded_at"].as_str().unwrap()).unwrap();
    assert!(
        at_ >= before - chrono::Duration::seconds(1) && at_ <= chrono::Utc::now(),
        "{p}"
    );
    // In a batch the largest skew is reported; an in-time fix has none.
    let r = post_fix(
        &job,
        &t,
        json!({"fixes": [
            {"lat": 53.4102, "lon": -2.96, "recorded_at": at(3600)},
            {"lat": 53.4103, "lon": -2.96, "recorded_at": at(-30)},
        ]}),
    );
    let v = r.json();
    assert_eq!(v["accepted"], 2, "{v}");
    assert!((3595..=3605).contains(&v["clock_skew_s"].as_i64().unwrap()), "{v}");
    let v = post_fix(&job, &t, fix(4, -20)).json();
    assert!(v.get("clock_skew_s").is_none(), "{v}");
}
