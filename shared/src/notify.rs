//! Texts to a job's customer: the request, and what became of each sender tried.

use serde::{Deserialize, Serialize};

use crate::body::{Field, Invalid, RequestBody};

/// Longest text a dispatcher may send (Twilio's own limit for one message).
pub const MAX_TEXT_CHARS: usize = 1600;

/// `POST /notify/sms` `{"job_id", "body"}`.
#[derive(Debug, Deserialize)]
pub struct NotifyBody {
    #[serde(default)]
    pub job_id: Field<String>,
    #[serde(default)]
    pub body: Field<String>,
}

impl RequestBody for NotifyBody {}

impl NotifyBody {
    /// The job id and the trimmed text.
    pub fn validate(self) -> Result<(String, String), Invalid> {
        let job_id = match self.job_id {
            Field::Value(j) if crate::job::valid_id(&j) => j,
            _ => return Err(Invalid::new("invalid_job_id", "job_id is required")),
        };
        match self.body {
            Field::Value(b) if !b.trim().is_empty() && b.trim().chars().count() <= MAX_TEXT_CHARS => {
                Ok((job_id, b.trim().to_string()))
            }
            _ => Err(Invalid::new(
                "invalid_body",
                format!("body must be 1 to {MAX_TEXT_CHARS} characters"),
            )),
        }
    }
}

/// `POST /api/jobs/{job_id}/messages` `{"body", "dispatcher_id"?}`.
#[derive(Debug, Deserialize)]
pub struct JobMessageBody {
    #[serde(default)]
    pub body: Field<String>,
    #[serde(default)]
    pub dispatcher_id: Field<String>,
}

impl RequestBody for JobMessageBody {}

impl JobMessageBody {
    /// The trimmed text and who sends it (checked against the roster by the caller).
    pub fn validate(self) -> Result<(String, Option<String>), Invalid> {
        let dispatcher_id = match self.dispatcher_id {
            Field::Absent | Field::Null => None,
            Field::Value(d) if !d.is_empty() && d.len() <= 64 => Some(d),
            _ => {
                return Err(Invalid::new(
                    "invalid_dispatcher_id",
                    "dispatcher_id must be a roster dispatcher_id",
                ))
            }
        };
        match self.body {
            Field::Value(b) if !b.trim().is_empty() && b.trim().chars().count() <= MAX_TEXT_CHARS => {
                Ok((b.trim().to_string(), dispatcher_id))
            }
            _ => Err(Invalid::new(
                "invalid_body",
                format!("body must be 1 to {MAX_TEXT_CHARS} characters"),
            )),
        }
    }
}

/// What one sender number's attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendStatus {
    /// Twilio accepted it (its delivery callback may still say otherwise).
    Sent,
    /// The recipient cannot get texts (opted out, landline): no other sender is tried.
    Unreachable,
    /// Twilio refused or did not answer: the next sender is tried.
    Refused,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendAttempt {
    pub from: String,
    pub sid: Option<String>,
    pub status: SendStatus,
    pub error_code: Option<u32>,
}
