//! The dispatcher console's sign-in: a code texted to a roster phone buys a session cookie
//! (HttpOnly, Secure, SameSite=Strict, 12 h) that the `/api/*` endpoints take like a dispatch
//! token; signing out kills it; a page of another site cannot use it to change anything; and
//! nothing in the answers tells who is on the roster.
//!
//! Each test sends from its own client address (`CF-Connecting-IP`, as Cloudflare sets it), so
//! the per-address limits of one test do not reach another.

use qdn_tests::*;
use serde_json::{json, Value};

/// The dispatchers signing in here: tiers of the shared test roster that the relay skips, and
/// its backup tier (only compared, never relayed to here).
fn val() -> &'static str {
    UNAVAILABLE_PHONE
}

fn ask_code(phone: &str, ip: &str) -> Resp {
    req("POST", "/api/session/code")
        .header("CF-Connecting-IP", ip)
        .json(&json!({ "phone": phone }))
}

fn sign_in(phone: &str, code: &str, ip: &str) -> Resp {
    req("POST", "/api/session")
        .header("CF-Connecting-IP", ip)
        .json(&json!({ "phone": phone, "code": code }))
}

/// The newest sign-in code texted to `phone`.
fn texted_code(phone: &str, after: usize) -> String {
    let text = wait_for("the sign-in code's text", 10, || {
        let sent = sent_to(phone, "QDN console code");
        (sent.len() > after).then(|| sent.last().cloned()).flatten()
    });
    text["body"].as_str().unwrap()[..6].to_string()
}

fn codes_sent_to(phone: &str) -> usize {
    sent_to(phone, "QDN console code").len()
}

fn cookie_of(r: &Resp) -> String {
    let set = r.header("set-cookie").expect("a Set-Cookie");
    set.split(';').next().unwrap().to_string()
}

fn with_cookie(method: &str, path: &str, cookie: &str) -> Req {
    req(method, path).header("Cookie", cookie)
}

fn new_job() -> Value {
    json!({
        "customer_name": "Console Test", "customer_phone": customer_phone(),
        "destination": {"lat": 41.88, "lon": -87.63}, "trailer_ids": [],
    })
}

#[test]
fn a_texted_code_signs_in_the_cookie_works_like_a_dispatch_token_and_sign_out_kills_it() {
    use_test_roster();
    let ip = "198.51.100.11";
    let before = codes_sent_to(val());
    let r = ask_code(val(), ip);
    assert_eq!(r.status, 202, "{}", r.body);
    let code = texted_code(val(), before);
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");

    let r = sign_in(val(), &code, ip);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["dispatcher_id"], "vacation");
    let set = r.header("set-cookie").unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set.split("; ").any(|a| a == attr), "{attr} missing in {set}");
    }
    let cookie = cookie_of(&r);
    assert!(!r.body.contains(&cookie[12..]), "the cookie's value is not in the body");

    // The same code does not sign in twice.
    sign_in(val(), &code, ip).expect_error(401, "code_invalid");

    let me = with_cookie("GET", "/api/session", &cookie).send();
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["name"], "Val");

    // Reads and same-origin writes, as a dispatch token would.
    let status = with_cookie("GET", "/relay/status", &cookie).send();
    assert_eq!(status.status, 200, "{}", status.body);
    let created = with_cookie("POST", "/api/jobs", &cookie)
        .header("Origin", &base())
        .json(&new_job());
    assert_eq!(created.status, 201, "{}", created.body);
    let job_id = created.json()["job_id"].as_str().unwrap().to_string();
    let read = with_cookie("GET", &format!("/api/jobs/{job_id}"), &cookie).send();
    assert_eq!(read.status, 200, "{}", read.body);
    let same_site_fetch = with_cookie("PATCH", &format!("/api/jobs/{job_id}"), &cookie)
        .header("Sec-Fetch-Site", "same-origin")
        .header("Origin", &base())
        .json(&json!({"status": "en_route"}));
    assert_eq!(same_site_fetch.status, 200, "{}", same_site_fetch.body);

    // A token minted through a session is a dispatch token like any other.
    let minted = with_cookie("POST", "/api/tokens", &cookie)
        .header("Origin", &base())
        .json(&json!({"scope": "track", "job_id": job_id}));
    assert_eq!(minted.status, 201, "{}", minted.body);

    let out = with_cookie("DELETE", "/api/session", &cookie)
        .header("Origin", &base())
        .send();
    assert_eq!(out.status, 204, "{}", out.body);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    with_cookie("GET", "/api/session", &cookie)
        .send()
        .expect_error(401, "session_invalid");
    with_cookie("GET", &format!("/api/jobs/{job_id}"), &cookie)
        .send()
        .expect_error(401, "session_invalid");
    with_cookie("POST", "/api/jobs", &cookie)
        .header("Origin", &base())
        .json(&new_job())
        .expect_error(401, "session_invalid");
}

#[test]
fn a_page_of_another_site_cannot_change_anything_with_the_cookie() {
    use_test_roster();
    let ip = "198.51.100.12";
    let phone = OFF_CALL_PHONE;
    let before = codes_sent_to(phone);
    assert_eq!(ask_code(phone, ip).status, 202);
    let code = texted_code(phone, before);
    let r = sign_in(phone, &code, ip);
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = cookie_of(&r);

    // A forged cross-origin POST, as a browser sends it from another site's form or fetch.
    let evil = "https://evil.example";
    with_cookie("POST", "/api/jobs", &cookie)
        .header("Origin", evil)
        .header("Sec-Fetch-Site", "cross-site")
        .json(&new_job())
        .expect_error(403, "cross_site_request");
    // Even with our Origin forged in, the browser's Sec-Fetch-Site gives it away.
    with_cookie("POST", "/api/jobs", &cookie)
        .header("Origin", &base())
        .header("Sec-Fetch-Site", "same-site")
        .json(&new_job())
        .expect_error(403, "cross_site_request");
    // A write with neither header proves nothing about who started it.
    with_cookie("PUT", "/api/relay/roster", &cookie)
        .json(&json!({"tiers": [{"dispatcher_id": "x", "phone": "+15550100199"}]}))
        .expect_error(403, "cross_site_request");
    // The roster was not changed by any of that.
    let roster = with_cookie("GET", "/api/relay/roster", &cookie).send();
    assert_eq!(roster.status, 200);
    assert!(roster.body.contains(OFF_CALL_PHONE), "{}", roster.body);
    // Signing out cross-site is refused too.
    with_cookie("DELETE", "/api/session", &cookie)
        .header("Origin", evil)
        .send()
        .expect_error(403, "cross_site_request");
    // A sign-in started by another site's page is refused before the body is read.
    req("POST", "/api/session/code")
        .header("Sec-Fetch-Site", "cross-site")
        .json(&json!({"phone": phone}))
        .expect_error(403, "cross_site_request");
    // Bearer tokens are not cookies: scripts keep working without Origin.
    let r = req("POST", "/api/jobs").bearer(&dispatch()).json(&new_job());
    assert_eq!(r.status, 201, "{}", r.body);
    // A made-up cookie is no session.
    with_cookie(
        "GET",
        "/api/relay/roster",
        "qdn_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .send()
    .expect_error(401, "session_invalid");
}

#[test]
fn a_phone_off_the_roster_gets_the_same_answers_and_no_text() {
    use_test_roster();
    let ip = "198.51.100.13";
    let stranger = customer_phone();
    let on_roster = handlers()[2].clone();
    let before = codes_sent_to(&on_roster);
    let a = ask_code(&on_roster, ip);
    let b = ask_code(&stranger, ip);
    assert_eq!(
        (a.status, &a.body),
        (b.status, &b.body),
        "roster and stranger answered alike"
    );
    assert_eq!(a.status, 202);
    let code = texted_code(&on_roster, before);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(sent_to(&stranger, "").is_empty(), "nothing is texted to a stranger");

    // A wrong code for the roster phone and any code for the stranger: the same refusal.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let x = sign_in(&on_roster, wrong, ip);
    let y = sign_in(&stranger, &code, ip);
    x.expect_error(401, "code_invalid");
    assert_eq!((x.status, &x.body), (y.status, &y.body));
    // The right code still works after one wrong try.
    let ok = sign_in(&on_roster, &code, ip);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["dispatcher_id"], "backup");
}

#[test]
fn five_wrong_codes_kill_the_code() {
    use_test_roster();
    let ip = "198.51.100.14";
    let phone = handlers()[1].clone();
    let before = codes_sent_to(&phone);
    assert_eq!(ask_code(&phone, ip).status, 202);
    let code = texted_code(&phone, before);
    let wrong = if code == "999999" { "999998" } else { "999999" };
    for _ in 0..5 {
        sign_in(&phone, wrong, ip).expect_error(401, "code_invalid");
    }
    sign_in(&phone, &code, ip).expect_error(401, "code_invalid");
}

#[test]
fn codes_are_rate_limited_per_phone_and_per_address() {
    // Per phone, across addresses: 3 codes in 15 minutes.
    let phone = customer_phone();
    for i in 0..3 {
        let r = ask_code(&phone, &format!("203.0.113.{}", 10 + i));
        assert_eq!(r.status, 202, "{}", r.body);
    }
    let r = ask_code(&phone, "203.0.113.20");
    r.expect_error(429, "rate_limited");
    assert!(r.header("retry-after").is_some());

    // Per address, across phones: 10 codes in 15 minutes.
    let ip = "203.0.113.99";
    for _ in 0..10 {
        let r = ask_code(&customer_phone(), ip);
        assert_eq!(r.status, 202, "{}", r.body);
    }
    ask_code(&customer_phone(), ip).expect_error(429, "rate_limited");

    // Wrong codes per address: 20 in 15 minutes, then even a right one waits.
    let ip = "203.0.113.98";
    for _ in 0..20 {
        sign_in(&customer_phone(), "123456", ip).expect_error(401, "code_invalid");
    }
    sign_in(&customer_phone(), "123456", ip).expect_error(429, "rate_limited");
}

#[test]
fn bad_sign_in_bodies_are_refused_with_their_codes() {
    let ip = "198.51.100.15";
    ask_code("555-0101", ip).expect_error(400, "invalid_phone");
    req("POST", "/api/session/code")
        .body("application/json", "{")
        .expect_error(400, "invalid_json");
    sign_in(val(), "12345", ip).expect_error(400, "invalid_code");
    sign_in(val(), "abcdef", ip).expect_error(400, "invalid_code");
    req("GET", "/api/session").send().expect_error(401, "session_invalid");
    req("PUT", "/api/session")
        .send()
        .expect_error(405, "method_not_allowed");
    // Signing out without a session is harmless.
    assert_eq!(req("DELETE", "/api/session").send().status, 204);
}
