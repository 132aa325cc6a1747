//! OsmAnd / Traccar Client and OwnTracks, in each form they send.

use base64::Engine;
use qdn_tests::*;
use serde_json::json;

/// A device on a trailer on an en-route job; returns (device, trailer, job, track token).
fn tracked() -> (String, String, String, String) {
    let device = uid("dev");
    let trailer = register_device(&device);
    let (job, track) = create_job(&[&trailer], "en_route");
    (device, trailer, job, track)
}

fn position(track: &str) -> serde_json::Value {
    location(track).json()["position"].clone()
}

#[test]
fn osmand_query_with_each_timestamp_form() {
    let (device, _, _, track) = tracked();
    let now = chrono::Utc::now();
    let forms = [
        (now - chrono::Duration::seconds(50)).timestamp().to_string(),
        (now - chrono::Duration::seconds(40)).timestamp_millis().to_string(),
        (now - chrono::Duration::seconds(30))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    ];
    for (i, ts) in forms.iter().enumerate() {
        let lat = 53.40 + i as f64 * 0.001;
        let r = req("GET", &format!("/ingest/osmand?id={device}&lat={lat}&lon=-2.96&timestamp={ts}&speed=10&bearing=45&altitude=12&accuracy=6&batt=88")).send();
        assert_eq!(r.status, 200, "{ts}: {}", r.body);
        assert_eq!(r.json()["accepted"], 1, "{ts}");
        let p = position(&track);
        // Stored as REAL: equal to well under a millimetre.
        assert!((p["lat"].as_f64().unwrap() - lat).abs() < 1e-9, "{ts}: {p}");
        // 10 knots = 5.144 m/s
        assert!((p["speed_mps"].as_f64().unwrap() - 5.144).abs() < 0.01);
        assert_eq!(p["heading_deg"], 45.0);
    }
}

#[test]
fn osmand_form_body_and_location_pair() {
    let (device, _, _, track) = tracked();
    let r = req("POST", "/ingest/osmand").body(
        "application/x-www-form-urlencoded",
        &format!("id={device}&location=53.411%2C-2.961&speed=0"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let p = position(&track);
    assert_eq!((p["lat"].as_f64(), p["lon"].as_f64()), (Some(53.411), Some(-2.961)));
}

#[test]
fn traccar_client_json() {
    let (device, _, _, track) = tracked();
    let body = json!({"device_id": device, "location": {"timestamp": at(-5), "coords": {
        "latitude": 53.412, "longitude": -2.962, "speed": 7.5, "heading": 90, "accuracy": 5, "altitude": 10},
        "battery": {"level": 0.7, "is_charging": false}, "is_moving": true, "odometer": 100}});
    let r = req("POST", "/ingest/osmand").json(&body);
    assert_eq!(r.status, 200, "{}", r.body);
    let p = position(&track);
    assert_eq!(p["lat"], 53.412);
    assert_eq!(p["speed_mps"], 7.5, "Traccar's JSON speed is already m/s");
}

#[test]
fn osmand_errors() {
    // An unknown id is answered like a registered one without an open job (ids cannot be
    // probed; dispatchers find it in GET /api/devices/unknown).
    let r = req("GET", "/ingest/osmand?id=no-such-device-xyz&lat=53.4&lon=-2.9").send();
    assert_eq!(
        (r.status, r.json()["ignored"].as_str()),
        (200, Some("no_open_job")),
        "{}",
        r.body
    );
    req("GET", "/ingest/osmand?lat=53.4&lon=-2.9")
        .send()
        .expect_error(400, "missing_device_id");
    let (device, _, _, _) = tracked();
    req("GET", &format!("/ingest/osmand?id={device}&lat=abc&lon=-2.9"))
        .send()
        .expect_error(400, "invalid_number");
    req("GET", &format!("/ingest/osmand?id={device}&lat=99&lon=-2.9"))
        .send()
        .expect_error(400, "invalid_lat");
    req(
        "GET",
        &format!("/ingest/osmand?id={device}&lat=53&lon=-2.9&timestamp=soon"),
    )
    .send()
    .expect_error(400, "invalid_timestamp");
}

#[test]
fn osmand_without_an_open_job_is_acknowledged_not_stored() {
    let device = uid("idle");
    register_device(&device);
    let r = req("GET", &format!("/ingest/osmand?id={device}&lat=53.4&lon=-2.9")).send();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["ignored"], "no_open_job");
}

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

#[test]
fn owntracks_location_in_kmh() {
    let (device, trailer, _, track) = tracked();
    let tst = chrono::Utc::now().timestamp() - 20;
    let body = json!({"_type": "location", "lat": 53.413, "lon": -2.963, "tst": tst, "vel": 36, "cog": 180, "acc": 12, "batt": 80, "tid": "t1"});
    let r = req("POST", "/ingest/owntracks")
        .header("Authorization", &basic(&device, &ingest_trailer(&trailer)))
        .json(&body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body.trim(), "[]");
    let p = position(&track);
    assert_eq!(p["lat"], 53.413);
    assert!(
        (p["speed_mps"].as_f64().unwrap() - 10.0).abs() < 1e-9,
        "36 km/h = 10 m/s"
    );
    assert_eq!(p["heading_deg"], 180.0);
}

#[test]
fn owntracks_device_from_x_limit_d() {
    let (device, _, job, track) = tracked();
    let tst = chrono::Utc::now().timestamp() - 10;
    let body = json!({"_type": "location", "lat": 53.414, "lon": -2.964, "tst": tst});
    let r = req("POST", "/ingest/owntracks")
        .header("Authorization", &basic("", &ingest(&job)))
        .header("X-Limit-D", &device)
        .json(&body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(position(&track)["lat"], 53.414);
}

#[test]
fn owntracks_other_types_and_empty_bodies_answer_an_empty_list() {
    let (device, trailer, _, track) = tracked();
    let auth = basic(&device, &ingest_trailer(&trailer));
    for body in [
        "",
        r#"{"_type":"transition","event":"enter","tst":1}"#,
        r#"{"_type":"lwt","tst":1}"#,
        r#"{"_type":"waypoint"}"#,
    ] {
        let r = req("POST", "/ingest/owntracks")
            .header("Authorization", &auth)
            .body("application/json", body);
        assert_eq!((r.status, r.body.trim()), (200, "[]"), "{body}");
    }
    assert!(position(&track).is_null());
}

#[test]
fn owntracks_needs_a_token_for_the_device() {
    let (device, _, _, _) = tracked();
    let body = json!({"_type": "location", "lat": 53.4, "lon": -2.9, "tst": chrono::Utc::now().timestamp()});
    req("POST", "/ingest/owntracks")
        .json(&body)
        .expect_error(401, "token_missing");
    req("POST", "/ingest/owntracks")
        .header("Authorization", &basic(&device, "nonsense"))
        .json(&body)
        .expect_error(401, "token_malformed");
    req("POST", "/ingest/owntracks")
        .header("Authorization", &basic(&device, &ingest_trailer("TRsomeoneelse")))
        .json(&body)
        .expect_error(403, "token_device_mismatch");
    req("POST", "/ingest/owntracks")
        .header("Authorization", &basic(&device, &track("job_x")))
        .json(&body)
        .expect_error(403, "forbidden_scope");
}
