//! D1 access, one module per table family. SQL stays here; handlers see typed rows.

pub mod alerts;
pub mod arrival;
pub mod devices;
pub mod fixes;
pub mod fleet;
pub mod jobs;
pub mod messages;
pub mod metrics;
pub mod notifications;
pub mod opt_outs;
pub mod reads;
pub mod revocations;
pub mod roster;
pub mod sessions;
pub mod thread;
pub mod trailers;
pub mod voice;

use wasm_bindgen::JsValue;
use worker::{D1Database, Env};

pub fn db(env: &Env) -> worker::Result<D1Database> {
    let d = env.d1("DB")?;
    Ok(if crate::meter::on(env) {
        crate::meter::wrap(d)
    } else {
        d
    })
}

/// Binds text.
pub fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

/// Binds milliseconds (well under 2^53, so exact as a JS number).
pub fn ms(t: chrono::DateTime<chrono::Utc>) -> JsValue {
    JsValue::from_f64(t.timestamp_millis() as f64)
}

/// Reads milliseconds back (a stored time is always valid).
pub fn time(ms: f64) -> chrono::DateTime<chrono::Utc> {
    qdn_shared::time::from_ms(ms as i64).unwrap_or_default()
}

pub fn opt_s(v: Option<&str>) -> JsValue {
    v.map_or(JsValue::NULL, JsValue::from_str)
}

pub fn changes(r: &worker::D1Result) -> usize {
    r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0)
}

/// A retention delete, `DELETE FROM <table> WHERE <time column> < ?1`; how many rows went.
pub async fn delete_before(env: &Env, sql: &str, cutoff: chrono::DateTime<chrono::Utc>) -> worker::Result<usize> {
    let r = db(env)?.prepare(sql).bind(&[ms(cutoff)])?.run().await?;
    Ok(changes(&r))
}
