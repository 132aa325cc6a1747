//! `POST /sms/inbound`: a text to the company number. The message's Durable Object (named by its
//! SID, so Twilio's retries relay once) stores it before Twilio gets `<Response/>`: a failure
//! there is a 5xx, which Twilio retries. A roster phone's text is a dispatcher command, anyone
//! else's is relayed (by the object's alarm, after the answer); a customer's STOP/START also
//! opts them out of / back into automatic texts.

use qdn_shared::relay::message::MessageKind;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};
use crate::relay::{self, Op};
use crate::twilio::{param, twiml, verified_form};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    let params = verified_form(req, env).await?;
    let sid = super::message_sid(&params)?;
    let from = param(&params, "From")
        .ok_or_else(|| AppError::bad_request("invalid_from", "From is required"))?
        .to_string();
    let body = param(&params, "Body").unwrap_or("").to_string();
    let (roster, _) = crate::db::roster::get(env).await?;
    let op = if roster.by_phone(&from).is_some() {
        Op::Command { from, body }
    } else {
        crate::notify::on_customer_text(env, &from, &body).await?;
        Op::Relay {
            kind: MessageKind::Sms,
            from,
            body,
            fail_before_store: param(&params, "QdnTestFault") == Some("storage"),
        }
    };
    relay::tell(env, &sid, &op).await?;
    Ok(twiml("<Response/>"))
}
