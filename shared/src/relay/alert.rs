//! The kinds of alert the relay raises, each rate-limited on its own.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Nobody acknowledged a customer's message.
    Exhausted,
    /// A dispatcher's phone cannot receive texts (opted out, landline).
    Unreachable,
    /// The relay failed over more often than usual in the last hour.
    Failovers,
    /// A tier stopped sending heartbeats and is being skipped.
    Heartbeat,
    /// No tier was eligible: the message went to the last tier anyway.
    NoneEligible,
    /// Twilio could not say whether a text went out; the cascade moved on.
    TwilioLookup,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Exhausted => "exhausted",
            AlertKind::Unreachable => "unreachable",
            AlertKind::Failovers => "failovers",
            AlertKind::Heartbeat => "heartbeat",
            AlertKind::NoneEligible => "none_eligible",
            AlertKind::TwilioLookup => "twilio_lookup",
        }
    }
}
