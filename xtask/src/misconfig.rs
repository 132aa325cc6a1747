//! A Worker started with a weak or published `JWT_SECRET` refuses every request with a 503
//! `misconfigured` that names the setting and never shows its value (in the answer or the log).

use crate::fixture::Fixture;
use crate::stack::Options;
use crate::tools::Tools;
use crate::util::{free_port, read_vars, root, step, Result};

pub fn run(tools: &Tools, fx: &Fixture) -> Result {
    step("a misconfigured Worker refuses every request");
    let example = read_vars(&root().join(".dev.vars.example"))
        .into_iter()
        .find(|(k, _)| k == "JWT_SECRET")
        .map(|(_, v)| v)
        .ok_or(".dev.vars.example has no JWT_SECRET")?;
    let cases = [
        ("short", "short-secret-4c1d9e", None),
        ("example", example.as_str(), Some("https://track.example.com")),
    ];
    for (case, secret, public) in cases {
        let mut vars = fx.vars.clone();
        for (k, v) in vars.iter_mut() {
            match (k.as_str(), public) {
                ("JWT_SECRET", _) => *v = secret.to_string(),
                ("PUBLIC_BASE_URL", Some(p)) => *v = p.to_string(),
                _ => {}
            }
        }
        let stack = fx.start_with(
            tools,
            Options {
                port: free_port(),
                vars: &vars,
                ..fx.options()
            },
        )?;
        for (method, path) in [
            ("GET", "/healthz"),
            ("GET", "/track?job_id=x"),
            ("GET", "/api/jobs/job_x/location"),
            ("POST", "/api/tokens"),
            ("POST", "/ingest/osmand?id=d&lat=1&lon=2"),
            ("POST", "/sms/inbound"),
            ("OPTIONS", "/api/jobs"),
        ] {
            let resp = match ureq::request(method, &format!("{}{path}", stack.base_url)).call() {
                Ok(r) | Err(ureq::Error::Status(_, r)) => r,
                Err(e) => return Err(format!("{case}: {method} {path}: {e}")),
            };
            let status = resp.status();
            let body = resp.into_string().unwrap_or_default();
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let named = v["message"].as_str().is_some_and(|m| m.contains("JWT_SECRET"));
            if status != 503 || v["error"] != "misconfigured" || !named || body.contains(secret) {
                return Err(format!("{case} secret: {method} {path} answered {status} {body}"));
            }
        }
    }
    let log = std::fs::read_to_string(&fx.log).map_err(|e| e.to_string())?;
    for (case, secret, _) in cases {
        if log.contains(secret) {
            return Err(format!("the {case} secret is in the wrangler dev output"));
        }
    }
    if !log.contains("misconfigured: JWT_SECRET is shorter than 32 bytes") {
        return Err("the misconfiguration is not in the wrangler dev output".into());
    }
    Ok(())
}
