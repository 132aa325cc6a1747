//! Phone numbers of the test and demo stacks (all in the 555-01xx range, never a real line).

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Utc;

/// The dispatchers the test stack's roster texts and calls, and the demo's defaults: primary,
/// secondary, backup.
pub const DISPATCHER_PHONES: [&str; 3] = ["+15550100101", "+15550100102", "+15550100103"];

/// Phones of the two tiers the relay must always skip in the shared test roster.
pub const UNAVAILABLE_PHONE: &str = "+15550100104";
pub const OFF_CALL_PHONE: &str = "+15550100105";

/// A customer's phone number no other test uses.
pub fn customer_phone() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let seed = (Utc::now().timestamp_subsec_micros() + std::process::id() * 7 + n * 7919) % 10_000_000;
    format!("+1555{:07}", seed)
}
