//! The arrival automation end to end: fixes posted as a tracker would (a backlog, in one batch,
//! repeated, in parallel) move the job by the geofence, recorded in its history, and the
//! customer gets "arriving soon", "arrived" and "running late" at most once each — never with
//! `notify: false`, never after STOP, never over a dispatcher's own change.

use chrono::{Duration, Utc};
use qdn_tests::*;
use serde_json::{json, Value};

const M_PER_DEG: f64 = 111_195.0;

/// A job heading for `DEST` with one trailer; returns (job id, trailer id).
fn job(customer: &str, extra: Value) -> (String, String) {
    let trailer = uid("TRarr");
    let mut body = json!({
        "customer_name": "Arrival Test", "customer_phone": customer,
        "destination": {"lat": DEST.0, "lon": DEST.1, "address": "1 Test Street"},
        "trailer_ids": [trailer], "status": "en_route",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = req("POST", "/api/jobs").bearer(&dispatch()).json(&body);
    assert_eq!(r.status, 201, "{}", r.body);
    (r.json()["job_id"].as_str().unwrap().to_string(), trailer)
}

/// A fix `north` metres north of the destination, `ago` seconds ago.
fn fix(ago: i64, north: f64) -> Value {
    fix_near(DEST, ago, north)
}

/// A fix `north` metres north of `dest`, `ago` seconds ago.
fn fix_near(dest: (f64, f64), ago: i64, north: f64) -> Value {
    json!({
        "lat": dest.0 + north / M_PER_DEG, "lon": dest.1,
        "recorded_at": (Utc::now() - Duration::seconds(ago)).to_rfc3339(),
    })
}

fn post(job: &str, trailer: &str, fixes: &[Value]) {
    let r = post_fix(job, &ingest_trailer(trailer), json!({ "fixes": fixes }));
    assert_eq!(r.status, 202, "{}", r.body);
}

/// A trailer's last quarter hour: in from 3 km south, parked 20 m from the site for three
/// minutes, then gone 1 km north for four.
fn arrive_and_leave() -> Vec<Value> {
    arrive_and_leave_ago(0)
}

/// The same, `older` seconds further back.
fn arrive_and_leave_ago(older: i64) -> Vec<Value> {
    let mut f: Vec<Value> = (0..10)
        .map(|i| fix(older + 900 - 30 * i, -3000.0 + 300.0 * i as f64))
        .collect();
    f.extend((0..7).map(|i| fix(older + 600 - 30 * i, -20.0)));
    f.extend((0..8).map(|i| fix(older + 390 - 30 * i, 1000.0)));
    f
}

fn dispatch_view(job: &str) -> Value {
    let r = req("GET", &format!("/api/jobs/{job}")).bearer(&dispatch()).send();
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn wait_status(job: &str, status: &str) -> Value {
    wait_for(&format!("job {job} {status}"), 20, || {
        let v = dispatch_view(job);
        (v["status"] == status).then_some(v)
    })
}

/// Gives the automation (run after each ingest's answer) time to do anything more it would.
fn settle() {
    std::thread::sleep(std::time::Duration::from_secs(3));
}

fn texts_to(phone: &str) -> Vec<String> {
    sent_to(phone, "")
        .iter()
        .map(|m| m["body"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_trailer_that_stays_a_minute_arrives_and_one_that_leaves_moves_on_recorded_as_geofence() {
    let customer = customer_phone();
    let (job, trailer) = job(&customer, json!({}));
    post(&job, &trailer, &arrive_and_leave());
    let v = wait_status(&job, "en_route_next");
    let history: Vec<(String, String)> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["status"].as_str().unwrap().into(),
                h["source"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            ("en_route".into(), "dispatch".into()),
            ("at_site".into(), "geofence".into()),
            ("en_route_next".into(), "geofence".into()),
        ]
    );
    wait_for("the arrived text", 10, || {
        sent_to(&customer, "has arrived").into_iter().next()
    });
    // The same backlog again, twice at once, and a later fix: nothing moves or goes twice.
    let again = arrive_and_leave();
    std::thread::scope(|s| {
        s.spawn(|| post(&job, &trailer, &again));
        s.spawn(|| post(&job, &trailer, &again));
    });
    post(&job, &trailer, &[fix(5, 1200.0)]);
    settle();
    assert_eq!(texts_to(&customer), vec!["Quick Dump Now: your trailer has arrived."]);
    assert_eq!(dispatch_view(&job)["history"].as_array().unwrap().len(), 3);
}

#[test]
fn a_late_backlog_uploaded_newest_first_in_small_batches_moves_the_same_and_texts_once() {
    let customer = customer_phone();
    let (job, trailer) = job(&customer, json!({}));
    // Uploaded five minutes late, newest first: its first batch shows the trailer 1 km out, but
    // that position is old news, so no "arriving soon" goes (it had arrived and left by then).
    let mut backlog = arrive_and_leave_ago(120);
    backlog.reverse();
    for batch in backlog.chunks(3) {
        post(&job, &trailer, batch);
    }
    let v = wait_status(&job, "en_route_next");
    let sources: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, vec!["dispatch", "geofence", "geofence"], "{v}");
    wait_for("the arrived text", 10, || {
        sent_to(&customer, "has arrived").into_iter().next()
    });
    settle();
    assert_eq!(texts_to(&customer), vec!["Quick Dump Now: your trailer has arrived."]);
}

#[test]
fn driving_past_the_site_is_no_arrival() {
    let customer = customer_phone();
    let (job, trailer) = job(&customer, json!({}));
    // Through the fence at 15 m/s, a fix every 10 s: 20 s inside.
    let through: Vec<Value> = (0..40).map(|i| fix(400 - 10 * i, -1500.0 + 150.0 * i as f64)).collect();
    post(&job, &trailer, &through);
    settle();
    assert_eq!(dispatch_view(&job)["status"], "en_route");
    assert!(sent_to(&customer, "arrived").is_empty());
}

#[test]
fn arriving_soon_goes_once_when_the_eta_first_drops_to_ten_minutes() {
    let customer = customer_phone();
    let (job, trailer) = job(&customer, json!({}));
    // 25 km out: far more than ten minutes.
    post(
        &job,
        &trailer,
        &(0..10)
            .map(|i| fix(1200 - 30 * i, -25_000.0 + 200.0 * i as f64))
            .collect::<Vec<_>>(),
    );
    settle();
    assert!(texts_to(&customer).is_empty(), "{:?}", texts_to(&customer));
    // Two kilometres out and closing at 10 m/s: a few minutes.
    let close: Vec<Value> = (0..10).map(|i| fix(300 - 30 * i, -4700.0 + 300.0 * i as f64)).collect();
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| post(&job, &trailer, &close));
        }
    });
    let text = wait_for("arriving soon", 15, || {
        sent_to(&customer, "min away").into_iter().next()
    });
    let body = text["body"].as_str().unwrap();
    assert!(body.starts_with("Quick Dump Now: your trailer is about "), "{body}");
    post(&job, &trailer, &[fix(5, -1500.0)]);
    post(&job, &trailer, &close);
    settle();
    assert_eq!(sent_to(&customer, "min away").len(), 1, "{:?}", texts_to(&customer));
    assert_eq!(dispatch_view(&job)["status"], "en_route");
}

#[test]
fn running_late_goes_once_when_the_eta_is_past_the_window_by_a_quarter_hour() {
    let customer = customer_phone();
    let window_end = (Utc::now() - Duration::minutes(5)).to_rfc3339();
    let (job, trailer) = job(&customer, json!({ "window_end": window_end }));
    let far: Vec<Value> = (0..10)
        .map(|i| fix(300 - 30 * i, -15_000.0 + 100.0 * i as f64))
        .collect();
    post(&job, &trailer, &far);
    let text = wait_for("running late", 15, || {
        sent_to(&customer, "running late").into_iter().next()
    });
    assert!(text["body"].as_str().unwrap().contains("expected in about"), "{text}");
    post(&job, &trailer, &far);
    post(&job, &trailer, &[fix(3, -14_000.0)]);
    settle();
    assert_eq!(texts_to(&customer).len(), 1, "{:?}", texts_to(&customer));
}

#[test]
fn a_notify_false_job_moves_but_texts_nothing() {
    let customer = customer_phone();
    let window_end = (Utc::now() - Duration::hours(2)).to_rfc3339();
    let (job, trailer) = job(&customer, json!({ "notify": false, "window_end": window_end }));
    post(&job, &trailer, &arrive_and_leave());
    wait_status(&job, "en_route_next");
    settle();
    assert!(texts_to(&customer).is_empty(), "{:?}", texts_to(&customer));
}

#[test]
fn an_opted_out_customer_gets_no_automatic_text() {
    use_test_roster();
    let customer = customer_phone();
    let stop = message_sid();
    assert_eq!(inbound_sms(&stop, &customer, "STOP").status, 200);
    let (job, trailer) = job(&customer, json!({}));
    post(&job, &trailer, &arrive_and_leave());
    wait_status(&job, "en_route_next");
    settle();
    assert!(texts_to(&customer).is_empty(), "{:?}", texts_to(&customer));
    let m = wait_for("the relayed STOP", 10, || relay_message(&stop));
    ack(&handlers()[0], m["ref"].as_str().unwrap());
}

#[test]
fn a_dispatchers_change_wins_over_the_geofence() {
    let customer = customer_phone();
    let (job, trailer) = job(&customer, json!({}));
    assert_eq!(patch_job(&job, json!({"status": "at_site"})).status, 200);
    wait_for("the dispatcher's text", 10, || {
        sent_to(&customer, "Track it").into_iter().next()
    });
    // A backlog from before the change shows the trailer arriving, then parked: the automation
    // neither moves the job again nor sends its own "arrived".
    let mut backlog: Vec<Value> = (0..10).map(|i| fix(900 - 30 * i, -3000.0 + 300.0 * i as f64)).collect();
    backlog.extend((0..10).map(|i| fix(600 - 30 * i, -20.0)));
    post(&job, &trailer, &backlog);
    settle();
    let v = dispatch_view(&job);
    assert_eq!(v["status"], "at_site");
    assert!(
        v["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["source"] == "dispatch"),
        "{v}"
    );
    assert_eq!(texts_to(&customer).len(), 1, "{:?}", texts_to(&customer));
}

/// The ETA metrics are fleet-wide: the tests that complete jobs and count them take turns.
static METRICS: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn eta_metrics_compare_the_etas_shown_with_the_arrival_of_completed_jobs() {
    let _turn = METRICS.lock().unwrap_or_else(|e| e.into_inner());
    let metrics = || {
        let r = req("GET", "/api/metrics/eta").bearer(&dispatch()).send();
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    let before = metrics();
    for k in ["jobs", "mdape", "p90_abs_error_s"] {
        assert!(before.get(k).is_some(), "{k} missing: {before}");
    }
    let customer = customer_phone();
    let (job, trailer) = job(&customer, json!({ "notify": false }));
    // Uploaded as it happens: on the way for twelve minutes (ETAs kept every five), then there.
    let mut track: Vec<Value> = (0..24)
        .map(|i| fix(1200 - 30 * i, -6000.0 + 250.0 * i as f64))
        .collect();
    track.extend((0..7).map(|i| fix(480 - 30 * i, -20.0)));
    for f in track.chunks(4) {
        post(&job, &trailer, f);
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    wait_status(&job, "at_site");
    // Not completed yet: not counted.
    settle();
    assert_eq!(metrics()["jobs"], before["jobs"]);
    assert_eq!(patch_job(&job, json!({"status": "completed"})).status, 200);
    let after = metrics();
    assert_eq!(
        after["jobs"].as_u64(),
        Some(before["jobs"].as_u64().unwrap() + 1),
        "{after}"
    );
    assert!(after["mdape"].as_f64().is_some_and(|m| m >= 0.0), "{after}");
    assert!(after["p90_abs_error_s"].as_f64().is_some_and(|s| s >= 0.0), "{after}");
    req("GET", "/api/metrics/eta")
        .bearer(&ingest(&job))
        .send()
        .expect_error(403, "forbidden_scope");
}

#[test]
fn eta_metrics_say_when_the_arriving_soon_text_came_per_day() {
    let _turn = METRICS.lock().unwrap_or_else(|e| e.into_inner());
    let metrics = || {
        let r = req("GET", "/api/metrics/eta?days=7").bearer(&dispatch()).send();
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    let before = metrics();
    let customer = customer_phone();
    let (job, trailer) = job(&customer, json!({}));
    // Four minutes out at 20 m/s (an ETA only decides a text from a fix under three minutes
    // old, so the trip is a recent one), then parked at the site for seventy seconds.
    let mut track: Vec<Value> = (0..6).map(|i| fix(240 - 30 * i, -3400.0 + 600.0 * i as f64)).collect();
    track.extend((0..8).map(|i| fix(70 - 10 * i, -20.0)));
    for f in track.chunks(4) {
        post(&job, &trailer, f);
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    wait_status(&job, "at_site");
    settle();
    assert!(
        texts_to(&customer).iter().any(|t| t.contains("min away")),
        "{:?}",
        texts_to(&customer)
    );
    assert_eq!(patch_job(&job, json!({"status": "completed"})).status, 200);
    let after = metrics();
    let sent = |v: &Value| v["arriving_soon"]["sent"].as_u64().unwrap();
    assert!(sent(&after) > sent(&before), "{before} → {after}");
    let lead = after["arriving_soon"]["lead_p50_s"].as_f64().unwrap();
    assert!((60.0..=1200.0).contains(&lead), "{after}");
    let days = after["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let today = Utc::now().format("%Y-%m-%d").to_string();
    let t = days.iter().find(|d| d["day"] == today.as_str()).unwrap();
    assert!(sent(t) >= 1 && t["jobs"].as_u64().unwrap() >= 1, "{t}");
    req("GET", "/api/metrics/eta?days=0")
        .bearer(&dispatch())
        .send()
        .expect_error(400, "invalid_days");
}

/// The page's ETA to a place no other test goes to, for a trailer 1.2 km out that covered the
/// last 1.8 km in three minutes (10 m/s), after a trip that crawled the same road (50 m every
/// 30 s) an hour ago, ending at the place (`past_end_north` 0) or that far beyond it; and the
/// same for a trailer heading for a place no trip went. Returns (ETA with no history, ETA after
/// the crawl), in seconds. Each caller passes its own `lon`, so no two tests' places are near.
fn eta_before_and_after_a_slow_trip(lon: f64, past_end_north: f64) -> (i64, i64) {
    let learned_dest = (53.0, lon);
    let new_dest = (learned_dest.0, lon + 0.1);
    let job_to = |dest: (f64, f64)| {
        let trailer = uid("TRlearn");
        let r = req("POST", "/api/jobs").bearer(&dispatch()).json(&json!({
            "customer_name": "Learning Test", "customer_phone": customer_phone(),
            "destination": {"lat": dest.0, "lon": dest.1}, "trailer_ids": [trailer],
            "status": "en_route", "notify": false,
        }));
        assert_eq!(r.status, 201, "{}", r.body);
        let v = r.json();
        (
            v["job_id"].as_str().unwrap().to_string(),
            v["track_token"].as_str().unwrap().to_string(),
            trailer,
        )
    };
    let past_dest = (learned_dest.0 + past_end_north / M_PER_DEG, learned_dest.1);
    let (first, _, trailer) = job_to(past_dest);
    let steps = ((3000.0 + past_end_north) / 50.0) as i64;
    let mut crawl: Vec<Value> = (0..=steps)
        .map(|i| fix_near(learned_dest, 3600 - 30 * i, -3000.0 + 50.0 * i as f64))
        .collect();
    crawl.extend((1..8).map(|i| fix_near(past_dest, 3600 - 30 * steps - 30 * i, -10.0)));
    post(&first, &trailer, &crawl);
    wait_status(&first, "at_site");
    let today = |dest: (f64, f64)| -> Vec<Value> {
        (0..7)
            .map(|i| fix_near(dest, 180 - 30 * i, -3000.0 + 300.0 * i as f64))
            .collect()
    };
    let eta_of = |dest: (f64, f64)| {
        let (job, track, trailer) = job_to(dest);
        post(&job, &trailer, &today(dest));
        let r = location(&track);
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["eta"]["seconds"]
            .as_i64()
            .unwrap_or_else(|| panic!("no ETA: {}", r.body))
    };
    (eta_of(new_dest), eta_of(learned_dest))
}

#[test]
fn the_pages_eta_learns_how_long_the_last_trip_to_the_same_place_took() {
    let (unknown, learned) = eta_before_and_after_a_slow_trip(-2.5, 0.0);
    // Where no trip went before, its own speed (blended with the prior: about 5 m/s) says ~4 min;
    // where the last trip took 12 minutes from here, the page says more, as the texts would.
    assert!((150..300).contains(&unknown), "ETA with no past trip {unknown} s");
    assert!(
        learned > unknown + 60,
        "ETA after a slow trip {learned} s vs {unknown} s"
    );
}

#[test]
fn a_trip_that_went_past_the_place_teaches_its_eta_too() {
    // The slow trip went on 1.5 km beyond the place to its own stop.
    let (unknown, learned) = eta_before_and_after_a_slow_trip(-2.3, 1500.0);
    assert!((150..300).contains(&unknown), "ETA with no past trip {unknown} s");
    assert!(
        learned > unknown + 60,
        "ETA after a slow trip past it {learned} s vs {unknown} s"
    );
}
