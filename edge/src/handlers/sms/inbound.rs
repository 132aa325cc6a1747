//! `POST /sms/inbound`: a text to the company number. The message's Durable Object (named by its
//! SID, so Twilio's retries relay once) stores it before Twilio gets `<Response/>`: a failure
//! there is a 5xx, which Twilio retries. A roster phone's text is a dispatcher command, anyone
//! else's is relayed (by the object's alarm, after the answer) — a picture message with its media
//! links (`MediaUrl{N}`), also when it has no text; a customer's STOP/START also opts them out of /
//! back into automatic texts.

use qdn_shared::relay::command::RELAYED_BODY_MAX;
use qdn_shared::relay::message::MessageKind;
use qdn_shared::twilio::Inbound;
use worker::{Env, Request};

use crate::error::AppResult;
use crate::relay::{self, Op, TestFault};
use crate::twilio::{param, twiml, verified_form};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    receive(req, env, None).await
}

/// The text, attached to `job_id` when the webhook fixes it (`/api/jobs/{job_id}/sms-webhook`),
/// else to the sender's most active open job.
pub async fn receive(req: &mut Request, env: &Env, job_id: Option<String>) -> AppResult {
    let params = verified_form(req, env).await?;
    if let Some(job) = &job_id {
        crate::handlers::jobs::webhooks::require_job(env, job).await?;
    }
    let sid = super::message_sid(&params)?;
    let inbound = Inbound::from_params(&params)?;
    let (roster, _) = crate::db::roster::get(env).await?;
    let op = if roster.by_phone(&inbound.from).is_some() {
        Op::Command {
            body: inbound.body,
            from: inbound.from,
        }
    } else {
        crate::notify::on_customer_text(env, &inbound.from, &inbound.body).await?;
        Op::Relay {
            kind: MessageKind::Sms,
            // The links go in the text a dispatcher reads (Twilio's media URLs open on any
            // phone); the text is cut before a link is.
            body: inbound.relay_text_within(RELAYED_BODY_MAX),
            media: inbound.media_urls().into_iter().map(str::to_string).collect(),
            to: param(&params, "To").map(str::to_string),
            job_id,
            from: inbound.from,
            fault: param(&params, "QdnTestFault").and_then(TestFault::parse),
        }
    };
    relay::tell(env, &sid, &op).await?;
    Ok(twiml("<Response/>"))
}
