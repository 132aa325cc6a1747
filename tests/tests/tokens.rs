//! The ten token attacks of the tracking issue, and scope binding. Each is refused with a JSON
//! 401/403/404 that reveals nothing of other jobs.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use qdn_shared::token::{Claims, Scope};
use qdn_tests::*;
use serde_json::json;

fn forge(header: serde_json::Value, payload: serde_json::Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let p = URL_SAFE_NO_PAD.encode(payload.to_string());
    let input = format!("{h}.{p}");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sign(input.as_bytes())))
}

fn exp() -> i64 {
    chrono::Utc::now().timestamp() + 3600
}

fn assert_no_leak(r: &Resp, other_job: &str) {
    assert!(!r.body.contains(other_job), "response mentions another job: {}", r.body);
    assert!(
        !r.body.contains("Test Customer") && !r.body.contains("+1555010"),
        "response leaks customer data: {}",
        r.body
    );
}

#[test]
fn alg_none_is_refused() {
    let (job, _) = create_job(&[], "en_route");
    let t = forge(
        json!({"alg": "none", "typ": "JWT"}),
        json!({"scope": "track", "job_id": job, "exp": exp()}),
        |_| vec![],
    );
    location(&t).expect_error(401, "token_algorithm");
    let t = format!("{}.", t.trim_end_matches('.')); // "none" tokens usually end with an empty signature
    assert_eq!(location(&t).status, 401);
}

#[test]
fn hs512_is_refused() {
    let (job, _) = create_job(&[], "en_route");
    let t = forge(
        json!({"alg": "HS512", "typ": "JWT"}),
        json!({"scope": "track", "job_id": job, "exp": exp()}),
        |m| {
            let mut mac = Hmac::<sha2::Sha512>::new_from_slice(secret().as_bytes()).unwrap();
            mac.update(m);
            mac.finalize().into_bytes().to_vec()
        },
    );
    location(&t).expect_error(401, "token_algorithm");
}

#[test]
fn wrong_key_is_refused() {
    let (job, _) = create_job(&[], "en_route");
    let mut c = claims(Scope::Track);
    c.job_id = Some(job.clone());
    let t = qdn_shared::token::sign(&c, b"not-the-server-key");
    let r = location(&t);
    r.expect_error(401, "token_invalid");
    assert_no_leak(&r, &job);
}

/// A track token of a real job, signed with the server's key but with `edit` made to its
/// claims, is refused with 401 `code`.
fn refused_when(edit: impl FnOnce(&mut Claims), code: &str) {
    let (job, _) = create_job(&[], "en_route");
    let mut c = claims(Scope::Track);
    c.job_id = Some(job);
    edit(&mut c);
    location(&sign(&c)).expect_error(401, code);
}

#[test]
fn expired_token_is_refused() {
    refused_when(|c| c.exp = chrono::Utc::now().timestamp() - 120, "token_expired");
}

#[test]
fn future_nbf_is_refused() {
    refused_when(
        |c| c.nbf = Some(chrono::Utc::now().timestamp() + 600),
        "token_not_yet_valid",
    );
}

#[test]
fn wrong_audience_is_refused() {
    refused_when(
        |c| c.aud = Some(qdn_shared::token::Audience::One("someone-else".into())),
        "token_audience",
    );
}

#[test]
fn track_token_cannot_post_fixes() {
    let (job, track) = create_job(&[], "en_route");
    post_fix(&job, &track, json!({"lat": 53.4, "lon": -2.96, "recorded_at": at(0)}))
        .expect_error(403, "forbidden_scope");
}

#[test]
fn ingest_token_for_another_job_is_refused_like_a_missing_job() {
    let (job_a, _) = create_job(&[], "en_route");
    let (job_b, _) = create_job(&[], "en_route");
    let r = post_fix(
        &job_b,
        &ingest(&job_a),
        json!({"lat": 53.4, "lon": -2.96, "recorded_at": at(0)}),
    );
    r.expect_error(404, "job_not_found");
    assert_no_leak(&r, &job_b);
    // Exactly what a job that does not exist gets.
    let r2 = post_fix(
        "job_does_not_exist",
        &ingest(&job_a),
        json!({"lat": 53.4, "lon": -2.96, "recorded_at": at(0)}),
    );
    r2.expect_error(404, "job_not_found");
    assert_eq!(r.body, r2.body);
}

#[test]
fn no_token_is_refused() {
    let (job, _) = create_job(&[], "en_route");
    post_fix(&job, "", json!({})).expect_error(401, "token_malformed");
    req("POST", &format!("/api/jobs/{job}/location"))
        .json(&json!({}))
        .expect_error(401, "token_missing");
    req("GET", &format!("/api/jobs/{job}/location"))
        .send()
        .expect_error(401, "token_missing");
    req("POST", "/api/jobs")
        .json(&json!({}))
        .expect_error(401, "token_missing");
}

#[test]
fn track_token_cannot_create_a_job() {
    let (job, track) = create_job(&[], "en_route");
    let r = req("POST", "/api/jobs").bearer(&track).json(&json!({
        "customer_name": "X", "customer_phone": "+15550100001", "destination": {"lat": 1, "lon": 1}
    }));
    r.expect_error(403, "forbidden_scope");
    req("PATCH", &format!("/api/jobs/{job}"))
        .bearer(&track)
        .json(&json!({"status": "completed"}))
        .expect_error(403, "forbidden_scope");
    req("POST", "/api/tokens")
        .bearer(&track)
        .json(&json!({"scope": "dispatch"}))
        .expect_error(403, "forbidden_scope");
}

#[test]
fn a_track_token_never_reads_another_job() {
    let (job_a, track_a) = create_job(&[], "en_route");
    let (job_b, _) = create_job(&[], "en_route");
    let r = req("GET", &format!("/api/jobs/{job_b}/location"))
        .bearer(&track_a)
        .send();
    r.expect_error(404, "job_not_found");
    assert_no_leak(&r, &job_b);
    let r = req("GET", &format!("/api/jobs/{job_b}")).bearer(&track_a).send();
    r.expect_error(404, "job_not_found");
    // Its own job, both ways.
    assert_eq!(
        req("GET", &format!("/api/jobs/{job_a}/location"))
            .bearer(&track_a)
            .send()
            .status,
        200
    );
    assert_eq!(location(&track_a).status, 200);
}

#[test]
fn tokens_are_minted_for_dispatch_only_and_work() {
    let (job, _) = create_job(&[], "en_route");
    let r = req("POST", "/api/tokens")
        .bearer(&dispatch())
        .json(&json!({"scope": "track", "job_id": job, "ttl_s": 600}));
    assert_eq!(r.status, 201, "{}", r.body);
    let t = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(location(&t).json()["job_id"], job.as_str());
    req("POST", "/api/tokens")
        .bearer(&dispatch())
        .json(&json!({"scope": "track"}))
        .expect_error(400, "missing_job_id");
    req("POST", "/api/tokens")
        .bearer(&dispatch())
        .json(&json!({"scope": "root"}))
        .expect_error(400, "invalid_scope");
    req("POST", "/api/tokens")
        .bearer(&dispatch())
        .json(&json!({"scope": "track", "job_id": "job_nope"}))
        .expect_error(404, "job_not_found");
    req("POST", "/api/tokens")
        .bearer(&dispatch())
        .json(&json!({"scope": "dispatch", "ttl_s": -5}))
        .expect_error(400, "invalid_ttl");
    // An ingest token from the API can post fixes for its job.
    let r = req("POST", "/api/tokens")
        .bearer(&dispatch())
        .json(&json!({"scope": "ingest", "job_id": job}));
    let t = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        post_fix(&job, &t, json!({"lat": 53.4, "lon": -2.96, "recorded_at": at(0)})).status,
        202
    );
}

/// Mints through the API; returns (token, jti, expires_at).
fn mint(caller: &str, body: serde_json::Value) -> (String, String, chrono::DateTime<chrono::Utc>) {
    let r = req("POST", "/api/tokens").bearer(caller).json(&body);
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    let expires = chrono::DateTime::parse_from_rfc3339(v["expires_at"].as_str().unwrap()).unwrap();
    (
        v["token"].as_str().unwrap().to_string(),
        v["jti"].as_str().unwrap().to_string(),
        expires.into(),
    )
}

fn revoke(body: serde_json::Value) -> Resp {
    req("POST", "/api/tokens/revoke").bearer(&dispatch()).json(&body)
}

fn a_fix() -> serde_json::Value {
    json!({"lat": 53.4, "lon": -2.96, "recorded_at": at(0)})
}

#[test]
fn a_token_revoked_by_its_jti_is_refused_at_once_and_no_other() {
    let (job, _) = create_job(&[], "en_route");
    let (t1, jti1, _) = mint(&dispatch(), json!({"scope": "ingest", "job_id": job}));
    let (t2, jti2, _) = mint(&dispatch(), json!({"scope": "ingest", "job_id": job}));
    assert_ne!(jti1, jti2, "every minted token has its own jti");
    assert_eq!(post_fix(&job, &t1, a_fix()).status, 202);
    let r = revoke(json!({"jti": jti1}));
    assert_eq!(
        (r.status, r.json()["jti"].as_str()),
        (200, Some(jti1.as_str())),
        "{}",
        r.body
    );
    post_fix(&job, &t1, a_fix()).expect_error(401, "token_revoked");
    assert_eq!(post_fix(&job, &t2, a_fix()).status, 202, "only that token is revoked");
    // Revoking twice is harmless; a dispatch token can be revoked too.
    assert_eq!(revoke(json!({"jti": jti1})).status, 200);
    let (d, djti, _) = mint(&dispatch(), json!({"scope": "dispatch", "ttl_s": 600}));
    assert_eq!(req("GET", "/relay/status").bearer(&d).send().status, 200);
    revoke(json!({"jti": djti}));
    req("GET", "/relay/status")
        .bearer(&d)
        .send()
        .expect_error(401, "token_revoked");
}

#[test]
fn revoking_a_job_withdraws_its_links_and_tokens_and_nothing_else() {
    let (job, link) = create_job(&[], "en_route");
    let (other, other_link) = create_job(&[], "en_route");
    let ingest_token = ingest(&job); // signed without a jti, like a token from before jtis
    let (api_link, _, _) = mint(&dispatch(), json!({"scope": "track", "job_id": job}));
    assert_eq!(location(&link).status, 200);
    assert_eq!(post_fix(&job, &ingest_token, a_fix()).status, 202);
    let r = revoke(json!({"job_id": job}));
    assert_eq!(
        (r.status, r.json()["revoked"].as_str()),
        (200, Some("job")),
        "{}",
        r.body
    );
    // The customer's links: 410, so the page can say the link was withdrawn.
    location(&link).expect_error(410, "link_revoked");
    location(&api_link).expect_error(410, "link_revoked");
    req("GET", &format!("/api/jobs/{job}"))
        .bearer(&link)
        .send()
        .expect_error(410, "link_revoked");
    post_fix(&job, &ingest_token, a_fix()).expect_error(401, "token_revoked");
    // Other jobs keep their links; a link minted after the revocation (even within the same
    // second) works.
    assert_eq!(location(&other_link).status, 200);
    let (fresh, _, _) = mint(&dispatch(), json!({"scope": "track", "job_id": job}));
    assert_eq!(location(&fresh).status, 200);
    // The answer depends on the token alone: whichever job's path it is used on, existing or not.
    let on = |path_job: &str| {
        req("GET", &format!("/api/jobs/{path_job}/location"))
            .bearer(&link)
            .send()
    };
    let (a, b) = (on(&other), on("job_does_not_exist"));
    a.expect_error(410, "link_revoked");
    assert_eq!(a.body, b.body);
    assert_no_leak(&a, &other);
    revoke(json!({"job_id": "job_does_not_exist"})).expect_error(404, "job_not_found");
}

#[test]
fn revoking_needs_a_dispatch_token_and_one_target() {
    let (job, link) = create_job(&[], "en_route");
    req("POST", "/api/tokens/revoke")
        .bearer(&link)
        .json(&json!({"job_id": job}))
        .expect_error(403, "forbidden_scope");
    req("POST", "/api/tokens/revoke")
        .bearer(&ingest(&job))
        .json(&json!({"job_id": job}))
        .expect_error(403, "forbidden_scope");
    req("POST", "/api/tokens/revoke")
        .json(&json!({"job_id": job}))
        .expect_error(401, "token_missing");
    revoke(json!({})).expect_error(400, "invalid_revocation");
    revoke(json!({"jti": "tok_x", "job_id": job})).expect_error(400, "invalid_revocation");
    revoke(json!({"jti": "a b"})).expect_error(400, "invalid_id");
    assert_eq!(location(&link).status, 200, "a refused revocation revoked something");
}

#[test]
fn a_token_mints_nothing_that_outlives_or_outranks_it() {
    let (job, _) = create_job(&[], "en_route");
    // A dispatch token with two minutes left.
    let mut c = claims(Scope::Dispatch);
    c.exp = chrono::Utc::now().timestamp() + 120;
    let short = sign(&c);
    let caller_exp = chrono::DateTime::from_timestamp(c.exp, 0).unwrap();
    // Defaults (a year for ingest, 12 h for dispatch) are cut to the caller's life.
    let (ingest_token, _, exp) = mint(&short, json!({"scope": "ingest", "job_id": job}));
    assert!(exp <= caller_exp, "{exp} outlives {caller_exp}");
    assert!(
        exp > caller_exp - chrono::Duration::seconds(30),
        "cut further than needed: {exp}"
    );
    assert_eq!(post_fix(&job, &ingest_token, a_fix()).status, 202);
    let (child, _, child_exp) = mint(&short, json!({"scope": "dispatch"}));
    assert!(child_exp <= caller_exp);
    // Asking for longer is refused, by the caller and by what it minted.
    for caller in [&short, &child] {
        req("POST", "/api/tokens")
            .bearer(caller)
            .json(&json!({"scope": "dispatch", "ttl_s": 3600}))
            .expect_error(400, "ttl_exceeds_caller");
    }
    // Within its life, any lower scope.
    mint(&short, json!({"scope": "track", "job_id": job, "ttl_s": 60}));
    // A long-lived dispatch token still mints a year-long tracker token.
    let mut long = claims(Scope::Dispatch);
    long.exp = chrono::Utc::now().timestamp() + 400 * 86_400;
    let (_, _, exp) = mint(&sign(&long), json!({"scope": "ingest", "job_id": job}));
    assert!(exp > chrono::Utc::now() + chrono::Duration::days(365));
}
