//! The relay's Worker side: one Durable Object per inbound message runs its cascade.

pub mod context;
pub mod object;

use qdn_shared::relay::message::{DeliveryStatus, MessageKind};
use serde::{Deserialize, Serialize};
use worker::{Env, Method, Request, RequestInit};

/// What the Worker (or another message's object) asks of a message's object.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// A customer's text or a voicemail: relay it through the roster.
    Relay {
        kind: MessageKind,
        from: String,
        body: String,
        /// An MMS's media URLs (their links are also in `body`).
        #[serde(default)]
        media: Vec<String>,
        /// The number written to (`To`).
        #[serde(default)]
        to: Option<String>,
        /// The job, when the webhook fixed it (`/api/jobs/{job_id}/sms-webhook`); otherwise the
        /// sender's most active open job.
        #[serde(default)]
        job_id: Option<String>,
        /// A fault to inject, honoured only when `QDN_TEST_FAULTS` is set (the test stack).
        #[serde(default)]
        fault: Option<TestFault>,
    },
    /// A dispatcher's text: run it once, however often Twilio delivers it.
    Command {
        from: String,
        body: String,
    },
    Ack {
        by: String,
    },
    Reply {
        by: String,
        text: String,
    },
    Delivery {
        sid: String,
        status: DeliveryStatus,
        code: Option<u32>,
    },
}

/// Faults the test stack injects to show that nothing is lost when storage fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestFault {
    /// Storing the message fails after its D1 record, before the object's own storage.
    Storage,
    /// The alarm at the end of the ACK wait fails twice, as a D1 outage would make it.
    AckWaitAlarm,
}

impl TestFault {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "storage" => Some(TestFault::Storage),
            "ack_wait_alarm" => Some(TestFault::AckWaitAlarm),
            _ => None,
        }
    }
}

/// Hands `op` to the object named `name` (an inbound MessageSid or RecordingSid).
pub async fn tell(env: &Env, name: &str, op: &Op) -> worker::Result<serde_json::Value> {
    let stub = env.durable_object("RELAY")?.id_from_name(name)?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(
        serde_json::to_string(op)
            .map_err(|e| worker::Error::RustError(e.to_string()))?
            .into(),
    ));
    let req = Request::new_with_init(&format!("https://relay.invalid/{name}"), &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    resp.json().await
}
