//! The QDN domain, shared by the Worker (`qdn-edge`), the tracking page (`qdn-track-ui`),
//! the task runner and the tests. Everything here is pure: time comes in as an argument,
//! storage and network stay in the Worker.

pub mod arrival;
pub mod body;
pub mod config;
pub mod eta;
pub mod eval;
pub mod fix;
pub mod gsm7;
pub mod ingest;
pub mod job;
pub mod metrics;
pub mod mint;
pub mod notify;
pub mod opt_out;
pub mod phone;
pub mod relay;
pub mod revocation;
pub mod session;
pub mod time;
pub mod token;
pub mod trailer;
pub mod twilio;
pub mod view;
pub mod words;

/// Every error the edge reports carries a stable snake_case code (the contract's `error`)
/// and a human message (its `Display`).
pub trait ErrorCode: std::fmt::Display {
    fn code(&self) -> &'static str;

    /// The HTTP status it is answered with: most are the caller's bad input.
    fn status(&self) -> u16 {
        400
    }
}
