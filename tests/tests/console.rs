//! What the dispatcher console reads and does besides signing in: the board's job list, the
//! fleet with each trailer's last fix and job, ACK from the console, the relay's daily figures,
//! and the page itself.

use chrono::Utc;
use qdn_tests::*;
use serde_json::{json, Value};

fn get(path: &str) -> Resp {
    req("GET", path).bearer(&dispatch()).send()
}

fn listed(path: &str) -> Vec<Value> {
    let r = get(path);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.json()["jobs"].as_array().cloned().unwrap()
}

fn has(jobs: &[Value], id: &str) -> bool {
    jobs.iter().any(|j| j["job_id"] == id)
}

#[test]
fn the_board_lists_jobs_by_status_and_day() {
    let (scheduled, _) = create_job(&[], "scheduled");
    let (moving, _) = create_job(&[], "en_route");
    let (done, _) = create_job(&[], "en_route");
    assert_eq!(patch_job(&done, json!({"status": "at_site"})).status, 200);
    assert_eq!(patch_job(&done, json!({"status": "completed"})).status, 200);

    let only_scheduled = listed("/api/jobs?status=scheduled&limit=500");
    assert!(has(&only_scheduled, &scheduled));
    assert!(!has(&only_scheduled, &moving));
    assert!(only_scheduled.iter().all(|j| j["status"] == "scheduled"));
    // The dispatcher's view of each job, as GET /api/jobs/{id} gives it.
    let j = only_scheduled
        .iter()
        .find(|j| j["job_id"] == scheduled.as_str())
        .unwrap();
    assert_eq!(j["customer_name"], "Test Customer");
    assert_eq!(j["destination"]["address"], "1 Test Street");

    let today = Utc::now().format("%Y-%m-%d").to_string();
    let board = listed(&format!("/api/jobs?day={today}&limit=500"));
    for id in [&scheduled, &moving, &done] {
        assert!(has(&board, id), "{id} is active today");
    }
    // Yesterday none of them existed; a finished job is not on tomorrow's board, an open one is.
    let yesterday = (Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let before = listed(&format!("/api/jobs?day={yesterday}&limit=500"));
    assert!(!has(&before, &scheduled) && !has(&before, &done));
    let tomorrow = (Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let after = listed(&format!("/api/jobs?day={tomorrow}&limit=500"));
    assert!(has(&after, &moving), "still open tomorrow");
    assert!(!has(&after, &done), "finished today");

    // Newest first, and the limit holds.
    let two = listed("/api/jobs?limit=2");
    assert_eq!(two.len(), 2);
    assert!(two[0]["created_at"].as_str() >= two[1]["created_at"].as_str());

    get("/api/jobs?status=lost").expect_error(400, "invalid_status");
    get("/api/jobs?day=2026-13-01").expect_error(400, "invalid_day");
    get("/api/jobs?limit=0").expect_error(400, "invalid_limit");
    req("GET", "/api/jobs").send().expect_error(401, "token_missing");
    req("GET", "/api/jobs")
        .bearer(&track(&scheduled))
        .send()
        .expect_error(403, "forbidden_scope");
}

#[test]
fn the_fleet_shows_each_trailer_with_its_last_fix_and_job() {
    let on_job = uid("TRF");
    let (job, _) = create_job(&[&on_job], "en_route");
    let token = ingest(&job);
    for (i, age) in [(0, -90), (1, -30)] {
        let (lat, lon) = approach(i);
        let r = post_fix(
            &job,
            &token,
            json!({"lat": lat, "lon": lon, "recorded_at": at(age), "speed_mps": 7.5, "trailer_id": on_job}),
        );
        assert_eq!(r.status, 202, "{}", r.body);
    }
    let idle = register_device(&uid("dev-fleet-"));

    let r = get("/api/trailers");
    assert_eq!(r.status, 200, "{}", r.body);
    let trailers = r.json()["trailers"].as_array().cloned().unwrap();
    let t = trailers
        .iter()
        .find(|t| t["trailer_id"] == on_job.as_str())
        .expect("the job's trailer");
    assert_eq!(t["job_id"], job.as_str());
    assert_eq!(t["job_status"], "en_route");
    let (lat, lon) = approach(1);
    assert_eq!(t["last_fix"]["lat"], lat, "the newest fix, not the first: {t}");
    assert_eq!(t["last_fix"]["lon"], lon);
    assert_eq!(t["last_fix"]["speed_mps"], 7.5);
    assert_eq!(t["last_fix"]["job_id"], job.as_str());
    let idle = trailers
        .iter()
        .find(|t| t["trailer_id"] == idle.as_str())
        .expect("the registered trailer");
    assert!(idle["device_id"].as_str().is_some_and(|d| d.starts_with("dev-fleet-")));
    assert!(idle["last_fix"].is_null() && idle["job_id"].is_null(), "{idle}");

    req("GET", "/api/trailers").send().expect_error(401, "token_missing");
}

fn today_figures() -> Value {
    let r = get("/api/metrics/relay?days=2");
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let days = v["days"].as_array().unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[1]["day"], Utc::now().format("%Y-%m-%d").to_string());
    days[1].clone()
}

#[test]
fn an_ack_from_the_console_ends_the_cascade_and_counts_in_the_day_s_figures() {
    use_test_roster();
    let before = today_figures();
    let customer = customer_phone();
    let sid = message_sid();
    assert_eq!(inbound_sms(&sid, &customer, "Console ACK please").status, 200);
    let first = wait_for("the relayed text", 10, || {
        sent_to(&handlers()[0], &customer).into_iter().next()
    });
    let reference = reference_in(first["body"].as_str().unwrap());

    let r = req(
        "POST",
        &format!("/api/relay/messages/{}/ack", reference.trim_start_matches('#')),
    )
    .bearer(&dispatch())
    .send();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["ref"], reference.as_str());
    let m = wait_for("the message acknowledged", 10, || {
        relay_message(&sid).filter(|m| m["state"] == "acked")
    });
    assert_eq!(m["acked_by"], "console");
    // No further tier is texted after the ACK.
    std::thread::sleep(std::time::Duration::from_secs(7));
    assert!(
        sent_to(&handlers()[1], &customer).is_empty(),
        "the cascade went on after the ACK"
    );

    let after = today_figures();
    let n = |v: &Value, k: &str| v[k].as_u64().unwrap();
    assert_eq!(n(&after, "relayed"), n(&before, "relayed") + 1);
    assert!(n(&after, "acknowledged") > n(&before, "acknowledged"));
    let p50 = after["ack_p50_s"].as_f64().expect("a time to ACK");
    assert!((0.0..120.0).contains(&p50), "{p50}");
    let shares = after["availability"].as_array().unwrap();
    let share = |id: &str| {
        shares.iter().find(|s| s["dispatcher_id"] == id).unwrap()["share"]
            .as_f64()
            .unwrap()
    };
    assert!(share("primary") > 0.0, "always on call: {shares:?}");
    assert_eq!(share("vacation"), 0.0, "unavailable all day");

    req("POST", "/api/relay/messages/ZZZZZZZ/ack")
        .bearer(&dispatch())
        .send()
        .expect_error(404, "message_not_found");
    req(
        "POST",
        &format!("/api/relay/messages/{}/ack", reference.trim_start_matches('#')),
    )
    .send()
    .expect_error(401, "token_missing");
}

#[test]
fn relay_figures_refuse_a_bad_window() {
    for bad in ["0", "91", "x"] {
        get(&format!("/api/metrics/relay?days={bad}")).expect_error(400, "invalid_days");
    }
    let r = get("/api/metrics/relay");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["days"].as_array().unwrap().len(), 7, "a week by default");
}

#[test]
fn the_console_page_is_served_under_a_strict_policy() {
    let r = req("GET", "/dispatch").send();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.body.contains("/dispatch/boot.js"));
    let csp = r.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"));
    for asset in [
        "/dispatch/boot.js",
        "/dispatch/console.css",
        "/dispatch/pkg/qdn_dispatch_ui.js",
    ] {
        assert_eq!(req("GET", asset).send().status, 200, "{asset}");
    }
}

#[test]
fn a_text_to_an_erased_customer_is_refused_not_failed() {
    // The console's reply falls back to /notify/sms; a finished job's customer is erased at the
    // test stack's every maintenance run (CUSTOMER_DATA_DAYS=0).
    let (job, _) = create_job(&[], "en_route");
    assert_eq!(patch_job(&job, json!({"status": "cancelled"})).status, 200);
    let r = req("POST", "/api/maintenance/run").bearer(&dispatch()).send();
    assert_eq!(r.status, 200, "{}", r.body);
    req("POST", "/notify/sms")
        .bearer(&dispatch())
        .json(&json!({"job_id": job, "body": "Are you still there?"}))
        .expect_error(409, "customer_erased");
}
