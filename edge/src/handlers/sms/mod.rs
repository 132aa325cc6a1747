//! Twilio's SMS webhooks (signed).

pub mod delivery_status;
pub mod inbound;
pub mod relay_state;

/// Twilio message SIDs: `SM`/`MM` and 32 hex digits.
pub fn valid_sid(s: &str) -> bool {
    s.len() == 34 && (s.starts_with("SM") || s.starts_with("MM")) && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The form's `MessageSid`, checked.
pub fn message_sid(params: &[(String, String)]) -> crate::error::AppResult<String> {
    crate::twilio::param(params, "MessageSid")
        .filter(|s| valid_sid(s))
        .map(str::to_string)
        .ok_or_else(|| {
            crate::error::AppError::bad_request(
                "invalid_message_sid",
                "MessageSid must be SM or MM followed by 32 hex digits",
            )
        })
}
