//! `POST /sms/delivery-status`: Twilio's status callback for the texts we sent. `?m=` names
//! the relayed message (its object escalates on failed/undelivered); `?n=1` marks a customer
//! notification (which falls back to the backup number when it failed).

use qdn_shared::relay::message::DeliveryStatus;
use worker::{Env, Request};

use crate::error::AppResult;
use crate::relay::{self, Op};
use crate::twilio::{param, twiml, verified_form};

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    let params = verified_form(req, env).await?;
    let query = crate::http::query_pairs(req);
    let sid = super::message_sid(&params)?;
    // A status Twilio may add later is acknowledged and left alone.
    let Some(status) = param(&params, "MessageStatus")
        .or(param(&params, "SmsStatus"))
        .and_then(DeliveryStatus::parse)
    else {
        return Ok(twiml("<Response/>"));
    };
    let code = param(&params, "ErrorCode").and_then(|c| c.parse().ok());
    if let Some((_, m)) = query
        .iter()
        .find(|(k, _)| k == "m")
        .filter(|(_, m)| super::valid_sid(m) || m.starts_with("RE"))
    {
        relay::tell(env, m, &Op::Delivery { sid, status, code }).await?;
    } else if query.iter().any(|(k, _)| k == "n") {
        let (to, from) = (param(&params, "To").unwrap_or(""), param(&params, "From").unwrap_or(""));
        crate::notify::on_status(env, &sid, status, code, to, from).await?;
    }
    Ok(twiml("<Response/>"))
}
