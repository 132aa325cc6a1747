//! `GET|POST /ingest/osmand`: Traccar Client and OsmAnd. The device id is the credential, as
//! in Traccar; answers are 200 on success because that is what Traccar Client waits for.

use qdn_shared::ingest::osmand;
use worker::{Env, Method, Request};

use crate::error::AppResult;

pub async fn handle(req: &mut Request, env: &Env) -> AppResult {
    crate::rate_limit::by_ip(req, env).await?;
    let now = crate::clock::now();
    let mut pairs = crate::http::query_pairs(req);
    let content_type = crate::http::header(req, "Content-Type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let parsed = if req.method() == Method::Post && content_type.contains("json") {
        let body = crate::http::body_bytes(req).await?;
        osmand::from_json(&body, now)
    } else {
        if req.method() == Method::Post {
            let body = crate::http::body_bytes(req).await?;
            pairs.extend(form_urlencoded::parse(&body).into_owned());
        }
        osmand::from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), now)
    };
    let device_fix = parsed?;
    crate::rate_limit::by_device(env, &device_fix.device_id).await?;
    let (trailer_id, job) = super::device_job(env, &device_fix.device_id).await?;
    let Some(job) = job else {
        return Ok(crate::http::json(200, &super::no_open_job()));
    };
    let mut raw = device_fix.fix;
    raw.trailer_id = Some(trailer_id);
    let fix = raw.check(now)?;
    let summary = super::store(env, &job, vec![Ok(fix)]).await?;
    Ok(crate::http::json(200, &summary))
}
