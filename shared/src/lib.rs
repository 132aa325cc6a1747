//! The QDN domain, shared by the Worker (`qdn-edge`), the tracking page (`qdn-track-ui`),
//! the task runner and the tests. Everything here is pure: time comes in as an argument,
//! storage and network stay in the Worker.

pub mod arrival;
pub mod eta;
pub mod eval;
pub mod fix;
pub mod ingest;
pub mod job;
pub mod phone;
pub mod relay;
pub mod time;
pub mod token;
pub mod twilio;
pub mod view;

/// Every error the edge reports carries a stable snake_case code (the contract's `error`)
/// and a human message (its `Display`).
pub trait ErrorCode: std::fmt::Display {
    fn code(&self) -> &'static str;
}
