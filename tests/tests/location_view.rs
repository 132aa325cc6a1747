//! The customer's location view: ETA, several trailers, conditional requests.

use qdn_tests::*;
use serde_json::json;

#[test]
fn eta_while_moving_none_when_not() {
    let trailer = uid("TRe");
    let (job, track) = create_job(&[&trailer], "en_route");
    let fixes: Vec<_> = (0..8)
        .map(|i| {
            let (lat, lon) = approach(i);
            json!({"lat": lat, "lon": lon, "recorded_at": at(-280 + i as i64 * 40), "trailer_id": trailer})
        })
        .collect();
    assert_eq!(post_fix(&job, &ingest(&job), json!({"fixes": fixes})).status, 202);
    let v = location(&track).json();
    let eta = &v["eta"];
    // ~0.014 deg/40 s closing: the distance left (~2.9 km) at the measured pace.
    let d = eta["distance_m"].as_f64().unwrap();
    assert!((2500.0..3500.0).contains(&d), "{v}");
    let s = eta["seconds"].as_i64().unwrap();
    assert!((100..2000).contains(&s), "{v}");
    assert!(eta["arrive_at"].as_str().is_some());
    assert_eq!(v["trailer_count"], 1);
    assert_eq!(v["destination"]["lat"], DEST.0);
    assert!(chrono::DateTime::parse_from_rfc3339(v["updated_at"].as_str().unwrap()).is_ok());
    patch_job(&job, json!({"status": "at_site"}));
    let v = location(&track).json();
    assert!(v["eta"].is_null() && !v["position"].is_null());
}

#[test]
fn with_several_trailers_the_view_follows_the_first_to_arrive() {
    let (near, far) = (uid("TRn"), uid("TRf"));
    let (job, track) = create_job(&[&far, &near], "en_route");
    let mut fixes = Vec::new();
    for i in 0..6 {
        fixes.push(json!({"lat": 53.30 + i as f64 * 0.0002, "lon": -2.96, "recorded_at": at(-300 + i * 50), "trailer_id": far}));
        fixes.push(json!({"lat": 53.41 + i as f64 * 0.002, "lon": -2.96, "recorded_at": at(-300 + i * 50), "trailer_id": near}));
    }
    assert_eq!(
        post_fix(&job, &ingest(&job), json!({"fixes": fixes})).json()["accepted"],
        12
    );
    let v = location(&track).json();
    assert_eq!(v["trailer_count"], 2);
    assert!((v["position"]["lat"].as_f64().unwrap() - 53.42).abs() < 1e-9, "{v}");
}

#[test]
fn etag_gives_304_until_a_new_fix_arrives() {
    let (job, track) = create_job(&[], "en_route");
    post_fix(
        &job,
        &ingest(&job),
        json!({"lat": 53.40, "lon": -2.96, "recorded_at": at(-30)}),
    );
    let first = location(&track);
    assert_eq!(first.status, 200);
    let etag = first.header("etag").expect("an ETag");
    assert!(first.header("cache-control").unwrap().contains("no-cache"));
    let again = req("GET", &format!("/api/jobs/{track}/location"))
        .header("If-None-Match", &etag)
        .send();
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    post_fix(
        &job,
        &ingest(&job),
        json!({"lat": 53.41, "lon": -2.96, "recorded_at": at(-1)}),
    );
    let changed = req("GET", &format!("/api/jobs/{track}/location"))
        .header("If-None-Match", &etag)
        .send();
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag").unwrap(), etag);
    assert_eq!(changed.json()["position"]["lat"], 53.41);
}

#[test]
fn the_trail_is_bounded() {
    let (job, track) = create_job(&[], "en_route");
    let fixes: Vec<_> = (0..150)
        .map(|i| json!({"lat": 53.40 + i as f64 * 0.0001, "lon": -2.96, "recorded_at": at(-1500 + i * 10)}))
        .collect();
    assert_eq!(
        post_fix(&job, &ingest(&job), json!({"fixes": fixes})).json()["accepted"],
        150
    );
    let v = location(&track).json();
    let trail = v["trail"].as_array().unwrap();
    assert_eq!(trail.len(), qdn_shared::view::TRAIL_MAX);
    assert_eq!(trail.last().unwrap()["lat"], v["position"]["lat"]);
}

#[test]
fn bearer_form_and_dispatch_can_read_it_too() {
    let (job, track) = create_job(&[], "scheduled");
    let a = req("GET", &format!("/api/jobs/{job}/location")).bearer(&track).send();
    let b = req("GET", &format!("/api/jobs/{job}/location"))
        .bearer(&dispatch())
        .send();
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(a.json()["job_id"], b.json()["job_id"]);
    req("GET", &format!("/api/jobs/{job}/location"))
        .bearer(&ingest(&job))
        .send()
        .expect_error(403, "forbidden_scope");
}
