//! `POST /api/tokens`: which tokens a dispatcher may mint, for what, and for how long.

use serde::Deserialize;

use crate::body::{Field, Invalid, RequestBody};
use crate::token::{Scope, MAX_TTL_S};

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
    pub ttl_s: i64,
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
            None => scope.default_ttl_s(),
            Some(t) if (1..=MAX_TTL_S).contains(&t) => t,
            Some(_) => return Err(bad_ttl()),
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
    use crate::ErrorCode;

    fn mint(v: serde_json::Value) -> Result<Mint, &'static str> {
        crate::body::parse::<TokenRequest>(v.to_string().as_bytes())
            .map_err(|e| e.code())?
            .validate()
            .map_err(|e| e.code())
    }

    #[test]
    fn each_scope_gets_its_default_lifetime() {
        let m = mint(serde_json::json!({"scope": "track", "job_id": "J1"})).unwrap();
        assert_eq!(m.ttl_s, TRACK_TOKEN_TTL_S);
        let m = mint(serde_json::json!({"scope": "dispatch"})).unwrap();
        assert_eq!(m.ttl_s, DISPATCH_TOKEN_TTL_S);
        let m = mint(serde_json::json!({"scope": "ingest", "trailer_id": "T1", "ttl_s": 60})).unwrap();
        assert_eq!((m.ttl_s, m.trailer_id.as_deref()), (60, Some("T1")));
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
