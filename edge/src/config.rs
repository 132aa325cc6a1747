//! The Worker's configuration (`qdn_shared::config::Config`), read from its vars and secrets once
//! per isolate: bindings do not change while an isolate lives.

use std::cell::{Cell, OnceCell};
use std::rc::Rc;

pub use qdn_shared::config::Config;
use worker::Env;

use crate::error::{AppError, AppResult};

thread_local! {
    static CONFIG: OnceCell<Rc<Config>> = const { OnceCell::new() };
    static LOGGED: Cell<bool> = const { Cell::new(false) };
}

pub fn get(env: &Env) -> Rc<Config> {
    CONFIG.with(|c| {
        c.get_or_init(|| {
            Rc::new(Config::from_lookup(&|name| {
                env.var(name)
                    .map(|v| v.to_string())
                    .or_else(|_| env.secret(name).map(|v| v.to_string()))
                    .ok()
            }))
        })
        .clone()
    })
}

/// A setting the operation cannot do without: its absence is our fault, not the caller's.
pub fn require<'a>(value: &'a Option<String>, name: &str) -> AppResult<&'a str> {
    value
        .as_deref()
        .ok_or_else(|| AppError::Internal(format!("{name} is not configured")))
}

pub fn jwt_secret(cfg: &Config) -> AppResult<&[u8]> {
    require(&cfg.jwt_secret, "JWT_SECRET").map(str::as_bytes)
}

/// The answer to every request while the configuration must not be served (a weak or published
/// `JWT_SECRET`): a 503 that names the settings, never their values. Logged once per isolate.
pub fn refusal(env: &Env) -> Option<AppError> {
    let problems = get(env).problems();
    if problems.is_empty() {
        return None;
    }
    let message = format!("the Worker is misconfigured: {}", problems.join("; "));
    if !LOGGED.replace(true) {
        worker::console_error!("{message}");
    }
    Some(AppError::client(503, "misconfigured", message))
}
