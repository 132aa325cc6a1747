//! The QDN Worker. Thin by design: parsing, validation, ETA and the relay's decisions live in
//! `qdn-shared`; this crate wires them to HTTP, D1, Durable Objects and Twilio.

mod alerts;
mod arrival;
mod auth;
mod cache;
mod clock;
mod config;
mod cors;
mod cron;
mod db;
mod error;
mod handlers;
mod http;
mod ids;
mod links;
mod live;
mod meter;
mod notify;
mod rate_limit;
mod relay;
mod revocations;
mod router;
mod twilio;

pub use live::object::LiveJob;
pub use relay::object::RelayMessage;

use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    if !meter::on(&env) {
        return Ok(router::handle(req, &env, &ctx).await);
    }
    meter::begin();
    let mut resp = router::handle(req, &env, &ctx).await;
    meter::stamp(&mut resp);
    Ok(resp)
}

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    if let Err(e) = cron::run(&env).await {
        worker::console_error!("retention failed: {e}");
    }
}
