//! Requests to the stack under test, and its answers whatever their status.

use serde_json::Value;

use crate::base;

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

/// The answer, 4xx and 5xx included; only a failed connection panics.
pub fn resp(r: Result<ureq::Response, ureq::Error>) -> Resp {
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
