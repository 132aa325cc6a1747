//! The dispatcher console's sign-in: `POST /api/session/code` texts a code, `POST /api/session`
//! trades it for a session cookie, `GET` says who is signed in, `DELETE` signs out. `cookie`
//! resolves the cookie for `auth::require`.

pub mod code;
pub mod cookie;
pub mod sign_in;

use worker::Request;

use crate::error::{AppError, AppResult};

/// The client's address as Cloudflare saw it, hashed: the rate limits need it, the table need
/// not hold it.
fn client_key(req: &Request) -> String {
    use sha2::{Digest, Sha256};
    let ip = crate::http::header(req, "CF-Connecting-IP").unwrap_or_else(|| "unknown".into());
    Sha256::digest(format!("qdn-session-ip\0{ip}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Sign-in requests a page of another site starts are refused: the console is the only page
/// that signs in, and it is ours. Scripts and curl send no `Sec-Fetch-Site` and are let through
/// (they cannot carry a victim's cookie).
fn not_cross_site(req: &Request) -> AppResult<()> {
    match crate::http::header(req, "Sec-Fetch-Site").as_deref() {
        None | Some("same-origin") | Some("none") => Ok(()),
        Some(_) => Err(cross_site()),
    }
}

pub fn cross_site() -> AppError {
    AppError::client(
        403,
        "cross_site_request",
        "a signed-in console's changes must come from the console's own page",
    )
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // crypto.getRandomValues only fails for requests over 64 KiB.
    getrandom::getrandom(&mut b).expect("crypto.getRandomValues is available");
    b
}
