//! Which of a job's inbound messages this dispatcher has seen: per browser, in localStorage
//! (`qdn.seen`, job id → the newest inbound message's time, in ms, when the thread was last
//! open). Nothing is stored server-side, so another browser starts with everything unread.

use serde_json::{Map, Value};

const KEY: &str = "qdn.seen";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn load() -> Map<String, Value> {
    storage()
        .and_then(|s| s.get_item(KEY).ok()?)
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// The newest inbound time seen on `job`, in ms (0: never opened here).
pub fn get(job: &str) -> f64 {
    load().get(job).and_then(Value::as_f64).unwrap_or(0.0)
}

/// Records that the thread of `job` was open with inbound messages up to `at_ms`.
pub fn mark(job: &str, at_ms: f64) {
    let mut all = load();
    if all.get(job).and_then(Value::as_f64).unwrap_or(0.0) >= at_ms {
        return;
    }
    all.insert(job.to_string(), at_ms.into());
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, &Value::Object(all).to_string());
    }
}

/// The times (ms) of a thread's inbound messages (`messages` of `GET /api/jobs/{id}`).
pub fn inbound_ms(job: &Value) -> Vec<f64> {
    job["messages"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|m| m["direction"] == "in")
                .filter_map(|m| m["at"].as_str())
                .map(js_sys::Date::parse)
                .filter(|t| !t.is_nan())
                .collect()
        })
        .unwrap_or_default()
}
