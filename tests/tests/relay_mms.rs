//! Picture messages to the company number reach the dispatcher with their media links, and the
//! audit keeps them; Twilio's webhook paths take a trailing slash; a JSON body is checked by
//! its `bodySHA256` before it is refused as a format no webhook of ours takes.

use qdn_tests::*;

/// A Twilio media URL as the incoming-message webhook carries it.
fn media_url(n: usize) -> String {
    format!(
        "https://api.twilio.com/2010-04-01/Accounts/{}/Messages/MM{:032x}/Media/ME{:032x}",
        env_or("QDN_TWILIO_ACCOUNT_SID", "AC0"),
        n,
        n + 1
    )
}

/// An MMS SID (`MM` + 32 hex).
fn mms_sid() -> String {
    format!("MM{}", &message_sid()[2..])
}

/// The form Twilio posts for an MMS (parameters as on its incoming-message webhook page).
fn inbound_mms(sid: &str, from: &str, body: &str, media: &[(String, &str)]) -> Resp {
    let count = media.len().to_string();
    let mut params: Vec<(String, String)> = [
        ("ToCountry", "US"),
        ("SmsMessageSid", sid),
        ("NumMedia", &count),
        ("SmsSid", sid),
        ("SmsStatus", "received"),
        ("Body", body),
        ("To", &env_or("QDN_COMPANY_NUMBER", "")),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", &env_or("QDN_TWILIO_ACCOUNT_SID", "AC0")),
        ("From", from),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (i, (url, ty)) in media.iter().enumerate() {
        params.push((format!("MediaUrl{i}"), url.clone()));
        params.push((format!("MediaContentType{i}"), ty.to_string()));
    }
    let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    twilio_post("/sms/inbound", &refs)
}

/// Waits for the relay of `customer`'s message to the primary, acknowledges it (so no cascade
/// runs on), and returns the relayed text and the message's status entry.
fn relayed(sid: &str, customer: &str) -> (String, serde_json::Value) {
    let h = handlers();
    let msg = wait_for("the relay of the MMS", 15, || {
        sent_to(&h[0], customer).into_iter().next()
    });
    let text = msg["body"].as_str().unwrap().to_string();
    inbound_sms(&message_sid(), &h[0], &format!("ACK {}", reference_in(&text)));
    let status = wait_for("the message in /relay/status", 10, || relay_message(sid));
    (text, status)
}

#[test]
fn a_picture_with_text_is_relayed_with_its_links() {
    use_test_roster();
    let customer = customer_phone();
    let sid = mms_sid();
    let media = [(media_url(1), "image/jpeg"), (media_url(2), "image/png")];
    let r = inbound_mms(&sid, &customer, "gate code 4411, see photos", &media);
    assert_eq!(r.status, 200, "{}", r.body);
    let (text, status) = relayed(&sid, &customer);
    assert!(text.contains("gate code 4411, see photos"), "{text}");
    assert!(text.contains(&format!("[image/jpeg] {}", media[0].0)), "{text}");
    assert!(text.contains(&format!("[image/png] {}", media[1].0)), "{text}");
    assert_eq!(status["media"], serde_json::json!([media[0].0, media[1].0]));
}

#[test]
fn a_picture_without_text_is_relayed_as_its_link() {
    use_test_roster();
    let customer = customer_phone();
    let sid = mms_sid();
    let url = media_url(3);
    assert_eq!(
        inbound_mms(&sid, &customer, "", &[(url.clone(), "image/jpeg")]).status,
        200
    );
    let (text, status) = relayed(&sid, &customer);
    assert!(text.contains(&format!("[image/jpeg] {url}")), "{text}");
    assert_eq!(status["media"], serde_json::json!([url]));
}

#[test]
fn a_long_text_is_cut_before_a_link() {
    use_test_roster();
    let customer = customer_phone();
    let sid = mms_sid();
    let url = media_url(4);
    let long = "w".repeat(3000);
    assert_eq!(
        inbound_mms(&sid, &customer, &long, &[(url.clone(), "image/jpeg")]).status,
        200
    );
    let (text, _) = relayed(&sid, &customer);
    assert!(text.chars().count() <= 1600, "{} chars", text.chars().count());
    assert!(text.contains(&format!("w...\n[image/jpeg] {url}")), "{text}");
}

#[test]
fn a_plain_text_has_no_media() {
    use_test_roster();
    let customer = customer_phone();
    let sid = message_sid();
    assert_eq!(inbound_sms(&sid, &customer, "just text").status, 200);
    let (_, status) = relayed(&sid, &customer);
    assert_eq!(status["media"], serde_json::json!([]));
}

#[test]
fn twilio_paths_take_a_trailing_slash() {
    use_test_roster();
    let customer = customer_phone();
    let sid = message_sid();
    // Signed over the URL as configured, slash included.
    let r = twilio_post(
        "/sms/inbound/",
        &[
            ("MessageSid", &sid),
            ("From", &customer),
            ("Body", "slash"),
            ("NumMedia", "0"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    relayed(&sid, &customer);
    let r = twilio_post(
        "/voice/inbound/",
        &[("CallSid", "CA0000000000000000000000000000slash"), ("From", &customer)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<Dial"), "{}", r.body);
    // The signature still covers the path as received.
    let url = format!("{}/sms/inbound", base());
    let params = vec![
        ("MessageSid".to_string(), message_sid()),
        ("From".to_string(), customer.clone()),
    ];
    let sig = qdn_shared::twilio::signature(&env_or("QDN_TWILIO_AUTH_TOKEN", ""), &url, &params);
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    req("POST", "/sms/inbound/")
        .header("X-Twilio-Signature", &sig)
        .body("application/x-www-form-urlencoded", &form)
        .expect_error(403, "signature_invalid");
}

/// Twilio signs a JSON body through `bodySHA256` in the URL (twilio-node
/// `validateRequestWithBody`, twilio-python `validate` with a string body). No webhook of ours
/// takes JSON, so a correctly signed one is refused as a format (415), a wrongly signed one as
/// a signature (403); the libraries' own vectors are tests in `shared/src/twilio/validator/tests.rs`.
#[test]
fn a_json_webhook_is_checked_by_its_body_hash() {
    let body = r#"{"MessageSid":"SM0","From":"+15550000001","Body":"hi"}"#;
    let token = env_or("QDN_TWILIO_AUTH_TOKEN", "");
    let hash = qdn_shared::twilio::body_sha256(body.as_bytes());
    let path = format!("/sms/inbound?bodySHA256={hash}");
    let sig = qdn_shared::twilio::signature(&token, &format!("{}{path}", base()), &[]);
    req("POST", &path)
        .header("X-Twilio-Signature", &sig)
        .body("application/json", body)
        .expect_error(415, "unsupported_media_type");
    // The body changed on the way: its hash no longer matches the signed URL.
    req("POST", &path)
        .header("X-Twilio-Signature", &sig)
        .body("application/json", &body.replace("hi", "ho"))
        .expect_error(403, "signature_invalid");
    // The URL's hash changed with the body, but the signature was made for the old URL.
    let forged = qdn_shared::twilio::body_sha256(body.replace("hi", "ho").as_bytes());
    req("POST", &format!("/sms/inbound?bodySHA256={forged}"))
        .header("X-Twilio-Signature", &sig)
        .body("application/json", &body.replace("hi", "ho"))
        .expect_error(403, "signature_invalid");
}
