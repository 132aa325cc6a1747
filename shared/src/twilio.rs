//! Twilio's side of the wire: webhook signatures, form bodies, inbound messages, and what its REST
//! answers mean.

pub mod inbound;
pub mod validator;

pub use inbound::{Inbound, Media};
pub use validator::{body_sha256, candidate_urls, signature, validate, Body};

/// Parses an `application/x-www-form-urlencoded` body.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// `X-Twilio-Signature` of a form webhook: [`validator::validate`] with a form body.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], provided: &str) -> bool {
    validate(auth_token, url, Body::Form(params), provided)
}

/// What an answer of `POST .../Messages.json` means for the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendAnswer {
    Sent {
        sid: String,
    },
    /// The recipient cannot get texts: skip this tier at once.
    Unreachable {
        code: u32,
    },
    /// Try the next tier after backoff.
    Failed {
        code: Option<u32>,
    },
}

/// Twilio error codes meaning "this recipient will not get a text": 21610 (opted out, STOP),
/// 30006 (landline or unreachable carrier), 21614 (not a mobile number), 30004 (blocked).
pub const UNREACHABLE_CODES: [u32; 4] = [21610, 30006, 21614, 30004];

pub fn classify(status: u16, body: &str) -> SendAnswer {
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let code = json.get("code").and_then(|c| c.as_u64()).map(|c| c as u32);
    if (200..300).contains(&status) {
        return match json.get("sid").and_then(|s| s.as_str()) {
            Some(sid) => SendAnswer::Sent { sid: sid.to_string() },
            None => SendAnswer::Failed { code },
        };
    }
    match code {
        Some(c) if UNREACHABLE_CODES.contains(&c) => SendAnswer::Unreachable { code: c },
        _ => SendAnswer::Failed {
            code: code.or(Some(status as u32)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(
            classify(201, r#"{"sid":"SMabc","status":"queued"}"#),
            SendAnswer::Sent { sid: "SMabc".into() }
        );
        assert_eq!(
            classify(400, r#"{"code":21610,"message":"unsubscribed"}"#),
            SendAnswer::Unreachable { code: 21610 }
        );
        assert_eq!(
            classify(400, r#"{"code":30006}"#),
            SendAnswer::Unreachable { code: 30006 }
        );
        assert_eq!(
            classify(429, r#"{"code":20429}"#),
            SendAnswer::Failed { code: Some(20429) }
        );
        assert_eq!(classify(500, "oops"), SendAnswer::Failed { code: Some(500) });
    }
}
