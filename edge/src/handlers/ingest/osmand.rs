//! `GET|POST /ingest/osmand`: the OsmAnd protocol as Traccar reads it — Traccar Client (query,
//! form or Transistorsoft JSON, one position or a batch) and OsmAnd's online tracking. The
//! device id is the credential, as in Traccar; every well-formed request is answered 200
//! (`docs/trackers.md` says what each answer does to each app).

use qdn_shared::ingest::{osmand, Ignored};
use worker::{Context, Env, Method, Request};

use super::Summary;
use crate::error::AppResult;

pub async fn handle(req: &mut Request, env: &Env, ctx: &Context) -> AppResult {
    crate::rate_limit::by_ip(req, env).await?;
    let now = crate::clock::now();
    let mut pairs = crate::http::query_pairs(req);
    let content_type = crate::http::header(req, "Content-Type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let report = if req.method() == Method::Post && content_type.starts_with("application/json") {
        let body = crate::http::body_bytes(req).await?;
        osmand::from_json(&body, now)?
    } else {
        if req.method() == Method::Post {
            let body = crate::http::body_bytes(req).await?;
            pairs.extend(form_urlencoded::parse(&body).into_owned());
        }
        osmand::from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), now)?
    };
    crate::rate_limit::by_device(req, env, &report.device_id).await?;
    let answer = match super::device(env, &report.device_id, "osmand", now).await? {
        None => Summary::ignored(Ignored::NoOpenJob),
        Some(device) => match crate::db::jobs::active_for_trailer(env, &device.trailer_id).await? {
            None => Summary::ignored(Ignored::NoOpenJob),
            Some(job) => {
                super::settle_and_store(env, ctx, &report.device_id, &device, &job, report.positions, now).await?
            }
        },
    };
    Ok(crate::http::json(200, &answer))
}
