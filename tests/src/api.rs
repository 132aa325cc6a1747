//! The stack's JSON API, with tokens signed by the test secret: jobs, fixes, trailers.

use chrono::Utc;
use qdn_shared::token::{Claims, Scope};
use serde_json::{json, Value};

use crate::{req, secret, tokens, uid, Resp};

/// Claims for `scope`, valid for an hour from now.
pub fn claims(scope: Scope) -> Claims {
    tokens::claims(scope, None, 3600)
}

pub fn sign(c: &Claims) -> String {
    tokens::sign(&secret(), c)
}

pub fn dispatch() -> String {
    tokens::mint(&secret(), Scope::Dispatch, None, 3600)
}

pub fn track(job_id: &str) -> String {
    tokens::mint(&secret(), Scope::Track, Some(job_id), 3600)
}

pub fn ingest(job_id: &str) -> String {
    tokens::mint(&secret(), Scope::Ingest, Some(job_id), 3600)
}

pub fn ingest_trailer(trailer_id: &str) -> String {
    let mut c = claims(Scope::Ingest);
    c.trailer_id = Some(trailer_id.into());
    sign(&c)
}

/// RFC 3339 for now + `offset_s`.
pub fn at(offset_s: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(offset_s)).to_rfc3339()
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

/// A dispatcher's PATCH of the job.
pub fn patch_job(job_id: &str, patch: Value) -> Resp {
    req("PATCH", &format!("/api/jobs/{job_id}"))
        .bearer(&dispatch())
        .json(&patch)
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
