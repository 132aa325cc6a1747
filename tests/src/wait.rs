//! Waiting for what the stack does in the background (relays, callbacks, cascades).

use std::time::{Duration, Instant};

/// Calls `f` every 150 ms until it gives Some, for up to `secs` seconds; an error from `f`
/// ends the wait at once.
pub fn poll<T>(what: &str, secs: u64, mut f: impl FnMut() -> Result<Option<T>, String>) -> Result<T, String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f()? {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {secs}s waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// [`poll`] for a test: a timeout fails it.
pub fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    poll(what, secs, || Ok(f())).unwrap_or_else(|e| panic!("{e}"))
}
