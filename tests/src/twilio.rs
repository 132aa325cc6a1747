//! Twilio's side of the webhooks: SIDs and form POSTs signed the way Twilio signs them.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::Utc;

/// A fresh Twilio-shaped SID: `prefix` (`SM` a message, `RE` a recording) and 32 hex digits.
pub fn sid(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed) as u128;
    let t = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u128;
    format!("{prefix}{:032x}", (t << 24) ^ ((std::process::id() as u128) << 12) ^ n)
}

pub fn message_sid() -> String {
    sid("SM")
}

/// POSTs `params` form-encoded to `url` with `X-Twilio-Signature` over the URL and the
/// parameters, signed with `auth_token` as Twilio signs its webhooks and status callbacks.
/// An answer of 4xx/5xx is an `Err` holding `ureq::Error::Status`.
pub fn post_signed(url: &str, auth_token: &str, params: &[(&str, &str)]) -> Result<ureq::Response, Box<ureq::Error>> {
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let signature = qdn_shared::twilio::signature(auth_token, url, &owned);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(owned.iter())
        .finish();
    ureq::post(url)
        .set("X-Twilio-Signature", &signature)
        .set("Content-Type", "application/x-www-form-urlencoded")
        .timeout(Duration::from_secs(30))
        .send_string(&body)
        .map_err(Box::new)
}

/// The stack's webhooks, as Twilio calls them.
pub struct Webhooks<'a> {
    /// The stack's base URL.
    pub base: &'a str,
    pub auth_token: &'a str,
}

impl Webhooks<'_> {
    pub fn post(&self, path: &str, params: &[(&str, &str)]) -> Result<ureq::Response, Box<ureq::Error>> {
        post_signed(&format!("{}{path}", self.base), self.auth_token, params)
    }

    /// A text from `from` to the company number `to`, as Twilio posts it to `/sms/inbound`.
    pub fn inbound_sms(&self, sid: &str, from: &str, to: &str, body: &str) -> Result<ureq::Response, Box<ureq::Error>> {
        self.post(
            "/sms/inbound",
            &[
                ("MessageSid", sid),
                ("SmsSid", sid),
                ("AccountSid", "AC0"),
                ("From", from),
                ("To", to),
                ("Body", body),
                ("NumMedia", "0"),
            ],
        )
    }
}
