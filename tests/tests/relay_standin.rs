//! The local Twilio stand-in speaks what the stack uses of Twilio's Messages API —
//! `MessagingServiceSid`, repeated `MediaUrl` — and refuses what Twilio's OpenAPI does not define,
//! so a field the stack starts sending by mistake fails here as it would at Twilio.

use base64::Engine;
use qdn_tests::*;
use serde_json::Value;

/// A send to the stand-in's Messages.json, as the stack makes it; (status, answer).
fn send(params: &[(&str, &str)]) -> (u16, Value) {
    let account = env_or("QDN_TWILIO_ACCOUNT_SID", "");
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{account}:{}", env_or("QDN_TWILIO_AUTH_TOKEN", "")));
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    let r = ureq::post(&format!(
        "{}/2010-04-01/Accounts/{account}/Messages.json",
        standin_base()
    ))
    .set("Authorization", &format!("Basic {auth}"))
    .set("Content-Type", "application/x-www-form-urlencoded")
    .send_string(&body);
    let (status, r) = match r {
        Ok(r) => (r.status(), r),
        Err(ureq::Error::Status(s, r)) => (s, r),
        Err(e) => panic!("the stand-in: {e}"),
    };
    (status, r.into_json().unwrap_or_default())
}

#[test]
fn a_messaging_service_send_with_media_is_taken_as_twilio_takes_it() {
    let to = customer_phone();
    let service = env_or("QDN_MESSAGING_SERVICE_SID", "");
    let (a, b) = ("https://example.com/a.jpg", "https://example.com/b.png");
    let (status, v) = send(&[
        ("To", &to),
        ("MessagingServiceSid", &service),
        ("Body", "two pictures"),
        ("MediaUrl", a),
        ("MediaUrl", b),
    ]);
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["messaging_service_sid"], service.as_str());
    assert_eq!(
        v["from"],
        env_or("QDN_COMPANY_NUMBER", ""),
        "a number of the service's pool"
    );
    assert_eq!(v["media_url"], serde_json::json!([a, b]));
    // A picture without text is a message too.
    let (status, v) = send(&[("To", &to), ("From", "+15550100000"), ("MediaUrl", a)]);
    assert_eq!(status, 201, "{v}");
}

#[test]
fn fields_twilio_does_not_define_are_refused() {
    let to = customer_phone();
    for (field, value) in [
        ("MediaUrls", "https://example.com/a.jpg"),
        ("Whisper", "1"),
        ("from", "+15550100000"),
    ] {
        let (status, v) = send(&[("To", &to), ("From", "+15550100000"), ("Body", "x"), (field, value)]);
        assert_eq!((status, v["code"].as_u64()), (400, Some(20001)), "{field}: {v}");
    }
    let (status, v) = send(&[
        ("To", &to),
        ("MessagingServiceSid", "MG00000000000000000000000000000000"),
        ("Body", "x"),
    ]);
    assert_eq!(
        (status, v["code"].as_u64()),
        (400, Some(21703)),
        "an unknown service: {v}"
    );
    let (status, v) = send(&[("To", &to), ("Body", "x")]);
    assert_eq!((status, v["code"].as_u64()), (400, Some(21603)), "no sender: {v}");
    assert!(sent_to(&to, "").is_empty());
}
