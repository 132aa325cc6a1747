//! The relay's dispatch API: roster, heartbeats, status.

pub mod ack;
pub mod heartbeat;
pub mod roster;
pub mod status;
