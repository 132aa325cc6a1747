//! The dispatcher console's sign-in: one-time codes texted to a roster phone, and the session
//! cookie they buy. Pure: the random bytes, the time and the secret come in as arguments.
//!
//! Only hashes are stored: a code as an HMAC keyed with the server's secret (a leaked table
//! cannot be brute-forced offline without it), a session as the SHA-256 of its cookie (a leaked
//! table cannot be replayed as cookies).

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::body::{Field, Invalid, RequestBody};

/// A code is good for this long after it was texted.
pub const CODE_TTL_S: i64 = 5 * 60;
/// Wrong codes allowed before the code is dead (the next try must ask for a new one).
pub const MAX_TRIES: u32 = 5;
/// Rate limits of `POST /api/session/code` and of wrong codes, per window.
pub const LIMIT_WINDOW_S: i64 = 15 * 60;
/// Codes asked for one phone per window: with [`MAX_TRIES`], at most 15 guesses at 10^6 codes.
pub const CODES_PER_PHONE: u32 = 3;
/// Codes asked from one client address per window (across phones).
pub const CODES_PER_IP: u32 = 10;
/// Wrong codes from one client address per window (across phones).
pub const WRONG_PER_IP: u32 = 20;
/// A session lasts a working day; then the dispatcher signs in again.
pub const SESSION_TTL_S: i64 = 12 * 3600;
/// The session cookie's name.
pub const COOKIE: &str = "qdn_session";

type HmacSha256 = Hmac<Sha256>;

/// Six decimal digits from 8 random bytes (the modulo bias is below 10^-13).
pub fn code_from(random: [u8; 8]) -> String {
    format!("{:06}", u64::from_le_bytes(random) % 1_000_000)
}

fn code_mac(secret: &[u8], phone: &str, code: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"qdn-session-code\0");
    mac.update(phone.as_bytes());
    mac.update(b"\0");
    mac.update(code.as_bytes());
    mac
}

/// What is stored for a code: bound to the phone it was texted to.
pub fn code_hash(secret: &[u8], phone: &str, code: &str) -> String {
    hex(&code_mac(secret, phone, code).finalize().into_bytes())
}

/// Whether `code` is the one stored as `stored` for `phone` (compared in constant time).
pub fn code_matches(secret: &[u8], phone: &str, code: &str, stored: &str) -> bool {
    let Some(expected) = unhex(stored) else {
        return false;
    };
    code_mac(secret, phone, code).verify_slice(&expected).is_ok()
}

/// A session's cookie value: 32 random bytes, base64url.
pub fn session_token(random: [u8; 32]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, random)
}

/// What is stored for a session: the SHA-256 of its cookie value.
pub fn session_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// The session cookie's value in a `Cookie` header, if it has one of the right shape.
pub fn cookie_value(cookie_header: &str) -> Option<&str> {
    cookie_header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim())
        .filter(|v| v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// The `Set-Cookie` of a new session: script cannot read it, it travels only over https and
/// never on a request another site starts.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age={SESSION_TTL_S}")
}

/// The `Set-Cookie` that removes it.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0")
}

/// Whether a cookie-authenticated request may change anything: it must come from a page of our
/// own origin. Browsers send `Sec-Fetch-Site` (and `Origin` on every non-GET fetch), which a
/// page on another site cannot forge; a request with neither is refused, since the cookie
/// alone proves nothing about who started it.
pub fn same_origin_write(origin: Option<&str>, sec_fetch_site: Option<&str>, public_base_url: &str) -> bool {
    if let Some(site) = sec_fetch_site {
        if site != "same-origin" {
            return false;
        }
    }
    match origin {
        Some(o) => o.trim_end_matches('/') == public_base_url.trim_end_matches('/'),
        None => sec_fetch_site == Some("same-origin"),
    }
}

/// Methods that never change anything, so need no origin check.
pub fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `POST /api/session/code`: `{"phone"}`.
#[derive(Debug, Deserialize)]
pub struct CodeRequest {
    #[serde(default)]
    phone: Field<String>,
}

impl RequestBody for CodeRequest {}

impl CodeRequest {
    /// The phone, in E.164.
    pub fn validate(self) -> Result<String, Invalid> {
        phone(self.phone)
    }
}

/// `POST /api/session`: `{"phone", "code"}`.
#[derive(Debug, Deserialize)]
pub struct SignIn {
    #[serde(default)]
    phone: Field<String>,
    #[serde(default)]
    code: Field<String>,
}

impl RequestBody for SignIn {}

impl SignIn {
    /// The phone (E.164) and the code (six digits).
    pub fn validate(self) -> Result<(String, String), Invalid> {
        let phone = phone(self.phone)?;
        let code = self
            .code
            .required(|| Invalid::new("invalid_code", "code must be the 6 digits texted to you"))?;
        let code = code.trim().to_string();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new("invalid_code", "code must be the 6 digits texted to you"));
        }
        Ok((phone, code))
    }
}

fn phone(f: Field<String>) -> Result<String, Invalid> {
    let bad = || Invalid::new("invalid_phone", "phone must be an E.164 number, e.g. +15551230001");
    let p = f.required(bad)?;
    // People paste numbers with spaces, dashes and brackets; the roster holds E.164.
    let p: String = p
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    crate::phone::is_e164(&p).then_some(p).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a-test-secret-of-at-least-32-bytes!!";

    #[test]
    fn codes_are_six_digits_including_leading_zeros() {
        assert_eq!(code_from([0; 8]), "000000");
        assert_eq!(code_from(42u64.to_le_bytes()), "000042");
        assert_eq!(code_from(1_234_567u64.to_le_bytes()), "234567");
        assert_eq!(code_from([0xff; 8]).len(), 6);
    }

    #[test]
    fn a_code_matches_only_its_phone_and_digits() {
        let h = code_hash(SECRET, "+15550100101", "123456");
        assert!(code_matches(SECRET, "+15550100101", "123456", &h));
        assert!(!code_matches(SECRET, "+15550100101", "123457", &h));
        assert!(!code_matches(SECRET, "+15550100102", "123456", &h), "another phone");
        assert!(!code_matches(
            b"another-secret-another-secret-xx",
            "+15550100101",
            "123456",
            &h
        ));
        assert!(!code_matches(SECRET, "+15550100101", "123456", "zz"));
        assert!(!h.contains("123456"), "the code is not readable from its hash");
    }

    #[test]
    fn the_cookie_is_found_among_others_and_refused_when_malformed() {
        let t = session_token([7; 32]);
        assert_eq!(t.len(), 43);
        let header = format!("theme=dark; {COOKIE}={t}; other=1");
        assert_eq!(cookie_value(&header), Some(t.as_str()));
        assert_eq!(cookie_value("qdn_session=short"), None);
        assert_eq!(cookie_value("xqdn_session=abc"), None);
        assert_eq!(cookie_value(""), None);
        assert_ne!(session_hash(&t), t);
        assert_eq!(session_hash(&t).len(), 64);
    }

    #[test]
    fn the_cookie_is_http_only_secure_strict_for_twelve_hours() {
        let c = set_cookie("abc");
        for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
            assert!(c.split("; ").any(|p| p == part), "{part} in {c}");
        }
        assert!(clear_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn writes_must_come_from_our_own_origin() {
        let base = "https://qdn.example.com";
        assert!(same_origin_write(Some(base), Some("same-origin"), base));
        assert!(same_origin_write(Some(base), None, "https://qdn.example.com/"));
        assert!(same_origin_write(None, Some("same-origin"), base));
        assert!(!same_origin_write(Some("https://evil.example"), None, base));
        assert!(
            !same_origin_write(Some(base), Some("cross-site"), base),
            "a forged Origin header"
        );
        assert!(!same_origin_write(
            Some("https://evil.example"),
            Some("same-site"),
            base
        ));
        assert!(!same_origin_write(None, None, base), "no evidence at all");
        assert!(!same_origin_write(Some("null"), None, base));
    }

    #[test]
    fn bodies_give_the_contract_codes() {
        let p: CodeRequest = crate::body::parse(br#"{"phone": "+1 (555) 010-0101"}"#).unwrap();
        assert_eq!(p.validate().unwrap(), "+15550100101");
        let p: CodeRequest = crate::body::parse(br#"{"phone": 5}"#).unwrap();
        assert_eq!(p.validate().unwrap_err().code, "invalid_phone");
        let s: SignIn = crate::body::parse(br#"{"phone": "+15550100101", "code": "12345"}"#).unwrap();
        assert_eq!(s.validate().unwrap_err().code, "invalid_code");
        let s: SignIn = crate::body::parse(br#"{"phone": "+15550100101", "code": " 012345 "}"#).unwrap();
        assert_eq!(s.validate().unwrap().1, "012345");
    }
}
