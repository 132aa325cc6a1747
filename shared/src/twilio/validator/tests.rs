//! The published test vectors of twilio-python (`tests/unit/test_request_validator.py`) and
//! twilio-node (`spec/validation.spec.js`): same token, URL, parameters and signatures.

use super::*;

const TOKEN: &str = "12345";
const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const EXPECTED: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
const BODY: &str = r#"{"property": "value", "boolean": true}"#;
const BODY_HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn params() -> Vec<(String, String)> {
    p(&[
        ("CallSid", "CA1234567890ABCDE"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
        ("Caller", "+14158675309"),
    ])
}

fn form(url: &str, params: &[(String, String)], sig: &str) -> bool {
    validate(TOKEN, url, Body::Form(params), sig)
}

fn raw(url: &str, body: &str, sig: &str) -> bool {
    validate(TOKEN, url, Body::Raw(body.as_bytes()), sig)
}

/// twilio-python `test_compute_signature`, `test_compute_hash_unicode`, `test_validation`.
#[test]
fn python_signature_hash_and_validation() {
    assert_eq!(signature(TOKEN, URL, &params()), EXPECTED);
    assert_eq!(body_sha256(BODY.as_bytes()), BODY_HASH);
    assert!(form(URL, &params(), EXPECTED));
}

/// twilio-python `test_compute_signature_duplicate_multi_dict` / `..._query_dict`, and
/// twilio-node "should validate request body with multiple params and values": keys sorted,
/// values sorted, duplicates removed.
#[test]
fn repeated_parameter_names() {
    let dup = p(&[
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ]);
    assert_eq!(signature(TOKEN, URL, &dup), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    assert!(form(URL, &dup, "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
    // The QueryDict variant: the same pairs parsed from a form body.
    let parsed = super::super::parse_form(b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234");
    assert!(form(URL, &parsed, "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
}

/// twilio-node "should validate request body with an array parameter [regardless of the
/// position of values in the array]".
#[test]
fn array_parameters_in_any_order() {
    for order in [
        [
            ("MessagingBinding.Address", "+1325xxxxxxx"),
            ("MessagingBinding.Address", "+1415xxxxxxx"),
        ],
        [
            ("MessagingBinding.Address", "+1415xxxxxxx"),
            ("MessagingBinding.Address", "+1325xxxxxxx"),
        ],
    ] {
        assert!(form(URL, &p(&order), "83O6e2vORAoJHUNzJjDWN1jz+BA="));
    }
}

/// twilio-python `test_validation_removes_port_on_https/_http`, `..._adds_port_on_https/_http`;
/// twilio-node "should validate https urls with ports by stripping them", "http urls with
/// ports", "... by adding standard port 443 / 80".
#[test]
fn ports_non_default_removed_default_added() {
    let with_port = URL.replace(".com", ".com:1234");
    assert!(form(&with_port, &params(), EXPECTED));
    let http_with_port = with_port.replace("https", "http");
    assert!(form(&http_with_port, &params(), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
    assert!(form(URL, &params(), "kvajT1Ptam85bY51eRf/AJRuM3w="));
    assert!(form(
        &URL.replace("https", "http"),
        &params(),
        "0ZXoZLH/DfblKGATFgpif+LLRf4="
    ));
    // A URL configured with :443 verifies a signature over the bare one too.
    assert!(form(&URL.replace(".com", ".com:443"), &params(), EXPECTED));
}

/// twilio-node "should validate urls with credentials", "... with just username", "... with
/// credentials by adding port".
#[test]
fn urls_with_credentials() {
    let creds = "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2";
    assert!(form(creds, &params(), "CukzLTc1tT5dXEDIHm/tKBanW10="));
    assert!(form(creds, &params(), "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="));
    let user = "https://user@mycompany.com/myapp.php?foo=1&bar=2";
    assert!(form(user, &params(), "2YRLlVAflCqxaNicjMpJcSTgzSs="));
}

/// twilio-node "should validate urls with special characters": the signature is over the
/// WHATWG form of the URL (`'` becomes `%27` in a query).
#[test]
fn urls_with_special_characters() {
    let special = format!("{URL}&Body=It's+amazing");
    assert!(form(&special, &params(), "TfZzewPq8wqrGlMfyAud8+/IvJ0="));
}

/// twilio-python `test_validation_of_body_succeeds`; twilio-node "should validate request body
/// when given", "... when empty", "... with only sha param".
#[test]
fn json_bodies_through_body_sha256() {
    let with_hash = format!("{URL}&bodySHA256={BODY_HASH}");
    assert!(raw(&with_hash, BODY, "a9nBmqA0ju/hNViExpshrM61xv4="));

    let empty_hash = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    assert_eq!(body_sha256(b"{}"), empty_hash);
    assert!(raw(
        &format!("{URL}&bodySHA256={empty_hash}"),
        "{}",
        "Ldidvp12m26NI7eqEvxnEpkd9Hc="
    ));

    let short = format!("https://mycompany.com/myapp.php?bodySHA256={BODY_HASH}");
    assert!(raw(&short, BODY, "y77kIzt2vzLz71DgmJGsen2scGs="));
}

/// twilio-node "should fail when given the wrong signature", "should fail when signature
/// undefined", "should fail validation if given body but no bodySHA256 param", middleware
/// "should send 403 for invalid signatures" and "should fail validation of post body with
/// wrong hash".
#[test]
fn what_must_fail() {
    assert!(!form(URL, &params(), "WRONG_SIGNATURE"));
    assert!(!form(URL, &params(), ""));
    assert!(!raw(URL, BODY, EXPECTED));
    let unexpected = format!("{URL}&somethingUnexpected=true");
    assert!(!form(&unexpected, &params(), EXPECTED));
    let with_hash = format!("{URL}&bodySHA256={BODY_HASH}");
    assert!(!raw(
        &with_hash[..with_hash.len() - 1],
        BODY,
        "a9nBmqA0ju/hNViExpshrM61xv4="
    ));
    assert!(!raw(&with_hash, "{}", "a9nBmqA0ju/hNViExpshrM61xv4="));
    // The header as sent: surrounding whitespace is not the signature.
    assert!(!form(URL, &params(), &format!(" {EXPECTED}")));
    // Another parameter value, another path.
    assert!(!form(URL, &p(&[("Digits", "9999")]), EXPECTED));
    assert!(!form("https://mycompany.com/other", &params(), EXPECTED));
}

#[test]
fn candidate_urls_are_the_libraries_forms() {
    assert_eq!(
        candidate_urls("https://a.com/x?q=1"),
        vec!["https://a.com/x?q=1", "https://a.com:443/x?q=1"]
    );
    assert_eq!(
        candidate_urls("http://a.com:8787/sms/inbound"),
        vec!["http://a.com/sms/inbound", "http://a.com:8787/sms/inbound"]
    );
    // Node's WHATWG and legacy-querystring forms of a query with characters they encode.
    let c = candidate_urls("https://a.com/x?Body=It's+amazing&b=%7e");
    assert!(
        c.contains(&"https://a.com/x?Body=It%27s+amazing&b=%7e".to_string()),
        "{c:?}"
    );
    assert!(
        c.contains(&"https://a.com/x?Body=It's%20amazing&b=~".to_string()),
        "{c:?}"
    );
    assert!(c.len() <= 6);
}

/// A repeated parameter whose values sort differently by UTF-16 code unit (JavaScript) and by
/// code point (Python, Rust): either library's signature verifies.
#[test]
fn both_sort_orders_of_astral_characters() {
    let params = p(&[("Tag", "\u{1F600}"), ("Tag", "\u{FF21}")]);
    let python_order = signature(TOKEN, URL, &params);
    assert!(form(URL, &params, &python_order));
    let node_order = {
        let mut m = Hmac::<Sha1>::new_from_slice(TOKEN.as_bytes()).unwrap();
        m.update(format!("{URL}Tag\u{1F600}Tag\u{FF21}").as_bytes());
        STANDARD.encode(m.finalize().into_bytes())
    };
    assert_ne!(node_order, python_order);
    assert!(form(URL, &params, &node_order));
}
