//! The revocation list, held per isolate so checking a token costs no query.
//!
//! The router refreshes it before a request when it is older than [`REFRESH_MS`], so a
//! revocation made anywhere takes effect everywhere within that time, and at once in the
//! isolate that made it. A list that could not be loaded, or is older than [`MAX_AGE_MS`],
//! refuses every token (fail closed) rather than let a revoked one through; code that checks
//! tokens outside the router (a Durable Object) must call [`refresh`] first.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use qdn_shared::revocation::Revocations;
use qdn_shared::token::Claims;
use worker::Env;

use crate::error::{AppError, AppResult};

const REFRESH_MS: f64 = 30_000.0;
/// A revocation must hold everywhere within a minute.
const MAX_AGE_MS: f64 = 60_000.0;

struct Loaded {
    at_ms: f64,
    list: Rc<Revocations>,
}

thread_local! {
    static LIST: RefCell<Option<Loaded>> = const { RefCell::new(None) };
    /// Counts revocations applied here, so a load that raced one does not undo it.
    static APPLIED: Cell<u64> = const { Cell::new(0) };
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Loads the list when it is missing or due; a failure is logged and leaves no list.
pub async fn refresh(env: &Env) {
    let now = now_ms();
    if LIST.with(|l| l.borrow().as_ref().is_some_and(|l| now - l.at_ms < REFRESH_MS)) {
        return;
    }
    let applied = APPLIED.get();
    match crate::db::revocations::load(env, crate::clock::now().timestamp()).await {
        // It may have been read before that revocation was stored: keep ours, load next time.
        Ok(_) if APPLIED.get() != applied => {}
        Ok(list) => LIST.with(|l| {
            *l.borrow_mut() = Some(Loaded {
                at_ms: now,
                list: Rc::new(list),
            })
        }),
        Err(e) => {
            worker::console_error!("revocations: could not load the list: {e}");
            LIST.with(|l| *l.borrow_mut() = None);
        }
    }
}

fn current() -> AppResult<Rc<Revocations>> {
    let now = now_ms();
    LIST.with(|l| {
        l.borrow()
            .as_ref()
            .filter(|l| now - l.at_ms < MAX_AGE_MS)
            .map(|l| l.list.clone())
    })
    .ok_or_else(|| AppError::Internal("the revocation list is not loaded".into()))
}

/// Refuses a revoked token (410 for a track link, 401 for the others).
pub fn check(claims: &Claims) -> AppResult<()> {
    Ok(current()?.check(claims)?)
}

/// The `iat` for a new token bound to `job_id`. Links are also minted where no request loaded
/// the list (a Durable Object, the cron); there it is `now_s`, and a link minted in the very
/// second its job was revoked is born revoked (rare, and a fresh link fixes it) rather than fail.
pub fn issue_at(job_id: Option<&str>, now_s: i64) -> i64 {
    LIST.with(|l| l.borrow().as_ref().map_or(now_s, |l| l.list.issue_at(job_id, now_s)))
}

/// Applies a revocation this isolate just stored, without waiting for the next load.
pub fn apply(f: impl FnOnce(&mut Revocations)) {
    APPLIED.set(APPLIED.get() + 1);
    LIST.with(|l| {
        if let Some(loaded) = l.borrow_mut().as_mut() {
            f(Rc::make_mut(&mut loaded.list));
        }
    });
}
