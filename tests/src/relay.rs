//! The relay under test: signed webhooks in, the Twilio stand-in's sends out, the shared roster.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::http::resp;
use crate::{base, dispatch, env_or, req, standin, twilio, Resp, DISPATCHER_PHONES, OFF_CALL_PHONE, UNAVAILABLE_PHONE};

/// The roster's primary, secondary and backup dispatchers.
pub fn handlers() -> Vec<String> {
    env_or("QDN_HANDLERS", &DISPATCHER_PHONES.join(","))
        .split(',')
        .map(str::to_string)
        .collect()
}

/// The Twilio stand-in's URL.
pub fn standin_base() -> String {
    std::env::var("QDN_TWILIO_BASE").expect("QDN_TWILIO_BASE is not set: run with `cargo xtask test`")
}

/// POSTs a form to `path` signed like Twilio (`X-Twilio-Signature` over base + path).
pub fn twilio_post(path: &str, params: &[(&str, &str)]) -> Resp {
    let token = env_or("QDN_TWILIO_AUTH_TOKEN", "");
    resp(twilio::post_signed(&format!("{}{path}", base()), &token, params).map_err(|e| *e))
}

/// A text to the company number from `from`.
pub fn inbound_sms(sid: &str, from: &str, body: &str) -> Resp {
    let (base, token) = (base(), env_or("QDN_TWILIO_AUTH_TOKEN", ""));
    let hooks = twilio::Webhooks {
        base: &base,
        auth_token: &token,
    };
    resp(
        hooks
            .inbound_sms(sid, from, &env_or("QDN_COMPANY_NUMBER", ""), body)
            .map_err(|e| *e),
    )
}

/// The dispatcher at `phone` acknowledges the relay `reference` (`#XXXX`), which ends its cascade.
pub fn ack(phone: &str, reference: &str) -> Resp {
    inbound_sms(&twilio::message_sid(), phone, &format!("ACK {reference}"))
}

fn ok<T>(r: Result<T, String>) -> T {
    r.unwrap_or_else(|e| panic!("the Twilio stand-in: {e}"))
}

/// Texts the stand-in received, oldest first; only those whose body contains `needle`.
pub fn sent(needle: &str) -> Vec<Value> {
    ok(standin::sent(&standin_base(), needle))
}

pub fn sent_to(phone: &str, needle: &str) -> Vec<Value> {
    ok(standin::sent_to(&standin_base(), phone, needle))
}

/// See [`standin::add_rule`].
pub fn standin_rule(rule: Value) {
    ok(standin::add_rule(&standin_base(), rule))
}

pub fn standin_alerts() -> Vec<Value> {
    ok(standin::alerts(&standin_base()))
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

/// A call from `from` to the company number, played by the stand-in as Twilio would against the
/// stack's webhook at `path`; `answers` maps dispatcher phones to `no-answer`, `busy`, `silent`
/// or the digit they press. Returns the stand-in's account of it (see `qdn_tests::calls::play`).
pub fn standin_call(path: &str, from: &str, answers: Value, record: bool) -> Value {
    let body = json!({
        "url": format!("{}{path}", base()), "from": from, "to": env_or("QDN_COMPANY_NUMBER", ""),
        "answers": answers, "record": record,
    });
    ureq::post(&format!("{}/_standin/calls", standin_base()))
        .send_json(body)
        .unwrap_or_else(|e| panic!("the Twilio stand-in's call: {e}"))
        .into_json()
        .expect("the stand-in's account of the call")
}
