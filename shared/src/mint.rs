//! `POST /api/tokens`: which tokens a dispatcher may mint, for what, and for how long.
//!
//! A token mints only tokens of its own scope or lower that expire no later than itself, so a
//! stolen token cannot be stretched past its own life or widened.

use serde::Deserialize;

use crate::body::{Field, Invalid, RequestBody};
use crate::token::{Claims, Scope, MAX_TTL_S};
use crate::ErrorCode;

/// Track links last two weeks: long enough for a rescheduled job, short enough to go stale.
pub const TRACK_TOKEN_TTL_S: i64 = 14 * 24 * 3600;
/// A dispatcher's session token lasts a working day.
pub const DISPATCH_TOKEN_TTL_S: i64 = 12 * 3600;

impl Scope {
    /// How long a token of this scope lives unless the request says otherwise.
    pub fn default_ttl_s(self) -> i64 {
        match self {
            Scope::Track => TRACK_TOKEN_TTL_S,
            Scope::Ingest => MAX_TTL_S,
            Scope::Dispatch => DISPATCH_TOKEN_TTL_S,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    #[serde(default)]
    pub scope: Field<Scope>,
    #[serde(default)]
    pub job_id: Field<String>,
    #[serde(default)]
    pub trailer_id: Field<String>,
    #[serde(default)]
    pub ttl_s: Field<i64>,
}

impl RequestBody for TokenRequest {}

/// A checked request: what to put in the new token's claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Mint {
    pub scope: Scope,
    pub job_id: Option<String>,
    pub trailer_id: Option<String>,
    /// As asked; `None` is the scope's default, cut to the caller's remaining life.
    pub ttl_s: Option<i64>,
}

/// What the calling token cannot grant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    #[error("a {caller} token may not mint {wanted} tokens")]
    ScopeExceedsCaller { caller: &'static str, wanted: &'static str },
    #[error("the new token would outlive the calling token, which expires in {remaining_s} s")]
    TtlExceedsCaller { remaining_s: i64 },
}

impl ErrorCode for MintError {
    fn code(&self) -> &'static str {
        match self {
            MintError::ScopeExceedsCaller { .. } => "scope_exceeds_caller",
            MintError::TtlExceedsCaller { .. } => "ttl_exceeds_caller",
        }
    }

    fn status(&self) -> u16 {
        match self {
            MintError::ScopeExceedsCaller { .. } => 403,
            MintError::TtlExceedsCaller { .. } => 400,
        }
    }
}

impl Mint {
    /// The new token's lifetime from `now_s`, as far as `caller` may grant it.
    pub fn granted_by(&self, caller: &Claims, now_s: i64) -> Result<i64, MintError> {
        if self.scope > caller.scope {
            return Err(MintError::ScopeExceedsCaller {
                caller: caller.scope.as_str(),
                wanted: self.scope.as_str(),
            });
        }
        let remaining_s = caller.exp - now_s;
        let exceeds = MintError::TtlExceedsCaller { remaining_s };
        match self.ttl_s {
            _ if remaining_s < 1 => Err(exceeds),
            Some(t) if t > remaining_s => Err(exceeds),
            Some(t) => Ok(t),
            None => Ok(self.scope.default_ttl_s().min(remaining_s)),
        }
    }
}

impl TokenRequest {
    pub fn validate(self) -> Result<Mint, Invalid> {
        let scope = self
            .scope
            .required(|| Invalid::new("invalid_scope", "scope must be track, ingest or dispatch"))?;
        let id = |f: Field<String>, key: &str| {
            let bad = || Invalid::new("invalid_id", format!("{key} must be 1-64 letters, digits, - or _"));
            match f.optional(bad)? {
                Some(id) if !crate::job::valid_id(&id) => Err(bad()),
                id => Ok(id),
            }
        };
        let (job_id, trailer_id) = (id(self.job_id, "job_id")?, id(self.trailer_id, "trailer_id")?);
        let bad_ttl = || Invalid::new("invalid_ttl", format!("ttl_s must be an integer from 1 to {MAX_TTL_S}"));
        let ttl_s = match self.ttl_s.optional(bad_ttl)? {
            Some(t) if !(1..=MAX_TTL_S).contains(&t) => return Err(bad_ttl()),
            ttl => ttl,
        };
        match scope {
            Scope::Track if job_id.is_none() => Err(Invalid::new("missing_job_id", "a track token needs job_id")),
            Scope::Ingest if job_id.is_none() && trailer_id.is_none() => Err(Invalid::new(
                "missing_binding",
                "an ingest token needs job_id or trailer_id",
            )),
            _ => Ok(Mint {
                scope,
                job_id,
                trailer_id,
                ttl_s,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mint(v: serde_json::Value) -> Result<Mint, &'static str> {
        crate::body::parse::<TokenRequest>(v.to_string().as_bytes())
            .map_err(|e| e.code())?
            .validate()
            .map_err(|e| e.code())
    }

    const NOW: i64 = 1_800_000_000;
    const YEAR: i64 = 365 * 24 * 3600;

    fn caller(scope: Scope, lives_s: i64) -> Claims {
        Claims::new(scope, NOW - 10, lives_s + 10)
    }

    #[test]
    fn each_scope_gets_its_default_lifetime_within_the_callers() {
        let long = caller(Scope::Dispatch, YEAR + 86_400);
        let m = mint(serde_json::json!({"scope": "track", "job_id": "J1"})).unwrap();
        assert_eq!(m.granted_by(&long, NOW), Ok(TRACK_TOKEN_TTL_S));
        let m = mint(serde_json::json!({"scope": "dispatch"})).unwrap();
        assert_eq!(m.granted_by(&long, NOW), Ok(DISPATCH_TOKEN_TTL_S));
        let m = mint(serde_json::json!({"scope": "ingest", "trailer_id": "T1"})).unwrap();
        assert_eq!(m.granted_by(&long, NOW), Ok(MAX_TTL_S.min(YEAR + 86_400)));
        let m = mint(serde_json::json!({"scope": "ingest", "trailer_id": "T1", "ttl_s": 60})).unwrap();
        assert_eq!(
            (m.granted_by(&long, NOW), m.trailer_id.as_deref()),
            (Ok(60), Some("T1"))
        );
        // A caller with an hour left: the defaults are cut to that hour.
        let short = caller(Scope::Dispatch, 3600);
        let m = mint(serde_json::json!({"scope": "ingest", "job_id": "J1"})).unwrap();
        assert_eq!(m.granted_by(&short, NOW), Ok(3600));
    }

    #[test]
    fn no_token_outlives_or_outranks_its_minter() {
        let short = caller(Scope::Dispatch, 3600);
        let m = mint(serde_json::json!({"scope": "dispatch", "ttl_s": 3601})).unwrap();
        let e = m.granted_by(&short, NOW).unwrap_err();
        assert_eq!((e.code(), e.status()), ("ttl_exceeds_caller", 400));
        let m = mint(serde_json::json!({"scope": "dispatch", "ttl_s": 3600})).unwrap();
        assert_eq!(m.granted_by(&short, NOW), Ok(3600));
        // A dispatch token in its leeway (expired, still accepted) mints nothing.
        let m = mint(serde_json::json!({"scope": "track", "job_id": "J1"})).unwrap();
        assert!(m.granted_by(&caller(Scope::Dispatch, 0), NOW).is_err());
        // Scopes: only the caller's own or lower.
        let ingest = caller(Scope::Ingest, 3600);
        for (wanted, ok) in [("track", true), ("ingest", true), ("dispatch", false)] {
            let m = mint(serde_json::json!({"scope": wanted, "job_id": "J1", "ttl_s": 60})).unwrap();
            let got = m.granted_by(&ingest, NOW).map_err(|e| (e.code(), e.status()));
            assert_eq!(got.is_ok(), ok, "{wanted}: {got:?}");
            if !ok {
                assert_eq!(got, Err(("scope_exceeds_caller", 403)));
            }
        }
        let track = caller(Scope::Track, 3600);
        let m = mint(serde_json::json!({"scope": "ingest", "job_id": "J1"})).unwrap();
        assert!(m.granted_by(&track, NOW).is_err());
    }

    #[test]
    fn bad_requests_name_what_is_wrong() {
        use serde_json::json;
        for (v, code) in [
            (json!({}), "invalid_scope"),
            (json!({"scope": "root"}), "invalid_scope"),
            (json!({"scope": "track"}), "missing_job_id"),
            (json!({"scope": "ingest"}), "missing_binding"),
            (json!({"scope": "track", "job_id": ["x"]}), "invalid_id"),
            (json!({"scope": "track", "job_id": "a b"}), "invalid_id"),
            (json!({"scope": "ingest", "job_id": "J", "ttl_s": 1e12}), "invalid_ttl"),
            (json!({"scope": "ingest", "job_id": "J", "ttl_s": 0}), "invalid_ttl"),
            (
                json!({"scope": "ingest", "job_id": "J", "ttl_s": MAX_TTL_S + 1}),
                "invalid_ttl",
            ),
        ] {
            assert_eq!(mint(v.clone()), Err(code), "{v}");
        }
    }
}
