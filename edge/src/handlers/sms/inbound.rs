//! `POST /sms/inbound`: a text to the company number. Answered at once with `<Response/>`; the
//! message's Durable Object (named by its SID, so Twilio's retries relay once) does the rest:
//! a roster phone's text is a dispatcher command, anyone else's is relayed.

use qdn_shared::relay::message::MessageKind;
use worker::{Context, Env, Request};

use crate::error::{AppError, AppResult};
use crate::relay::{self, Op};
use crate::twilio::{param, twiml, verified_form};

pub async fn post(req: &mut Request, env: &Env, ctx: &Context) -> AppResult {
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
        Op::Relay {
            kind: MessageKind::Sms,
            from,
            body,
        }
    };
    let env = env.clone();
    ctx.wait_until(async move {
        if let Err(e) = relay::tell(&env, &sid, &op).await {
            worker::console_error!("relay of an inbound text failed: {e}");
        }
    });
    Ok(twiml("<Response/>"))
}
