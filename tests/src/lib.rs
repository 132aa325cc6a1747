//! The one set of test helpers, for the HTTP tests in `tests/tests/`, for `cargo xtask` (its
//! restart scenario, bench and demo data) and for the Twilio stand-in (`src/bin/`).
//!
//! The public modules take every address and secret as an argument. The functions at the root
//! read them from the environment that `cargo xtask test` sets for the tests (`QDN_BASE_URL`,
//! `QDN_JWT_SECRET`, `QDN_TWILIO_BASE`, …) and panic where a test should fail.

pub mod calls;
pub mod phones;
pub mod standin;
pub mod tokens;
pub mod twilio;
pub mod wait;

mod api;
mod http;
pub mod live;
mod relay;

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Utc;

pub use api::*;
pub use http::{req, Req, Resp};
pub use phones::*;
pub use relay::*;
pub use standin::reference_in;
pub use twilio::message_sid;
pub use wait::wait_for;

pub fn base() -> String {
    std::env::var("QDN_BASE_URL").expect("QDN_BASE_URL is not set: run these tests with `cargo xtask test`")
}

pub fn secret() -> String {
    std::env::var("QDN_JWT_SECRET").expect("QDN_JWT_SECRET is not set: run these tests with `cargo xtask test`")
}

pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// An id no other test (or run) uses.
pub fn uid(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}{}{}{n}",
        std::process::id(),
        Utc::now().timestamp_subsec_nanos() % 100_000
    )
}
