//! HS256 JSON Web Tokens: the only credential of the API.
//!
//! A small, strict HS256 on `hmac` + `sha2` rather than a general JWT crate: one algorithm,
//! fixed header checks, a constant-time MAC comparison (`Mac::verify_slice`), and claims the
//! contract defines. Checked against tokens made by PyJWT in the tests below.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::ErrorCode;

/// The only audience this service issues and accepts.
pub const AUDIENCE: &str = "qdn";
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_S: i64 = 30;
/// Longest lifetime `POST /api/tokens` mints (a year: a trailer's tracker keeps its token), and
/// no longer than the calling token itself lives.
pub const MAX_TTL_S: i64 = 366 * 24 * 3600;
/// Tokens longer than this are refused before any decoding.
const MAX_TOKEN_LEN: usize = 4096;

/// Ordered by what a token may do: `Track < Ingest < Dispatch`. A token mints only its own
/// scope or a lower one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Track,
    Ingest,
    Dispatch,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Track => "track",
            Scope::Ingest => "ingest",
            Scope::Dispatch => "dispatch",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub scope: Scope,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trailer_id: Option<String>,
    /// Who the token was minted for (a dispatcher's id, a device); informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The token's own id, for revoking it alone. Every token the edge mints has one; tokens
    /// made before it did stay valid until their job is revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

impl Claims {
    /// Claims for a new token valid from `now_s` for `ttl_s` seconds, with our audience.
    pub fn new(scope: Scope, now_s: i64, ttl_s: i64) -> Self {
        Claims {
            scope,
            exp: now_s + ttl_s,
            nbf: None,
            iat: Some(now_s),
            aud: Some(Audience::One(AUDIENCE.into())),
            job_id: None,
            trailer_id: None,
            sub: None,
            jti: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("this request needs a token")]
    Missing,
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("only HS256 tokens are accepted")]
    Algorithm,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token is meant for another audience")]
    Audience,
    #[error("the token lacks a required claim: {0}")]
    Claims(&'static str),
    #[error("this token has been revoked")]
    Revoked,
    /// A revoked track token: the customer's link was withdrawn (the page says so).
    #[error("this tracking link has been withdrawn")]
    LinkRevoked,
}

impl ErrorCode for TokenError {
    fn code(&self) -> &'static str {
        match self {
            TokenError::Missing => "token_missing",
            TokenError::Malformed => "token_malformed",
            TokenError::Algorithm => "token_algorithm",
            TokenError::Signature => "token_invalid",
            TokenError::Expired => "token_expired",
            TokenError::NotYetValid => "token_not_yet_valid",
            TokenError::Audience => "token_audience",
            TokenError::Claims(_) => "token_claims",
            TokenError::Revoked => "token_revoked",
            TokenError::LinkRevoked => "link_revoked",
        }
    }

    fn status(&self) -> u16 {
        match self {
            TokenError::LinkRevoked => 410,
            _ => 401,
        }
    }
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length")
}

/// Signs `claims` as a compact HS256 JWT.
pub fn sign(claims: &Claims, secret: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims always serialise"));
    let signing_input = format!("{header}.{payload}");
    let mut m = mac(secret);
    m.update(signing_input.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
    format!("{signing_input}.{sig}")
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// Verifies signature, algorithm, `exp`, `nbf`, `aud` and the scope's binding claims.
pub fn verify(token: &str, secret: &[u8], now_s: i64) -> Result<Claims, TokenError> {
    if token.is_empty() {
        return Err(TokenError::Missing);
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::Malformed);
    };
    let header: Header = decode_json(h64)?;
    if header.alg != "HS256" {
        return Err(TokenError::Algorithm);
    }
    let sig = URL_SAFE_NO_PAD.decode(s64).map_err(|_| TokenError::Malformed)?;
    let mut m = mac(secret);
    m.update(h64.as_bytes());
    m.update(b".");
    m.update(p64.as_bytes());
    m.verify_slice(&sig).map_err(|_| TokenError::Signature)?;

    let raw: serde_json::Value = decode_json(p64)?;
    let claims = claims_from(raw)?;
    if now_s > claims.exp + LEEWAY_S {
        return Err(TokenError::Expired);
    }
    if claims.nbf.is_some_and(|nbf| now_s + LEEWAY_S < nbf) {
        return Err(TokenError::NotYetValid);
    }
    if let Some(aud) = &claims.aud {
        let ok = match aud {
            Audience::One(a) => a == AUDIENCE,
            Audience::Many(all) => all.iter().any(|a| a == AUDIENCE),
        };
        if !ok {
            return Err(TokenError::Audience);
        }
    }
    match claims.scope {
        Scope::Track if claims.job_id.is_none() => Err(TokenError::Claims("job_id")),
        Scope::Ingest if claims.job_id.is_none() && claims.trailer_id.is_none() => {
            Err(TokenError::Claims("job_id or trailer_id"))
        }
        _ => Ok(claims),
    }
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

/// Numeric dates may be written as floats by some libraries; the scope must be one we know.
fn claims_from(mut raw: serde_json::Value) -> Result<Claims, TokenError> {
    let obj = raw.as_object_mut().ok_or(TokenError::Malformed)?;
    for key in ["exp", "nbf", "iat"] {
        if let Some(v) = obj.get(key) {
            let n = v.as_f64().filter(|n| n.is_finite()).ok_or(TokenError::Claims(key))?;
            obj.insert(key.into(), serde_json::Value::from(n.floor() as i64));
        }
    }
    if !obj.contains_key("exp") {
        return Err(TokenError::Claims("exp"));
    }
    if !obj.get("scope").is_some_and(|s| s.is_string()) {
        return Err(TokenError::Claims("scope"));
    }
    serde_json::from_value(raw).map_err(|_| TokenError::Claims("scope"))
}

/// The `job_id` claim of a token, read WITHOUT verifying it: for choices that grant nothing,
/// such as which page version to serve.
pub fn peek_job_id(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let raw: serde_json::Value = decode_json(payload).ok()?;
    raw.get("job_id")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret-for-vectors-0123456789";
    const NOW: i64 = 1_800_000_000;

    // Made with PyJWT 2.15: jwt.encode(payload, SECRET, algorithm=...).
    const PYJWT_TRACK: &str = include_str!("../testdata/pyjwt_track.jwt");
    const PYJWT_HS512: &str = include_str!("../testdata/pyjwt_hs512.jwt");
    const PYJWT_NONE: &str = include_str!("../testdata/pyjwt_none.jwt");
    const PYJWT_WRONG_AUD: &str = include_str!("../testdata/pyjwt_wrong_aud.jwt");
    const PYJWT_AUD_LIST: &str = include_str!("../testdata/pyjwt_aud_list.jwt");

    #[test]
    fn accepts_a_pyjwt_token() {
        let c = verify(PYJWT_TRACK.trim(), SECRET, NOW).unwrap();
        assert_eq!(c.scope, Scope::Track);
        assert_eq!(c.job_id.as_deref(), Some("job_demo"));
        assert_eq!(c.exp, 1_900_000_000);
        assert!(verify(PYJWT_AUD_LIST.trim(), SECRET, NOW).is_ok());
    }

    #[test]
    fn refuses_other_algorithms_and_audiences() {
        assert_eq!(verify(PYJWT_HS512.trim(), SECRET, NOW), Err(TokenError::Algorithm));
        assert_eq!(verify(PYJWT_NONE.trim(), SECRET, NOW), Err(TokenError::Algorithm));
        assert_eq!(verify(PYJWT_WRONG_AUD.trim(), SECRET, NOW), Err(TokenError::Audience));
    }

    #[test]
    fn our_tokens_round_trip_and_need_the_key() {
        let mut c = Claims::new(Scope::Ingest, NOW, 600);
        c.trailer_id = Some("T1".into());
        c.jti = Some("tok_0123456789abcdefghjk".into());
        let t = sign(&c, SECRET);
        assert_eq!(verify(&t, SECRET, NOW).unwrap(), c);
        assert_eq!(verify(&t, b"another key", NOW), Err(TokenError::Signature));
    }

    #[test]
    fn expiry_and_not_before_with_leeway() {
        let c = Claims::new(Scope::Dispatch, NOW, 60);
        let t = sign(&c, SECRET);
        assert!(verify(&t, SECRET, NOW + 60 + LEEWAY_S).is_ok());
        assert_eq!(verify(&t, SECRET, NOW + 61 + LEEWAY_S), Err(TokenError::Expired));
        let mut f = Claims::new(Scope::Dispatch, NOW, 600);
        f.nbf = Some(NOW + 300);
        let t = sign(&f, SECRET);
        assert_eq!(verify(&t, SECRET, NOW), Err(TokenError::NotYetValid));
        assert!(verify(&t, SECRET, NOW + 300 - LEEWAY_S).is_ok());
    }

    #[test]
    fn scoped_tokens_need_their_binding() {
        let t = sign(&Claims::new(Scope::Track, NOW, 60), SECRET);
        assert_eq!(verify(&t, SECRET, NOW), Err(TokenError::Claims("job_id")));
        let t = sign(&Claims::new(Scope::Ingest, NOW, 60), SECRET);
        assert!(matches!(verify(&t, SECRET, NOW), Err(TokenError::Claims(_))));
    }

    #[test]
    fn tampering_is_caught() {
        let mut c = Claims::new(Scope::Track, NOW, 600);
        c.job_id = Some("job_a".into());
        let t = sign(&c, SECRET);
        let parts: Vec<&str> = t.split('.').collect();
        let mut forged = c.clone();
        forged.job_id = Some("job_b".into());
        let p = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        let swapped = format!("{}.{}.{}", parts[0], p, parts[2]);
        assert_eq!(verify(&swapped, SECRET, NOW), Err(TokenError::Signature));
        for bad in ["", "a.b", "a.b.c.d", "###.###.###", &"x".repeat(5000)] {
            assert!(verify(bad, SECRET, NOW).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_strings_never_panic(s in ".{0,300}") {
            let _ = verify(&s, SECRET, NOW);
        }

        #[test]
        fn a_flipped_character_never_verifies(i in 0usize..200, c in proptest::char::range('A', 'z')) {
            let mut claims = Claims::new(Scope::Track, NOW, 600);
            claims.job_id = Some("job_x".into());
            let t = sign(&claims, SECRET);
            let i = i % t.len();
            let mut b: Vec<char> = t.chars().collect();
            if b[i] != c && b[i] != '.' && c != '.' {
                b[i] = c;
                let s: String = b.into_iter().collect();
                // Changing a base64 character may leave the decoded bytes equal (unused low
                // bits of the last character); anything else must fail.
                if let Ok(ok) = verify(&s, SECRET, NOW) { proptest::prop_assert_eq!(ok, claims); }
            }
        }
    }
}
