//! What real traffic does to the stack: bad input on every endpoint, concurrent writers,
//! path traversal (the tracker rate limit is in `tracker_devices.rs`). Every bad input gets a
//! JSON 4xx with a stable code, never a 5xx, and changes nothing stored.

use qdn_tests::*;
use serde_json::json;

/// (method, path, content type, body, bearer?) → the status and code it must get.
type Case = (
    &'static str,
    String,
    &'static str,
    String,
    Option<String>,
    u16,
    &'static str,
);

fn deep(n: usize) -> String {
    format!("{}{}", "[".repeat(n), "]".repeat(n))
}

#[test]
fn bad_input_matrix() {
    let (job, track) = create_job(&["TRbad"], "en_route");
    let post_fix_ok = post_fix(
        &job,
        &ingest(&job),
        json!({"lat": 53.41, "lon": -2.96, "recorded_at": at(-5)}),
    );
    assert_eq!(post_fix_ok.status, 202);
    let before = location(&track).body;
    let d = Some(dispatch());
    let ing = Some(ingest(&job));
    let loc = format!("/api/jobs/{job}/location");
    let big = format!("{{\"fixes\": [{}]}}", vec![r#"{"lat":1,"lon":1,"recorded_at":"2026-01-01T00:00:00Z","pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#; 2300].join(","));
    let many: Vec<serde_json::Value> = (0..501)
        .map(|i| json!({"lat": 1, "lon": 1, "recorded_at": at(-i)}))
        .collect();
    let cases: Vec<Case> = vec![
        // Location ingest
        ("POST", loc.clone(), "application/json", "{not json".into(), ing.clone(), 400, "invalid_json"),
        ("POST", loc.clone(), "application/json", "".into(), ing.clone(), 400, "invalid_json"),
        ("POST", loc.clone(), "application/json", "null".into(), ing.clone(), 400, "invalid_body"),
        ("POST", loc.clone(), "application/json", "[1,2,3]".into(), ing.clone(), 400, "invalid_body"),
        ("POST", loc.clone(), "application/json", r#"{"lat": NaN, "lon": 1, "recorded_at": "2026-01-01T00:00:00Z"}"#.into(), ing.clone(), 400, "invalid_json"),
        ("POST", loc.clone(), "application/json", r#"{"lat": Infinity, "lon": 1}"#.into(), ing.clone(), 400, "invalid_json"),
        ("POST", loc.clone(), "application/json", r#"{"lat": 1e400, "lon": 1, "recorded_at": "2026-01-01T00:00:00Z"}"#.into(), ing.clone(), 400, "invalid_json"),
        ("POST", loc.clone(), "application/json", json!({"lat": 200, "lon": 1, "recorded_at": at(0)}).to_string(), ing.clone(), 400, "invalid_lat"),
        ("POST", loc.clone(), "application/json", json!({"lat": true, "lon": 1, "recorded_at": at(0)}).to_string(), ing.clone(), 400, "invalid_lat"),
        ("POST", loc.clone(), "application/json", json!({"lat": 1, "lon": 1, "recorded_at": "31/12/2026"}).to_string(), ing.clone(), 400, "invalid_recorded_at"),
        ("POST", loc.clone(), "application/json", json!({"lat": 1, "lon": 1, "recorded_at": at(25 * 3600)}).to_string(), ing.clone(), 400, "recorded_at_in_future"),
        ("POST", loc.clone(), "application/json", json!({"lat": 1, "lon": 1, "recorded_at": {"$date": 1}}).to_string(), ing.clone(), 400, "invalid_recorded_at"),
        ("POST", loc.clone(), "application/json", json!({"fixes": many}).to_string(), ing.clone(), 400, "batch_too_large"),
        ("POST", loc.clone(), "application/json", json!({"fixes": "all of them"}).to_string(), ing.clone(), 400, "invalid_body"),
        ("POST", loc.clone(), "application/json", big, ing.clone(), 413, "body_too_large"),
        ("POST", loc.clone(), "application/json", deep(5000), ing.clone(), 400, "invalid_json"),
        ("POST", loc.clone(), "text/plain", "{}".into(), ing.clone(), 415, "unsupported_media_type"),
        ("POST", loc.clone(), "application/x-www-form-urlencoded", "lat=1&lon=2".into(), ing.clone(), 415, "unsupported_media_type"),
        // Jobs
        ("POST", "/api/jobs".into(), "application/json", json!({"customer_name": "A", "customer_phone": "not a phone", "destination": {"lat": 1, "lon": 1}}).to_string(), d.clone(), 400, "invalid_phone"),
        ("POST", "/api/jobs".into(), "application/json", json!({"customer_name": 7, "customer_phone": "+15550100001", "destination": {"lat": 1, "lon": 1}}).to_string(), d.clone(), 400, "invalid_customer_name"),
        ("POST", "/api/jobs".into(), "application/json", json!({"customer_name": "A", "customer_phone": "+15550100001", "destination": [1, 2]}).to_string(), d.clone(), 400, "invalid_destination"),
        ("POST", "/api/jobs".into(), "application/json", json!({"customer_name": "A", "customer_phone": "+15550100001", "destination": {"lat": 1, "lon": 1}, "status": "teleported"}).to_string(), d.clone(), 400, "invalid_status"),
        ("POST", "/api/jobs".into(), "application/json", json!({"customer_name": "x".repeat(500), "customer_phone": "+15550100001", "destination": {"lat": 1, "lon": 1}}).to_string(), d.clone(), 400, "invalid_customer_name"),
        ("PATCH", format!("/api/jobs/{job}"), "application/json", json!({"status": "unknown"}).to_string(), d.clone(), 400, "invalid_status"),
        ("PATCH", format!("/api/jobs/{job}"), "application/json", json!({"status": 3}).to_string(), d.clone(), 400, "invalid_status"),
        ("PATCH", format!("/api/jobs/{job}"), "application/json", json!({"trailer_ids": "TR1"}).to_string(), d.clone(), 400, "invalid_trailer_ids"),
        ("PATCH", format!("/api/jobs/{job}"), "application/json", json!({"destination": {"lat": "north", "lon": 1}}).to_string(), d.clone(), 400, "invalid_destination"),
        ("GET", format!("/api/jobs/{}", "j".repeat(10_000)), "application/json", "".into(), d.clone(), 404, "job_not_found"),
        ("GET", "/api/jobs/%zz%ff/location".into(), "application/json", "".into(), d.clone(), 404, "job_not_found"),
        ("GET", "/api/jobs/a.b.c/location".into(), "application/json", "".into(), None, 401, "token_malformed"),
        // Tokens, trailers
        ("POST", "/api/tokens".into(), "application/json", json!({"scope": "track", "job_id": ["x"]}).to_string(), d.clone(), 400, "invalid_id"),
        ("POST", "/api/tokens".into(), "application/json", json!({"scope": "ingest", "ttl_s": 1e12}).to_string(), d.clone(), 400, "invalid_ttl"),
        ("POST", "/api/tokens".into(), "application/json", json!({"scope": "dispatch", "ttl_s": 7 * 86_400}).to_string(), d.clone(), 400, "ttl_exceeds_caller"),
        ("POST", "/api/tokens/revoke".into(), "application/json", json!({"jti": 5}).to_string(), d.clone(), 400, "invalid_id"),
        ("POST", "/api/tokens/revoke".into(), "application/json", json!({"jti": "tok_a", "job_id": job}).to_string(), d.clone(), 400, "invalid_revocation"),
        ("PUT", "/api/trailers/TRbad".into(), "application/json", json!({"device_id": 12}).to_string(), d.clone(), 400, "invalid_device_id"),
        ("PUT", format!("/api/trailers/{}", "t".repeat(100)), "application/json", json!({"device_id": "d"}).to_string(), d.clone(), 400, "invalid_trailer_id"),
        ("PUT", "/api/trailers/TRbad".into(), "application/json", json!({"owntracks_key": ["k"]}).to_string(), d.clone(), 400, "invalid_owntracks_key"),
        ("PUT", "/api/trailers/TRbad".into(), "application/json", json!({"owntracks_key": "a\u{7}b"}).to_string(), d.clone(), 400, "invalid_owntracks_key"),
        // Trackers
        ("GET", "/ingest/osmand?id=x&lat=1&lon=2&timestamp=99999999999999999999".into(), "", "".into(), None, 400, "invalid_timestamp"),
        ("GET", format!("/ingest/osmand?id={}&lat=1&lon=2", "d".repeat(200)), "", "".into(), None, 400, "invalid_device_id"),
        ("POST", "/ingest/osmand".into(), "application/json", "{\"device_id\": 5}".into(), None, 400, "invalid_body"),
        ("POST", "/ingest/osmand".into(), "application/json", "{\"location\": {\"coords\": {\"latitude\": 1, \"longitude\": 2}}}".into(), None, 400, "missing_device_id"),
        ("POST", "/ingest/osmand/".into(), "application/json", "{\"device_id\": \"d\", \"location\": [{\"coords\": {\"latitude\": \"1\", \"longitude\": 2}}]}".into(), None, 400, "invalid_number"),
        ("POST", "/ingest/osmand".into(), "application/json", "[]".into(), None, 400, "invalid_body"),
        ("POST", "/ingest/owntracks".into(), "application/json", "{}".into(), None, 401, "token_missing"),
        // Relay API and notifications
        ("PUT", "/api/relay/roster".into(), "application/json", json!({"tiers": []}).to_string(), d.clone(), 400, "empty_roster"),
        ("PUT", "/api/relay/roster".into(), "application/json", json!({"tiers": [{"dispatcher_id": "a", "phone": "0044 7700"}]}).to_string(), d.clone(), 400, "invalid_phone"),
        ("PUT", "/api/relay/roster".into(), "application/json", json!({"tiers": null}).to_string(), d.clone(), 400, "invalid_roster"),
        ("PUT", "/api/relay/roster".into(), "application/json", json!({"tiers": [{"dispatcher_id": "a", "phone": "+15550100101"}], "backoff_s": [-1]}).to_string(), d.clone(), 400, "invalid_roster"),
        ("POST", "/notify/sms".into(), "application/json", json!({"job_id": job, "body": "x".repeat(20_000)}).to_string(), d.clone(), 400, "invalid_body"),
        ("POST", "/notify/sms".into(), "application/json", json!({"job_id": null, "body": "hi"}).to_string(), d.clone(), 400, "invalid_job_id"),
        // Webhooks without a signature never reach parsing
        ("POST", "/sms/inbound".into(), "application/x-www-form-urlencoded", "Body=%zz".into(), None, 403, "signature_missing"),
        ("POST", "/sms/inbound/".into(), "application/json", "{\"Body\": 1}".into(), None, 403, "signature_missing"),
    ];
    let secrets = [env_or("QDN_JWT_SECRET", "-"), env_or("QDN_TWILIO_AUTH_TOKEN", "-")];
    let mut tried = 0;
    for (method, path, ctype, body, bearer, status, code) in cases {
        let mut r = req(method, &path);
        if let Some(t) = &bearer {
            r = r.bearer(t);
        }
        let resp = if ctype.is_empty() {
            r.send()
        } else {
            r.body(ctype, &body)
        };
        assert!(resp.status < 500, "{method} {path}: {} {}", resp.status, resp.body);
        assert!(
            secrets.iter().all(|s| !resp.body.contains(s.as_str())),
            "a secret in the answer to {method} {path}"
        );
        assert_eq!(
            (resp.status, resp.json()["error"].as_str().unwrap_or("")),
            (status, code),
            "{method} {} {}",
            &path[..path.len().min(80)],
            resp.body
        );
        tried += 1;
    }
    assert_eq!(location(&track).body, before, "bad input changed stored data");
    println!("bad-input matrix: {tried} inputs, all refused with their codes");
}

#[test]
fn a_long_sms_body_is_relayed_cut_not_refused() {
    use_test_roster();
    let customer = customer_phone();
    let body = "w".repeat(20_000);
    let r = inbound_sms(&message_sid(), &customer, &body);
    assert_eq!(r.status, 200, "{}", r.body);
    let m = wait_for("the relay", 10, || {
        sent_to(&handlers()[0], &customer).into_iter().next()
    });
    let text = m["body"].as_str().unwrap();
    assert!(text.len() < 1600 && text.contains("w..."), "{} chars", text.len());
    ack(&handlers()[0], &reference_in(text));
}

#[test]
fn eight_writers_store_every_fix_exactly_once() {
    let trailers: Vec<String> = (0..8).map(|i| format!("TRw{i}")).collect();
    let refs: Vec<&str> = trailers.iter().map(String::as_str).collect();
    let (job, _) = create_job(&refs, "en_route");
    let batches: Vec<serde_json::Value> = trailers
        .iter()
        .map(|t| json!({"fixes": (0..50).map(|i| json!({"lat": 53.4 + i as f64 * 1e-4, "lon": -2.96, "recorded_at": at(-600 + i * 5), "trailer_id": t})).collect::<Vec<_>>()}))
        .collect();
    let send_all = |batches: &[serde_json::Value]| -> (u64, u64) {
        let threads: Vec<_> = batches
            .iter()
            .cloned()
            .map(|b| {
                let (job, t) = (job.clone(), ingest(&job));
                std::thread::spawn(move || {
                    // Each writer posts its fixes one by one, all writers at once.
                    let mut sum = (0, 0);
                    for f in b["fixes"].as_array().unwrap() {
                        let v = post_fix(&job, &t, f.clone()).json();
                        sum.0 += v["accepted"].as_u64().unwrap();
                        sum.1 += v["duplicates"].as_u64().unwrap();
                    }
                    sum
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    };
    assert_eq!(send_all(&batches), (400, 0));
    assert_eq!(send_all(&batches), (0, 400), "a re-sent fix was stored twice");
}

#[test]
fn static_files_do_not_traverse() {
    for path in [
        "/track/../wrangler.toml",
        "/track/%2e%2e/%2e%2e/.dev.vars",
        "/..%2f.dev.vars",
        "/track/..%2f..%2fCargo.toml",
        "/.dev.vars",
        "/wrangler.toml",
    ] {
        let r = req("GET", path).send();
        assert!(
            r.status == 404 || (r.status == 200 && r.body.contains("qdn_track_ui")),
            "{path}: {} {}",
            r.status,
            &r.body[..r.body.len().min(200)]
        );
        assert!(
            !r.body.contains("JWT_SECRET") && !r.body.contains("[[d1_databases]]") && !r.body.contains("[workspace]"),
            "{path} leaked a file"
        );
    }
}
