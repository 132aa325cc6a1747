//! Twilio's side of the wire: webhook signatures, form bodies, and what its REST answers mean.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Parses an `application/x-www-form-urlencoded` body.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut m = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC accepts any key length");
    m.update(url.as_bytes());
    for (k, v) in sorted {
        m.update(k.as_bytes());
        m.update(v.as_bytes());
    }
    m
}

/// `X-Twilio-Signature` for a POST to `url` with form `params`.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// The URL as Twilio may have signed it: as configured, and with the default port added or
/// removed (Twilio signs what it called, and proxies differ on keeping `:443`).
pub fn url_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_string()];
    for (scheme, port) in [("https://", ":443"), ("http://", ":80")] {
        let Some(rest) = url.strip_prefix(scheme) else {
            continue;
        };
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if let Some(bare) = host.strip_suffix(port) {
            out.push(format!("{scheme}{bare}{path}"));
        } else if !host.contains(':') {
            out.push(format!("{scheme}{host}{port}{path}"));
        }
    }
    out
}

/// Checks a webhook's signature in constant time against each URL variant.
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], provided: &str) -> bool {
    let Ok(sig) = STANDARD.decode(provided.trim()) else {
        return false;
    };
    url_variants(url)
        .iter()
        .any(|u| mac(auth_token, u, params).verify_slice(&sig).is_ok())
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

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn matches_twilio_python() {
        // Expected values computed by twilio-python 9 (RequestValidator.compute_signature).
        let params = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let url = "https://example.com/myapp.php?foo=1&bar=2";
        let token = "12345";
        assert_eq!(signature(token, url, &params), "vNe7KK2kJwCsxc9K3OLkkKB3qqI=");
        assert!(verify(token, url, &params, "vNe7KK2kJwCsxc9K3OLkkKB3qqI="));
        assert!(verify(
            token,
            "https://example.com:443/myapp.php?foo=1&bar=2",
            &params,
            "vNe7KK2kJwCsxc9K3OLkkKB3qqI="
        ));
        assert!(!verify(token, url, &params, "GvWf1cFY/Q7PnoempGyD5oXAezd="));
        assert!(!verify(
            token,
            "https://example.com/other",
            &params,
            "vNe7KK2kJwCsxc9K3OLkkKB3qqI="
        ));
        assert!(!verify(
            token,
            url,
            &p(&[("Digits", "9999")]),
            "vNe7KK2kJwCsxc9K3OLkkKB3qqI="
        ));
        assert!(!verify(token, url, &params, "not base64!"));
    }

    #[test]
    fn port_variants() {
        assert_eq!(
            url_variants("https://a.com/x"),
            vec!["https://a.com/x", "https://a.com:443/x"]
        );
        assert_eq!(
            url_variants("http://a.com:80/x?q"),
            vec!["http://a.com:80/x?q", "http://a.com/x?q"]
        );
        assert_eq!(url_variants("http://127.0.0.1:8787/x"), vec!["http://127.0.0.1:8787/x"]);
    }

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
