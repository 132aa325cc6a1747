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
