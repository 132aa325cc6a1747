//! `PUT /api/trailers/{trailer_id}` (dispatch): register the tracker device on a trailer.

use qdn_shared::token::Scope;
use qdn_shared::trailer::DeviceBody;
use worker::{Env, Request};

use crate::db::trailers::Registered;
use crate::error::{AppError, AppResult};

pub async fn put(req: &mut Request, env: &Env, trailer_id: &str) -> AppResult {
    crate::auth::require(req, env, &[Scope::Dispatch])?;
    qdn_shared::trailer::check_id(trailer_id)?;
    let device_id = crate::http::json_body::<DeviceBody>(req).await?.validate()?;
    match crate::db::trailers::set_device(env, trailer_id, &device_id).await? {
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
