//! Twilio's SMS webhooks (signed).

pub mod delivery_status;
pub mod inbound;

/// Twilio message SIDs: `SM`/`MM` and 32 hex digits.
pub fn valid_sid(s: &str) -> bool {
    s.len() == 34 && (s.starts_with("SM") || s.starts_with("MM")) && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}
