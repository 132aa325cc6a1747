//! `POST /api/session/code` `{"phone"}`: texts a 6-digit sign-in code to a roster phone.
//!
//! A phone that is not on the roster gets the same answer, after the same statements, and is
//! counted by the same limits: the answer never tells who is on the roster. The text itself is
//! sent after the answer (`wait_until`), so Twilio's round trip does not tell either.

use chrono::Duration;
use qdn_shared::session::{self, CodeRequest};
use worker::{Context, Env, Request};

use crate::error::{AppError, AppResult};

pub async fn post(req: &mut Request, env: &Env, ctx: &Context) -> AppResult {
    super::not_cross_site(req)?;
    let phone = crate::http::json_body::<CodeRequest>(req).await?.validate()?;
    let ip = super::client_key(req);
    let now = crate::clock::now();
    let window = now - Duration::seconds(session::LIMIT_WINDOW_S);
    let counts = crate::db::sessions::counts(env, &phone, &ip, window).await?;
    if counts.by_phone >= session::CODES_PER_PHONE || counts.by_ip >= session::CODES_PER_IP {
        return Err(AppError::RateLimited {
            retry_after_s: session::LIMIT_WINDOW_S as u32,
        });
    }
    let cfg = crate::config::get(env);
    let secret = crate::config::jwt_secret(&cfg)?;
    let (roster, _) = crate::db::roster::get(env).await?;
    let code = session::code_from(super::random());
    let on_roster = roster.by_phone(&phone).is_some();
    let hash = on_roster.then(|| session::code_hash(secret, &phone, &code));
    let expires = now + Duration::seconds(session::CODE_TTL_S);
    crate::db::sessions::insert_code(env, &phone, &ip, hash.as_deref(), now, expires).await?;
    if on_roster {
        let cfg = cfg.clone();
        ctx.wait_until(async move {
            let text = format!(
                "{code} is your QDN console code. It works for 5 minutes. If you did not ask for it, ignore this text."
            );
            let sent = match (crate::twilio::Client::new(&cfg), crate::twilio::Sender::primary(&cfg)) {
                (Ok(client), Ok(from)) => client.send_sms(&phone, from, &text, None).await,
                _ => qdn_shared::twilio::SendAnswer::Failed { code: None },
            };
            if !matches!(sent, qdn_shared::twilio::SendAnswer::Sent { .. }) {
                worker::console_warn!("session: the sign-in code could not be texted ({sent:?})");
            }
        });
    }
    Ok(crate::http::json(
        202,
        &serde_json::json!({
            "status": "requested",
            "message": "if this phone is on the roster, a code is on its way",
            "expires_in_s": session::CODE_TTL_S,
        }),
    ))
}
