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
        /// A test-only fault: fail after the D1 record, before the object's storage (honoured
        /// only when `QDN_TEST_FAULTS` is set, as in the test stack).
        #[serde(default)]
        fail_before_store: bool,
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
