//! Wall-clock time in a dispatcher's IANA zone, from the JavaScript runtime's `Intl` (no time
//! zone database in the wasm): the Worker (workerd) and the console (a browser) read on-call hours
//! the same way. Unknown zones are reported, never thrown.

use chrono::{DateTime, Utc, Weekday};
use js_sys::{Array, Function, Object, Reflect};
use qdn_shared::relay::roster::LocalTime;
use wasm_bindgen::{JsCast, JsValue};

pub struct Intl;

fn formatter(tz: &str) -> Option<JsValue> {
    let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let ctor: Function = Reflect::get(&intl, &"DateTimeFormat".into()).ok()?.dyn_into().ok()?;
    let opts = Object::new();
    for (k, v) in [
        ("timeZone", tz),
        ("weekday", "short"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("hourCycle", "h23"),
    ] {
        Reflect::set(&opts, &k.into(), &v.into()).ok()?;
    }
    // A RangeError for an unknown zone comes back as Err, not a trap.
    Reflect::construct(&ctor, &Array::of2(&"en-US".into(), &opts)).ok()
}

pub fn valid_tz(tz: &str) -> bool {
    !tz.is_empty() && tz.len() <= 64 && formatter(tz).is_some()
}

impl LocalTime for Intl {
    fn local(&self, tz: &str, at: DateTime<Utc>) -> Option<(Weekday, u32)> {
        let f = formatter(tz)?;
        let to_parts: Function = Reflect::get(&f, &"formatToParts".into()).ok()?.dyn_into().ok()?;
        let date = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
        let parts: Array = to_parts.call1(&f, &date).ok()?.dyn_into().ok()?;
        let (mut day, mut hour, mut minute) = (None, None, None);
        for p in parts.iter() {
            let kind = Reflect::get(&p, &"type".into()).ok()?.as_string()?;
            let value = Reflect::get(&p, &"value".into()).ok()?.as_string()?;
            match kind.as_str() {
                "weekday" => day = qdn_shared::relay::roster::weekday(&value[..3.min(value.len())]),
                "hour" => hour = value.parse::<u32>().ok(),
                "minute" => minute = value.parse::<u32>().ok(),
                _ => {}
            }
        }
        Some((day?, hour? % 24 * 60 + minute?))
    }
}
