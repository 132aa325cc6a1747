//! `POST /voice/inbound`: a call to the company number rings the first callable tier.

use worker::{Env, Request};

use crate::error::AppResult;

pub async fn post(req: &mut Request, env: &Env) -> AppResult {
    crate::twilio::verified_form(req, env).await?;
    super::dial_from(env, 0).await
}
