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

/// `POST /api/jobs/{job_id}/read` `{"until"?}`: the signed-in dispatcher has read the job's
/// thread up to `until` (RFC 3339; absent or `null`: now).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ReadBody {
    #[serde(default)]
    pub until: crate::body::Field<String>,
}

impl crate::body::RequestBody for ReadBody {}

impl ReadBody {
    /// The time read up to: never later than `now` (a mark in the future would hide what has
    /// not arrived yet).
    pub fn validate(
        self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<chrono::DateTime<chrono::Utc>, crate::body::Invalid> {
        let until = self
            .until
            .optional(invalid_until)?
            .map(|s| crate::time::parse_timestamp(&s).ok_or_else(invalid_until))
            .transpose()?;
        Ok(until.map_or(now, |u| u.min(now)))
    }
}

fn invalid_until() -> crate::body::Invalid {
    crate::body::Invalid::new("invalid_until", "until must be an RFC 3339 time")
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn a_read_mark_is_now_or_earlier_and_a_bad_time_is_refused() {
        let now = crate::time::parse_timestamp("2026-11-22T12:00:00Z").unwrap();
        let body = |json: &str| crate::body::parse::<ReadBody>(json.as_bytes()).unwrap().validate(now);
        assert_eq!(body("{}").unwrap(), now);
        assert_eq!(body(r#"{"until": null}"#).unwrap(), now);
        assert_eq!(
            body(r#"{"until": "2026-11-22T11:00:00Z"}"#).unwrap(),
            now - chrono::Duration::hours(1)
        );
        assert_eq!(
            body(r#"{"until": "2026-11-23T11:00:00Z"}"#).unwrap(),
            now,
            "never in the future"
        );
        for bad in [r#"{"until": "yesterday"}"#, r#"{"until": 5}"#] {
            assert_eq!(body(bad).unwrap_err().code, "invalid_until", "{bad}");
        }
    }
}
