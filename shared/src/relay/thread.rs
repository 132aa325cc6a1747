//! A job's thread: every text and call between its customer and us, as the dispatch API shows it
//! (`GET /api/jobs/{job_id}` `messages`, `message-status`, `call-status`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Mms,
    Voice,
    Voicemail,
}

/// Why we texted the customer (the `notifications.source` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `POST /notify/sms`.
    Notify,
    /// `POST /api/jobs/{job_id}/messages`.
    Dispatcher,
    /// A dispatcher's `#REF text` by SMS.
    Reply,
    /// The text that goes with a status change.
    Status,
    /// Any other automatic notice (arrival, running late).
    Automatic,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Notify => "notify",
            Source::Dispatcher => "dispatcher",
            Source::Reply => "reply",
            Source::Status => "status",
            Source::Automatic => "automatic",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        [
            Source::Notify,
            Source::Dispatcher,
            Source::Reply,
            Source::Status,
            Source::Automatic,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// One try at getting a message through: a tier texted or rung for the customer's message, or a
/// sender number tried for ours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub n: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatcher_id: Option<String>,
    /// Our sender (number or Messaging Service SID), for our texts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub to: String,
    pub at: String,
    #[serde(default)]
    pub twilio_sid: Option<String>,
    pub status: String,
    #[serde(default)]
    pub error_code: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The inbound MessageSid, RecordingSid or CallSid; our message's `message_id`.
    pub id: String,
    pub direction: Direction,
    pub channel: Channel,
    pub from: String,
    pub to: String,
    pub body: String,
    pub media: Vec<String>,
    /// RFC 3339.
    pub at: String,
    /// The customer's message: its relay's state (`open`, `acked`, `exhausted`); a call:
    /// `ringing`, `answered`, `voicemail`, `missed`; ours: the last attempt's delivery status.
    pub status: String,
    /// Who handled it: the dispatcher who acknowledged or took the call, or who sent ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispatcher_id: Option<String>,
    /// The relay's reference of a customer's text or voicemail (`#K7Q2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#ref: Option<String>,
    /// Why we sent ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Every attempt (only in `message-status` and `call-status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Vec<Attempt>>,
}

/// The thread's order: oldest first, ties in a stable order.
pub fn sort(messages: &mut [Message]) {
    messages.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
}
