//! What concurrency and odd rosters do: a message never reaches nobody, a 409 changes nothing,
//! racing writers never leave a state no sequence of dispatchers could have made, and a trailer
//! feeds the job it is serving.
//!
//! This binary stores its own roster (every tier ineligible) for one test and puts the shared
//! test roster back; the other tests here do not use the relay.

use qdn_tests::*;
use serde_json::json;

const ASLEEP: &str = "+15550100121";
const AWAY: &str = "+15550100122";

fn put_roster(v: serde_json::Value) {
    let r = req("PUT", "/api/relay/roster").bearer(&dispatch()).json(&v);
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn with_nobody_eligible_a_text_and_a_call_go_to_the_last_tier_and_the_alert_says_why() {
    let later = (chrono::Utc::now() + chrono::Duration::hours(2))
        .format("%H:00")
        .to_string();
    let end = (chrono::Utc::now() + chrono::Duration::hours(3))
        .format("%H:00")
        .to_string();
    put_roster(json!({
        "tiers": [
            {"dispatcher_id": "away", "phone": AWAY, "available": false},
            {"dispatcher_id": "asleep", "phone": ASLEEP, "on_call": {"tz": "Etc/UTC", "from": later, "to": end}},
        ],
        "ack_timeout_s": 5, "backoff_s": [1],
    }));
    let customer = customer_phone();
    let r = inbound_sms(&message_sid(), &customer, "Is anyone there?");
    assert_eq!(r.status, 200, "{}", r.body);
    let text = wait_for("the text at the last tier", 10, || {
        sent_to(ASLEEP, &customer).into_iter().next()
    });
    assert!(text["body"].as_str().unwrap().contains("Is anyone there?"));
    assert!(
        sent_to(AWAY, &customer).is_empty(),
        "an unavailable tier is still skipped"
    );
    let alert = wait_for("the none-eligible alert", 10, || {
        standin_alerts().into_iter().find(|a| a["kind"] == "none_eligible")
    });
    let why = alert["text"].as_str().unwrap();
    assert!(
        why.contains("away: unavailable") && why.contains("asleep: off call"),
        "{why}"
    );

    let call_sid = qdn_tests::twilio::sid("CA");
    let call = twilio_post(
        "/voice/inbound",
        &[
            ("CallSid", call_sid.as_str()),
            ("From", customer.as_str()),
            ("To", "+15550100000"),
        ],
    );
    assert_eq!(call.status, 200, "{}", call.body);
    assert!(
        call.body.contains(&format!(">{ASLEEP}</Number>")),
        "the call rings the last tier: {}",
        call.body
    );

    // Back to the shared test roster, for the suites that run after this one.
    let h = handlers();
    put_roster(json!({
        "tiers": [
            {"dispatcher_id": "primary", "name": "Pat", "phone": h[0]},
            {"dispatcher_id": "vacation", "name": "Val", "phone": UNAVAILABLE_PHONE, "available": false},
            {"dispatcher_id": "secondary", "name": "Sam", "phone": h[1]},
            {"dispatcher_id": "backup", "name": "Bo", "phone": h[2]},
        ],
        "ack_timeout_s": 5, "backoff_s": [1, 1, 1], "heartbeat_stale_s": 600,
    }));
}

#[test]
fn a_create_that_answers_409_changes_nothing() {
    let job = uid("J");
    let create = |trailer: &str| {
        req("POST", "/api/jobs").bearer(&dispatch()).json(&json!({
            "job_id": job, "customer_name": "A", "customer_phone": "+15550109999",
            "destination": {"lat": 53.4, "lon": -2.9}, "trailer_ids": [trailer],
        }))
    };
    let (first, second) = (uid("TR"), uid("TR"));
    assert_eq!(create(&first).status, 201);
    create(&second).expect_error(409, "job_exists");
    let v = req("GET", &format!("/api/jobs/{job}"))
        .bearer(&dispatch())
        .send()
        .json();
    assert_eq!(
        v["trailer_ids"],
        json!([first]),
        "the refused create linked its trailer"
    );
}

#[test]
fn racing_patches_never_reopen_a_finished_job() {
    for _ in 0..6 {
        let (job, _) = create_job(&[], "at_site");
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| patch_job(&job, json!({"status": "completed"})).status);
            let b = s.spawn(|| patch_job(&job, json!({"status": "en_route_next"})).status);
            (a.join().unwrap(), b.join().unwrap())
        });
        assert!(a < 500 && b < 500, "{a} {b}");
        let status = req("GET", &format!("/api/jobs/{job}"))
            .bearer(&dispatch())
            .send()
            .json()["status"]
            .clone();
        // at_site → en_route_next → completed is a dispatcher's sequence; the reverse is not.
        assert!(
            !(a == 200 && status == "en_route_next"),
            "a completed job was reopened (completed {a}, en_route_next {b})"
        );
        assert!(a == 200 || b == 200, "neither applied: {a} {b}");
    }
}

#[test]
fn two_registrations_of_one_device_get_a_clear_409() {
    for _ in 0..6 {
        let device = uid("dev");
        let (a, b) = std::thread::scope(|s| {
            let put = |trailer: String| {
                let device = device.clone();
                s.spawn(move || {
                    req("PUT", &format!("/api/trailers/{trailer}"))
                        .bearer(&dispatch())
                        .json(&json!({"device_id": device}))
                })
            };
            let (a, b) = (put(uid("TR")), put(uid("TR")));
            (a.join().unwrap(), b.join().unwrap())
        });
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{} / {}", a.body, b.body);
        let loser = if a.status == 409 { a } else { b };
        loser.expect_error(409, "device_in_use");
    }
}

#[test]
fn a_trailer_feeds_the_job_it_is_serving_not_the_next_one_scheduled() {
    let device = uid("dev");
    let trailer = register_device(&device);
    let (serving, serving_track) = create_job(&[&trailer], "at_site");
    let (next, next_track) = create_job(&[&trailer], "scheduled");
    assert_ne!(serving, next);
    let r = req(
        "GET",
        &format!(
            "/ingest/osmand?id={device}&lat=53.41&lon=-2.96&timestamp={}",
            chrono::Utc::now().timestamp()
        ),
    )
    .send();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        location(&serving_track).json()["position"].is_object(),
        "the job under way got the fix"
    );
    assert!(
        location(&next_track).json()["position"].is_null(),
        "the scheduled job got a fix"
    );
}
