//! Live updates: `GET /api/jobs/{token}/live` streams the customer's location view, pushed on
//! every accepted fix and every change to the job, through one Durable Object per job
//! ([`object::LiveJob`], named by the job id).
//!
//! Code that changes what the view shows calls [`publish`] afterwards; nothing else is needed
//! for every open page to get the new view within a second.

pub mod object;

use qdn_shared::token::Claims;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

use crate::error::{AppError, AppResult};

const BINDING: &str = "LIVE";
/// The viewer's verified claims, handed from the Worker to the object (never from outside: the
/// object is reachable only through its binding).
const CLAIMS_HEADER: &str = "X-Qdn-Claims";

/// Tells the job's viewers that its view changed: the job's object rebuilds the view from D1 and
/// sends it to every open stream, after answering (so this costs the caller one Durable Object
/// round trip, and next to nothing when nobody is watching).
///
/// Call it after the change is stored: after fixes are accepted, after a status, destination or
/// trailer change, after anything else the location view shows. It never fails: a failure is
/// logged, and the pages still poll when their stream breaks. Where a `Context` is at hand,
/// run it after the answer: `ctx.wait_until(async move { live::publish(&env, &job_id).await })`.
pub async fn publish(env: &Env, job_id: &str) {
    if let Err(e) = tell(env, job_id).await {
        worker::console_warn!("live: publishing {job_id} failed: {e}");
    }
}

async fn tell(env: &Env, job_id: &str) -> worker::Result<()> {
    let init = RequestInit {
        method: Method::Post,
        ..RequestInit::default()
    };
    let req = Request::new_with_init(&format!("https://live/publish/{job_id}"), &init)?;
    let resp = stub(env, job_id)?.fetch_with_request(req).await?;
    if resp.status_code() >= 300 {
        return Err(worker::Error::RustError(format!(
            "the object answered {}",
            resp.status_code()
        )));
    }
    Ok(())
}

fn stub(env: &Env, job_id: &str) -> worker::Result<worker::Stub> {
    env.durable_object(BINDING)?.id_from_name(job_id)?.get_stub()
}

/// Opens a stream of `job_id`'s view for a caller already authorised to read it: a WebSocket
/// when the request asks for an upgrade, else server-sent events.
pub async fn connect(env: &Env, job_id: &str, claims: &Claims, websocket: bool) -> AppResult<Response> {
    let claims = serde_json::to_string(claims).map_err(|e| AppError::Internal(e.to_string()))?;
    let headers = Headers::new();
    headers.set(CLAIMS_HEADER, &claims)?;
    if websocket {
        headers.set("Upgrade", "websocket")?;
    }
    let init = RequestInit {
        method: Method::Get,
        headers,
        ..RequestInit::default()
    };
    let req = Request::new_with_init(&format!("https://live/connect/{job_id}"), &init)?;
    Ok(stub(env, job_id)?.fetch_with_request(req).await?)
}
