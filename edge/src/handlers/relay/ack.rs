//! `POST /api/relay/messages/{ref}/ack` (dispatch): acknowledges a relayed message from the
//! console, as the texted `ACK #REF` does: its cascade stops.

use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::error::{AppError, AppResult};
use crate::relay::Op;

pub async fn post(req: &Request, env: &Env, reference: &str) -> AppResult {
    let claims = crate::auth::require(req, env, &[Scope::Dispatch])?;
    let reference = reference.trim_start_matches('#').trim_start_matches("%23");
    let not_found = || AppError::client(404, "message_not_found", "no relayed message has this reference");
    if reference.is_empty() || reference.len() > 8 || !reference.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(not_found());
    }
    let sid = crate::db::messages::by_ref(env, reference)
        .await?
        .ok_or_else(not_found)?;
    // A session names its dispatcher; a bare dispatch token acknowledges as "console".
    let by = claims.sub.unwrap_or_else(|| "console".into());
    let out = crate::relay::tell(env, &sid, &Op::Ack { by: by.clone() }).await?;
    Ok(crate::http::json(
        200,
        &serde_json::json!({ "ref": format!("#{}", reference.to_ascii_uppercase()), "acked": out["acked"] == true, "by": by }),
    ))
}
