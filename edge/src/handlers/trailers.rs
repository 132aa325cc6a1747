//! `PUT /api/trailers/{trailer_id}` (dispatch): register the tracker device on a trailer and/or
//! store its OwnTracks encryption key. The answer says whether a key is stored, never the key,
//! and why the device needs attention, if it does.

use qdn_shared::token::Scope;
use qdn_shared::trailer::TrailerBody;
use worker::{Env, Request};

use crate::db::trailers::Registered;
use crate::error::{AppError, AppResult};

pub async fn put(req: &mut Request, env: &Env, trailer_id: &str) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    qdn_shared::trailer::check_id(trailer_id)?;
    let update = crate::http::json_body::<TrailerBody>(req).await?.validate()?;
    if let Registered::DeviceTaken = crate::db::trailers::update(env, trailer_id, &update).await? {
        return Err(AppError::client(
            409,
            "device_in_use",
            "this device is registered to another trailer",
        ));
    }
    let trailer = crate::db::trailers::get(env, trailer_id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("trailer {trailer_id} not found after its update")))?;
    let needs_attention = match &trailer.device_id {
        Some(d) => crate::db::devices::flags_of(env, d).await?,
        None => Vec::new(),
    };
    Ok(crate::http::json(
        200,
        &serde_json::json!({
            "trailer_id": trailer_id,
            "device_id": trailer.device_id,
            "owntracks_key_set": trailer.owntracks_key_set > 0.0,
            "needs_attention": needs_attention,
        }),
    ))
}
