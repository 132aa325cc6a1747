//! Revoked tokens: one by its `jti`, or every token bound to a job up to a moment.
//!
//! The edge keeps the whole list in memory per isolate (refreshed from D1 at least every
//! minute) and asks it about every verified token; the rule lives here, tested natively.

use std::collections::{HashMap, HashSet};

use crate::body::{Field, Invalid, RequestBody};
use crate::token::{Claims, Scope, TokenError};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revocations {
    /// Revoked token ids.
    pub jtis: HashSet<String>,
    /// Job id → when its tokens were revoked (seconds): every token bound to the job and
    /// issued (`iat`) at or before then.
    pub jobs: HashMap<String, i64>,
}

impl Revocations {
    /// Refuses a revoked token. The answer depends on the token alone, never on the path it
    /// is used on, so it tells nothing about any other job.
    pub fn check(&self, claims: &Claims) -> Result<(), TokenError> {
        let by_jti = claims.jti.as_ref().is_some_and(|j| self.jtis.contains(j));
        let by_job = claims
            .job_id
            .as_ref()
            .and_then(|j| self.jobs.get(j))
            .is_some_and(|&at| {
                // A token without `iat` cannot show it came after the revocation.
                claims.iat.is_none_or(|iat| iat <= at)
            });
        match (by_jti || by_job, claims.scope) {
            (false, _) => Ok(()),
            (true, Scope::Track) => Err(TokenError::LinkRevoked),
            (true, _) => Err(TokenError::Revoked),
        }
    }

    /// The `iat` for a token bound to `job_id` minted at `now_s`: after the job's revocation,
    /// so a link minted in the same second as a revocation is not born revoked.
    pub fn issue_at(&self, job_id: Option<&str>, now_s: i64) -> i64 {
        match job_id.and_then(|j| self.jobs.get(j)) {
            Some(&at) if at >= now_s => at + 1,
            _ => now_s,
        }
    }
}

/// `POST /api/tokens/revoke`: `{"jti"}` or `{"job_id"}`, exactly one.
#[derive(Debug, serde::Deserialize)]
pub struct RevokeRequest {
    #[serde(default)]
    pub jti: Field<String>,
    #[serde(default)]
    pub job_id: Field<String>,
}

impl RequestBody for RevokeRequest {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoke {
    Jti(String),
    Job(String),
}

impl RevokeRequest {
    pub fn validate(self) -> Result<Revoke, Invalid> {
        let id = |f: Field<String>, key: &str| {
            let bad = || Invalid::new("invalid_id", format!("{key} must be 1-64 letters, digits, - or _"));
            match f.optional(bad)? {
                Some(id) if !crate::job::valid_id(&id) => Err(bad()),
                id => Ok(id),
            }
        };
        match (id(self.jti, "jti")?, id(self.job_id, "job_id")?) {
            (Some(jti), None) => Ok(Revoke::Jti(jti)),
            (None, Some(job)) => Ok(Revoke::Job(job)),
            _ => Err(Invalid::new(
                "invalid_revocation",
                "send either jti (one token) or job_id (every token of the job), not both",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    const NOW: i64 = 1_800_000_000;

    fn token(scope: Scope, job: Option<&str>, jti: Option<&str>, iat: Option<i64>) -> Claims {
        let mut c = Claims::new(scope, NOW, 600);
        c.job_id = job.map(str::to_string);
        c.jti = jti.map(str::to_string);
        c.iat = iat;
        c
    }

    #[test]
    fn a_revoked_jti_is_refused_and_others_are_not() {
        let mut r = Revocations::default();
        r.jtis.insert("tok_a".into());
        let a = token(Scope::Dispatch, None, Some("tok_a"), Some(NOW));
        assert_eq!(r.check(&a), Err(TokenError::Revoked));
        assert_eq!(r.check(&token(Scope::Dispatch, None, Some("tok_b"), Some(NOW))), Ok(()));
        assert_eq!(r.check(&token(Scope::Dispatch, None, None, Some(NOW))), Ok(()));
    }

    #[test]
    fn a_job_revocation_takes_every_token_of_the_job_issued_until_then() {
        let mut r = Revocations::default();
        r.jobs.insert("J1".into(), NOW);
        let track = token(Scope::Track, Some("J1"), Some("t1"), Some(NOW));
        assert_eq!(r.check(&track), Err(TokenError::LinkRevoked));
        assert_eq!(track_status(&r, &track), (410, "link_revoked"));
        let ingest = token(Scope::Ingest, Some("J1"), None, Some(NOW - 100));
        assert_eq!(r.check(&ingest), Err(TokenError::Revoked));
        assert_eq!(track_status(&r, &ingest), (401, "token_revoked"));
        // Made before jti existed and without iat: revoked with its job.
        assert_eq!(
            r.check(&token(Scope::Track, Some("J1"), None, None)),
            Err(TokenError::LinkRevoked)
        );
        // Issued after the revocation, or for another job: valid.
        assert_eq!(r.check(&token(Scope::Track, Some("J1"), None, Some(NOW + 1))), Ok(()));
        assert_eq!(r.check(&token(Scope::Track, Some("J2"), None, Some(NOW))), Ok(()));
        // A trailer-bound ingest token belongs to no job.
        let mut trailer = token(Scope::Ingest, None, None, Some(NOW));
        trailer.trailer_id = Some("T1".into());
        assert_eq!(r.check(&trailer), Ok(()));
    }

    fn track_status(r: &Revocations, c: &Claims) -> (u16, &'static str) {
        let e = r.check(c).unwrap_err();
        (e.status(), e.code())
    }

    #[test]
    fn a_link_minted_in_the_second_of_a_revocation_is_not_born_revoked() {
        let mut r = Revocations::default();
        r.jobs.insert("J1".into(), NOW);
        let iat = r.issue_at(Some("J1"), NOW);
        assert_eq!(iat, NOW + 1);
        assert_eq!(r.check(&token(Scope::Track, Some("J1"), None, Some(iat))), Ok(()));
        assert_eq!(r.issue_at(Some("J1"), NOW + 5), NOW + 5);
        assert_eq!(r.issue_at(Some("J2"), NOW), NOW);
        assert_eq!(r.issue_at(None, NOW), NOW);
    }

    #[test]
    fn a_revocation_names_one_target() {
        let parse = |v: serde_json::Value| {
            crate::body::parse::<RevokeRequest>(v.to_string().as_bytes())
                .map_err(|e| e.code())?
                .validate()
                .map_err(|e| e.code())
        };
        use serde_json::json;
        assert_eq!(parse(json!({"jti": "tok_1"})), Ok(Revoke::Jti("tok_1".into())));
        assert_eq!(parse(json!({"job_id": "J1"})), Ok(Revoke::Job("J1".into())));
        assert_eq!(
            parse(json!({"job_id": "J1", "jti": null})),
            Ok(Revoke::Job("J1".into()))
        );
        for (v, code) in [
            (json!({}), "invalid_revocation"),
            (json!({"jti": "a", "job_id": "b"}), "invalid_revocation"),
            (json!({"jti": 5}), "invalid_id"),
            (json!({"job_id": "a b"}), "invalid_id"),
            (json!({"jti": ""}), "invalid_id"),
        ] {
            assert_eq!(parse(v.clone()), Err(code), "{v}");
        }
    }
}
