//! An inbound message's kind and state, and Twilio's delivery status of the texts we send.

use serde::{Deserialize, Serialize};

/// What came in to the company number and is relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Sms,
    Voicemail,
}

/// Where a relayed message's cascade stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    Open,
    Acked,
    Exhausted,
}

macro_rules! words {
    ($t:ty { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)* _ => None }
            }
        }
    };
}

words!(MessageKind { Sms => "sms", Voicemail => "voicemail" });
words!(MessageState { Open => "open", Acked => "acked", Exhausted => "exhausted" });

/// Twilio's `MessageStatus` (its OpenAPI's `message_enum_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Queued,
    Sending,
    Sent,
    Failed,
    Delivered,
    Undelivered,
    Receiving,
    Received,
    Accepted,
    Scheduled,
    Read,
    PartiallyDelivered,
    Canceled,
}

words!(DeliveryStatus {
    Queued => "queued",
    Sending => "sending",
    Sent => "sent",
    Failed => "failed",
    Delivered => "delivered",
    Undelivered => "undelivered",
    Receiving => "receiving",
    Received => "received",
    Accepted => "accepted",
    Scheduled => "scheduled",
    Read => "read",
    PartiallyDelivered => "partially_delivered",
    Canceled => "canceled",
});

impl DeliveryStatus {
    /// The text will not arrive: escalate, or send it again from another number.
    pub fn is_failure(self) -> bool {
        matches!(self, DeliveryStatus::Failed | DeliveryStatus::Undelivered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_as_stored_and_as_twilio_sends_them() {
        for k in [MessageKind::Sms, MessageKind::Voicemail] {
            assert_eq!(MessageKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        for s in [MessageState::Open, MessageState::Acked, MessageState::Exhausted] {
            assert_eq!(serde_json::from_value::<MessageState>(s.as_str().into()).unwrap(), s);
        }
        assert_eq!(
            DeliveryStatus::parse("partially_delivered"),
            Some(DeliveryStatus::PartiallyDelivered)
        );
        assert_eq!(DeliveryStatus::parse("lost"), None);
        assert!(DeliveryStatus::Undelivered.is_failure() && !DeliveryStatus::Delivered.is_failure());
    }
}
