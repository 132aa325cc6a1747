//! `PUT /api/trailers/{trailer_id}` (dispatch): register the tracker device on a trailer.

use qdn_shared::token::Scope;
use worker::{Env, Request};

use crate::db::trailers::Registered;
use crate::error::{AppError, AppResult};

pub async fn put(req: &mut Request, env: &Env, trailer_id: &str) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    if !qdn_shared::job::valid_id(trailer_id) {
        return Err(AppError::bad_request(
            "invalid_trailer_id",
            "trailer ids are 1-64 letters, digits, - or _",
        ));
    }
    let body = crate::http::json_body(req).await?;
    let device_id = body
        .get("device_id")
        .and_then(|d| d.as_str())
        .filter(|d| qdn_shared::ingest::valid_device_id(d))
        .ok_or_else(|| {
            AppError::bad_request(
                "invalid_device_id",
                "device_id must be 1-64 letters, digits, '.', ':', '-' or '_'",
            )
        })?;
    match crate::db::trailers::set_device(env, trailer_id, device_id).await? {
        Registered::Ok => Ok(crate::http::json(
            200,
            &serde_json::json!({ "trailer_id": trailer_id, "device_id": device_id }),
        )),
        Registered::DeviceTaken => Err(AppError::client(
            409,
            "device_in_use",
            "this device is registered to another trailer",
        )),
    }
}
