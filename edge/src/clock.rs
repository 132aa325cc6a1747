//! The time, from the JavaScript clock (`SystemTime::now()` panics on wasm32).

use chrono::{DateTime, Utc};

pub fn now() -> DateTime<Utc> {
    qdn_shared::time::from_ms(js_sys::Date::now() as i64).unwrap_or_default()
}
