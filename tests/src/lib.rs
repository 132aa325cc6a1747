//! Helpers for the HTTP tests in `tests/tests/`, which run against a live `wrangler dev`
//! started by `cargo xtask test` (it sets `QDN_BASE_URL` and `QDN_JWT_SECRET`).

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{Duration, Utc};
use qdn_shared::token::{self, Claims, Scope};
use serde_json::{json, Value};

pub fn base() -> String {
    std::env::var("QDN_BASE_URL").expect("QDN_BASE_URL is not set: run these tests with `cargo xtask test`")
}

pub fn secret() -> String {
    std::env::var("QDN_JWT_SECRET").expect("QDN_JWT_SECRET is not set: run these tests with `cargo xtask test`")
}

pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// An id no other test (or run) uses.
pub fn uid(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}{}{}{n}",
        std::process::id(),
        Utc::now().timestamp_subsec_nanos() % 100_000
    )
}

pub fn claims(scope: Scope) -> Claims {
    Claims::new(scope, Utc::now().timestamp(), 3600)
}

pub fn sign(c: &Claims) -> String {
    token::sign(c, secret().as_bytes())
}

pub fn dispatch() -> String {
    sign(&claims(Scope::Dispatch))
}

pub fn track(job_id: &str) -> String {
    let mut c = claims(Scope::Track);
    c.job_id = Some(job_id.into());
    sign(&c)
}

pub fn ingest(job_id: &str) -> String {
    let mut c = claims(Scope::Ingest);
    c.job_id = Some(job_id.into());
    sign(&c)
}

pub fn ingest_trailer(trailer_id: &str) -> String {
    let mut c = claims(Scope::Ingest);
    c.trailer_id = Some(trailer_id.into());
    sign(&c)
}

/// RFC 3339 for now + `offset_s`.
pub fn at(offset_s: i64) -> String {
    (Utc::now() + Duration::seconds(offset_s)).to_rfc3339()
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    /// Asserts the contract's error shape and code.
    pub fn expect_error(&self, status: u16, code: &str) -> &Self {
        assert_eq!(
            self.status, status,
            "expected {status} {code}, got {}: {}",
            self.status, self.body
        );
        let v = self.json();
        assert_eq!(v["error"], code, "{}", self.body);
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "no message: {}",
            self.body
        );
        assert!(self
            .header("content-type")
            .is_some_and(|c| c.contains("application/json")));
        self
    }
}

pub struct Req {
    inner: ureq::Request,
}

pub fn req(method: &str, path: &str) -> Req {
    Req {
        inner: ureq::request(method, &format!("{}{path}", base())).timeout(std::time::Duration::from_secs(30)),
    }
}

impl Req {
    pub fn bearer(self, t: &str) -> Self {
        self.header("Authorization", &format!("Bearer {t}"))
    }

    pub fn header(self, k: &str, v: &str) -> Self {
        Req {
            inner: self.inner.set(k, v),
        }
    }

    pub fn send(self) -> Resp {
        resp(self.inner.call())
    }

    pub fn json(self, v: &Value) -> Resp {
        resp(self.inner.send_json(v))
    }

    pub fn body(self, content_type: &str, body: &str) -> Resp {
        resp(self.inner.set("Content-Type", content_type).send_string(body))
    }
}

fn resp(r: Result<ureq::Response, ureq::Error>) -> Resp {
    let r = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = r.status();
    let headers = r
        .headers_names()
        .into_iter()
        .filter_map(|n| r.header(&n).map(|v| (n.clone(), v.to_string())))
        .collect();
    let body = r.into_string().unwrap_or_default();
    Resp { status, headers, body }
}

/// A demo destination (Liverpool) and positions approaching it from the south.
pub const DEST: (f64, f64) = (53.4300, -2.9600);

pub fn approach(step: usize) -> (f64, f64) {
    (53.3900 + step as f64 * 0.002, -2.9600)
}

/// Creates a job (status `en_route` unless given) with fresh trailers; returns (job_id, track token).
pub fn create_job(trailers: &[&str], status: &str) -> (String, String) {
    let r = req("POST", "/api/jobs").bearer(&dispatch()).json(&json!({
        "customer_name": "Test Customer",
        "customer_phone": "+15550109999",
        "destination": { "lat": DEST.0, "lon": DEST.1, "address": "1 Test Street" },
        "trailer_ids": trailers,
        "status": status,
    }));
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    (
        v["job_id"].as_str().unwrap().to_string(),
        v["track_token"].as_str().unwrap().to_string(),
    )
}

pub fn post_fix(job_id: &str, token: &str, fix: Value) -> Resp {
    req("POST", &format!("/api/jobs/{job_id}/location"))
        .bearer(token)
        .json(&fix)
}

pub fn location(track_token: &str) -> Resp {
    req("GET", &format!("/api/jobs/{track_token}/location")).send()
}

/// Registers `device_id` on a new trailer; returns the trailer id.
pub fn register_device(device_id: &str) -> String {
    let trailer = uid("TR");
    let r = req("PUT", &format!("/api/trailers/{trailer}"))
        .bearer(&dispatch())
        .json(&json!({ "device_id": device_id }));
    assert_eq!(r.status, 200, "{}", r.body);
    trailer
}

// ---- Twilio: signed webhooks and the stand-in --------------------------------------------

pub fn handlers() -> Vec<String> {
    env_or("QDN_HANDLERS", "+15550100101,+15550100102,+15550100103")
        .split(',')
        .map(str::to_string)
        .collect()
}

pub fn standin() -> String {
    std::env::var("QDN_TWILIO_BASE").expect("QDN_TWILIO_BASE is not set: run with `cargo xtask test`")
}

/// A fresh Twilio-shaped SID (`SM` + 32 hex).
pub fn message_sid() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed) as u128;
    let t = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u128;
    format!("SM{:032x}", (t << 24) ^ ((std::process::id() as u128) << 12) ^ n)
}

/// A phone number no other test uses.
pub fn customer_phone() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let seed = (Utc::now().timestamp_subsec_micros() + std::process::id() * 7 + n * 7919) % 10_000_000;
    format!("+1555{:07}", seed)
}

/// POSTs a form to `path` signed like Twilio (`X-Twilio-Signature` over base + path).
pub fn twilio_post(path: &str, params: &[(&str, &str)]) -> Resp {
    let url = format!("{}{path}", base());
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let sig = qdn_shared::twilio::signature(&env_or("QDN_TWILIO_AUTH_TOKEN", ""), &url, &owned);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(owned.iter())
        .finish();
    req("POST", path)
        .header("X-Twilio-Signature", &sig)
        .body("application/x-www-form-urlencoded", &body)
}

/// A text to the company number from `from`.
pub fn inbound_sms(sid: &str, from: &str, body: &str) -> Resp {
    twilio_post(
        "/sms/inbound",
        &[
            ("MessageSid", sid),
            ("SmsSid", sid),
            ("AccountSid", "AC0"),
            ("From", from),
            ("To", &env_or("QDN_COMPANY_NUMBER", "")),
            ("Body", body),
            ("NumMedia", "0"),
        ],
    )
}

/// Texts the stand-in received, oldest first; only those whose body contains `needle`.
pub fn sent(needle: &str) -> Vec<Value> {
    let list: Value = ureq::get(&format!("{}/_standin/sent", standin()))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .filter(|m| m["body"].as_str().is_some_and(|b| b.contains(needle)))
        .cloned()
        .collect()
}

pub fn sent_to(phone: &str, needle: &str) -> Vec<Value> {
    sent(needle).into_iter().filter(|m| m["to"] == phone).collect()
}

/// Makes the stand-in answer sends matching `rule` (`to`, `body_contains`) as told
/// (`status`, `code`, `times`, `delay_ms`, `callback`, `callback_code`).
pub fn standin_rule(rule: Value) {
    ureq::post(&format!("{}/_standin/rules", standin()))
        .send_json(rule)
        .unwrap();
}

pub fn standin_alerts() -> Vec<Value> {
    let v: Value = ureq::get(&format!("{}/_standin/alerts", standin()))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    v.as_array().cloned().unwrap_or_default()
}

/// Polls `f` until it returns Some, for up to `secs` seconds.
pub fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {secs}s waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(150));
    }
}

/// The relay reference (`#XXXX`) in a relayed text.
pub fn reference_in(body: &str) -> String {
    body.split_whitespace().next().unwrap_or_default().to_string()
}

/// The relay's status entry of a message.
pub fn relay_message(sid: &str) -> Option<Value> {
    let v = req("GET", "/relay/status").bearer(&dispatch()).send().json();
    v["messages"]
        .as_array()?
        .iter()
        .find(|m| m["message_sid"] == sid)
        .cloned()
}

/// Phones of the two tiers the relay must always skip in the shared test roster.
pub const UNAVAILABLE_PHONE: &str = "+15550100104";
pub const OFF_CALL_PHONE: &str = "+15550100105";

/// The roster every relay test shares: primary, an unavailable tier, a tier off call (its
/// window starts two hours from now), secondary, backup; 5 s to ACK, 1 s backoff.
pub fn use_test_roster() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let h = handlers();
        let later = (Utc::now() + Duration::hours(2)).format("%H:00").to_string();
        let end = (Utc::now() + Duration::hours(3)).format("%H:00").to_string();
        let r = req("PUT", "/api/relay/roster").bearer(&dispatch()).json(&json!({
            "tiers": [
                {"dispatcher_id": "primary", "name": "Pat", "phone": h[0]},
                {"dispatcher_id": "vacation", "name": "Val", "phone": UNAVAILABLE_PHONE, "available": false},
                {"dispatcher_id": "night", "name": "Nik", "phone": OFF_CALL_PHONE,
                 "on_call": {"tz": "Etc/UTC", "from": later, "to": end}},
                {"dispatcher_id": "secondary", "name": "Sam", "phone": h[1]},
                {"dispatcher_id": "backup", "name": "Bo", "phone": h[2]},
            ],
            "ack_timeout_s": 5, "backoff_s": [1, 1, 1], "heartbeat_stale_s": 600,
        }));
        assert_eq!(r.status, 200, "{}", r.body);
    });
}
