//! Jobs: create, read by scope, patch with transitions, trailers and devices.

use qdn_tests::*;
use serde_json::json;

#[test]
fn create_returns_a_working_tracking_link() {
    let r = req("POST", "/api/jobs").bearer(&dispatch()).json(&json!({
        "customer_name": "Ann Example", "customer_phone": "+15550101234",
        "destination": {"lat": 53.43, "lon": -2.96, "address": "1 Dock Road"}, "trailer_ids": ["TRa", "TRb"]
    }));
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["status"], "scheduled");
    assert_eq!(v["trailer_count"], 2);
    let url = v["tracking_url"].as_str().unwrap();
    let token = v["track_token"].as_str().unwrap();
    assert_eq!(url, format!("{}/track?job_id={token}", base()));
    let page = req("GET", &url[base().len()..]).send();
    assert_eq!(page.status, 200);
    assert!(page.body.contains("qdn_track_ui"));
    let loc = location(token).json();
    assert_eq!(loc["job_id"], v["job_id"]);
    assert_eq!(loc["status"], "scheduled");
    assert!(loc["position"].is_null() && loc["eta"].is_null());
}

#[test]
fn a_track_token_sees_no_dispatcher_data() {
    let (job, track) = create_job(&["TRx"], "en_route");
    let customer = req("GET", &format!("/api/jobs/{track}")).send();
    assert_eq!(customer.status, 200, "{}", customer.body);
    let c = customer.json();
    assert_eq!(c["job_id"], job.as_str());
    assert!(c.get("customer_phone").is_none() && c.get("customer_name").is_none() && c.get("trailer_ids").is_none());
    let d = req("GET", &format!("/api/jobs/{job}"))
        .bearer(&dispatch())
        .send()
        .json();
    assert_eq!(d["customer_phone"], "+15550109999");
    assert_eq!(d["trailer_ids"], json!(["TRx"]));
}

#[test]
fn status_follows_the_allowed_transitions() {
    let (job, track) = create_job(&[], "scheduled");
    let patch = |status: &str| patch_job(&job, json!({"status": status}));
    patch("completed").expect_error(409, "invalid_transition");
    for s in ["en_route", "at_site", "en_route_next", "completed"] {
        let r = patch(s);
        assert_eq!(r.status, 200, "{s}: {}", r.body);
        assert_eq!(r.json()["status"], s);
        assert_eq!(location(&track).json()["status"], s);
    }
    patch("en_route").expect_error(409, "invalid_transition");
    patch("flying").expect_error(400, "invalid_status");
}

#[test]
fn patch_moves_the_destination_and_trailers() {
    let (job, _) = create_job(&["TR1x"], "en_route");
    let r = patch_job(
        &job,
        json!({
            "destination": {"lat": 53.5, "lon": -2.9, "address": "New place"}, "trailer_ids": ["TR2x", "TR3x"]
        }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["destination"]["address"], "New place");
    let mut t: Vec<String> = v["trailer_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    t.sort();
    assert_eq!(t, vec!["TR2x", "TR3x"]);
    patch_job(&job, json!({})).expect_error(400, "empty_patch");
    patch_job(&job, json!({"customer_phone": "+1"})).expect_error(400, "unknown_field");
    req("PATCH", "/api/jobs/job_missing_1")
        .bearer(&dispatch())
        .json(&json!({"status": "at_site"}))
        .expect_error(404, "job_not_found");
}

#[test]
fn bad_job_bodies_get_clear_errors() {
    let post = |v: serde_json::Value| req("POST", "/api/jobs").bearer(&dispatch()).json(&v);
    post(json!([])).expect_error(400, "invalid_body");
    post(json!({"customer_name": "A", "customer_phone": "12345", "destination": {"lat": 1, "lon": 1}}))
        .expect_error(400, "invalid_phone");
    post(json!({"customer_name": "A", "customer_phone": "+15550100001", "destination": {"lat": 100, "lon": 1}}))
        .expect_error(400, "invalid_destination");
    req("POST", "/api/jobs")
        .bearer(&dispatch())
        .body("application/json", "{not json")
        .expect_error(400, "invalid_json");
    req("POST", "/api/jobs")
        .bearer(&dispatch())
        .body("text/plain", "{}")
        .expect_error(415, "unsupported_media_type");
}

#[test]
fn a_chosen_job_id_is_idempotent() {
    let id = uid("job_fixed_");
    let body = json!({"job_id": id, "customer_name": "A", "customer_phone": "+15550100001", "destination": {"lat": 1, "lon": 1}});
    assert_eq!(req("POST", "/api/jobs").bearer(&dispatch()).json(&body).status, 201);
    req("POST", "/api/jobs")
        .bearer(&dispatch())
        .json(&body)
        .expect_error(409, "job_exists");
}

#[test]
fn devices_belong_to_one_trailer() {
    let device = uid("dev-");
    let trailer = register_device(&device);
    // Re-registering the same pair is fine; another trailer cannot take it.
    assert_eq!(
        req("PUT", &format!("/api/trailers/{trailer}"))
            .bearer(&dispatch())
            .json(&json!({"device_id": device}))
            .status,
        200
    );
    req("PUT", "/api/trailers/TRother")
        .bearer(&dispatch())
        .json(&json!({"device_id": device}))
        .expect_error(409, "device_in_use");
    req("PUT", "/api/trailers/TRother")
        .bearer(&dispatch())
        .json(&json!({"device_id": "a b"}))
        .expect_error(400, "invalid_device_id");
    req("PUT", "/api/trailers/TRother")
        .bearer(&track("job_x"))
        .json(&json!({"device_id": "x"}))
        .expect_error(403, "forbidden_scope");
}

#[test]
fn a_job_with_stops_moves_on_to_the_next_one_and_keeps_its_history() {
    use_test_roster();
    let dispatcher_id = "secondary";
    let job = uid("stops");
    let r = req("POST", "/api/jobs").bearer(&dispatch()).json(&json!({
        "job_id": job, "customer_name": "Ann Example", "customer_phone": "+15550101234",
        "dispatcher_id": dispatcher_id, "window_end": "2026-11-22T10:00:00-05:00", "geofence_m": 200, "notify": false,
        "stops": [{"kind": "pickup", "address": "Yard", "lat": 53.40, "lon": -2.90},
                  {"kind": "dropoff", "address": "1 Dock Road", "lat": 53.43, "lon": -2.96}]
    }));
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["destination"]["address"], "Yard");
    assert_eq!(
        (v["dispatcher_id"].as_str(), v["window_end"].as_str()),
        (Some(dispatcher_id), Some("2026-11-22T15:00:00.000Z"))
    );
    assert_eq!(
        (v["notify"].as_bool(), v["geofence_m"].as_f64()),
        (Some(false), Some(200.0))
    );
    for s in ["en_route", "at_site", "en_route_next"] {
        let r = patch_job(&job, json!({"status": s}));
        assert_eq!(r.status, 200, "{s}: {}", r.body);
    }
    let d = req("GET", &format!("/api/jobs/{job}"))
        .bearer(&dispatch())
        .send()
        .json();
    assert_eq!(d["destination"]["address"], "1 Dock Road", "{d}");
    assert_eq!(d["stop_index"], 1);
    let statuses: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["scheduled", "en_route", "at_site", "en_route_next"]);
    assert!(d["history"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["source"] == "dispatch"));
    assert!(d.get("position").is_some(), "{d}");
    // The tracking page follows the current stop.
    let track = track(&job);
    let loc = location(&track).json();
    assert_eq!(loc["destination"]["lat"], 53.43);
    // Clearing the dispatcher and the window; a dispatcher who is not on the roster is refused.
    let cleared = patch_job(&job, json!({"dispatcher_id": null, "window_end": null})).json();
    assert!(
        cleared["dispatcher_id"].is_null() && cleared["window_end"].is_null(),
        "{cleared}"
    );
    patch_job(&job, json!({"dispatcher_id": "nobody_here"})).expect_error(400, "unknown_dispatcher");
    patch_job(&job, json!({"geofence_m": 1})).expect_error(400, "invalid_geofence");
}
