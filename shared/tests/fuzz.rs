//! Property-based fuzzing of every parser that takes outside input: arbitrary bytes and
//! adversarial JSON must give a value or an error with a stable code, never a panic, and a
//! parsed fix always passes the shared checks' invariants.
//!
//! Bounded by default (proptest's 256 cases per property); longer on demand:
//! `PROPTEST_CASES=100000 cargo test -p qdn-shared --test fuzz --release`.

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use qdn_shared::fix;
use qdn_shared::ingest::{osmand, owntracks, Outcome, Report, Reported};
use qdn_shared::{body, job, relay, token, twilio, ErrorCode};
use serde_json::Value;

fn now() -> DateTime<Utc> {
    qdn_shared::time::parse_timestamp("2026-06-01T12:00:00Z").unwrap()
}

/// JSON values of any shape, numbers at the edges included.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            any::<f64>(),
            Just(1e308),
            Just(-0.0),
            Just(90.0000001),
            Just(f64::MIN_POSITIVE)
        ]
        .prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("2026-06-01T11:59:00Z"),
            Just("1780315140"),
            Just("1780315140000"),
            Just("53.4,-2.9")
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("lat".to_string()),
                    Just("lon".to_string()),
                    Just("recorded_at".to_string()),
                    Just("speed_mps".to_string()),
                    Just("fixes".to_string()),
                    Just("_type".to_string()),
                    Just("tst".to_string()),
                    Just("device_id".to_string()),
                    Just("location".to_string()),
                    Just("coords".to_string()),
                    Just("latitude".to_string()),
                    Just("tiers".to_string()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn check_fix(c: &fix::Checked) {
    let f = &c.fix;
    assert!(f.lat.is_finite() && (-90.0..=90.0).contains(&f.lat));
    assert!(f.lon.is_finite() && (-180.0..=180.0).contains(&f.lon));
    assert!(f.speed_mps.is_none_or(|s| s.is_finite() && s >= 0.0));
    assert!(f.heading_deg.is_none_or(|h| (0.0..360.0).contains(&h)));
    // Never stored in our future; a skew is only reported for a fix moved to the receive time.
    assert!(f.recorded_at <= now() && f.recorded_at >= now() - fix::MAX_AGE);
    assert!(c
        .clock_skew_s
        .is_none_or(|s| (1..=86_400).contains(&s) && f.recorded_at == now()));
}

/// Every position of a parsed report settles into a stored fix that passes the invariants, an
/// acknowledged reason, or an error with a stable code.
fn settled(r: Reported) {
    match r.settle(now()) {
        Ok(Outcome::Store(c)) => check_fix(&c),
        Ok(Outcome::Ignored(why)) => assert!(!why.code().is_empty()),
        Err(e) => assert!(!e.code().is_empty()),
    }
}

fn report(r: Report) {
    assert!(qdn_shared::ingest::valid_device_id(&r.device_id));
    assert!(!r.positions.is_empty() && r.positions.len() <= fix::MAX_BATCH);
    for p in r.positions {
        settled(p.for_trailer("T-1"));
    }
}

proptest! {
    #[test]
    fn our_json_fixes(v in json()) {
        match fix::from_json(&v, now()) {
            Ok(c) => check_fix(&c),
            Err(e) => prop_assert!(e.code().starts_with("invalid_") || e.code().starts_with("recorded_at")),
        }
        let _ = fix::body(&v);
    }

    #[test]
    fn osmand_query_and_form(pairs in prop::collection::vec((prop_oneof![
        Just("id".to_string()), Just("lat".to_string()), Just("lon".to_string()), Just("timestamp".to_string()),
        Just("speed".to_string()), Just("bearing".to_string()), Just("location".to_string()),
        Just("notificationToken".to_string()), Just("valid".to_string()), Just("cell".to_string()), "[a-z]{1,6}"
    ], prop_oneof![".{0,24}", "[0-9]{9,13}", "-?[0-9]{1,3}\\.[0-9]{1,7}"]), 0..10)) {
        match osmand::from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), now()) {
            Ok(r) => report(r),
            Err(e) => prop_assert!(!e.code().is_empty()),
        }
    }

    #[test]
    fn osmand_raw_query_strings(q in "[ -~]{0,200}") {
        let pairs = twilio::parse_form(q.as_bytes());
        if let Ok(r) = osmand::from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), now()) {
            report(r);
        }
    }

    #[test]
    fn traccar_json(v in json(), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(r) = osmand::from_json(v.to_string().as_bytes(), now()) { report(r); }
        // The same value as a Transistorsoft body, one location or a batch.
        for location in [v.clone(), Value::Array(vec![v.clone(), v.clone()])] {
            let body = serde_json::json!({"device_id": "4711", "location": location});
            if let Ok(r) = osmand::from_json(body.to_string().as_bytes(), now()) { report(r); }
        }
        let _ = osmand::from_json(&bytes, now());
    }

    #[test]
    fn owntracks(v in json(), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(r) = owntracks::parse(v.to_string().as_bytes(), None) { settled(r); }
        if let Ok(r) = owntracks::parse(v.to_string().as_bytes(), Some("secret")) { settled(r); }
        let _ = owntracks::parse(&bytes, Some("secret"));
        let _ = owntracks::parse(&bytes, None);
    }

    #[test]
    fn owntracks_sealed_boxes(data in prop::collection::vec(any::<u8>(), 0..120), key in "\\PC{0,40}") {
        // Any bytes as a box's data, under any secret: a wrong key, never a panic.
        use base64::Engine;
        let body = serde_json::json!({"_type": "encrypted", "data": base64::engine::general_purpose::STANDARD.encode(&data)});
        match owntracks::parse(body.to_string().as_bytes(), Some(&key)) {
            Ok(r) => prop_assert_ne!(r.clone(), Reported::Ignored(qdn_shared::ingest::Ignored::EncryptedNoKey)),
            Err(e) => prop_assert_eq!(e.code(), "invalid_encrypted"),
        }
    }

    #[test]
    fn twilio_forms_and_signatures(body in prop::collection::vec(any::<u8>(), 0..300), sig in "[A-Za-z0-9+/=]{0,40}") {
        let params = twilio::parse_form(&body);
        // A random signature never verifies; the real one always does.
        prop_assert!(!twilio::verify("token", "https://example.com/sms/inbound", &params, &sig) || sig == twilio::signature("token", "https://example.com/sms/inbound", &params));
        let good = twilio::signature("token", "https://example.com/sms/inbound", &params);
        prop_assert!(twilio::verify("token", "https://example.com/sms/inbound", &params, &good));
        let _ = twilio::classify(400, &String::from_utf8_lossy(&body));
        // A signed JSON body verifies through its bodySHA256; another body never does.
        let url = format!("https://example.com/hook?bodySHA256={}", twilio::body_sha256(&body));
        let signed = twilio::signature("token", &url, &[]);
        prop_assert!(twilio::validate("token", &url, twilio::Body::Raw(&body), &signed));
        let mut other = body.clone();
        other.push(b' ');
        prop_assert!(!twilio::validate("token", &url, twilio::Body::Raw(&other), &signed));
        // Any inbound form is a message or a stable error; a message never relays an empty text
        // when it carries media.
        match twilio::Inbound::from_params(&params) {
            Ok(m) => prop_assert!(m.media.is_empty() || !m.relay_text().is_empty()),
            Err(e) => prop_assert!(e.code().starts_with("invalid_")),
        }
    }

    #[test]
    fn twilio_urls(url in "(https?://)?[ -~]{0,80}", params in prop::collection::vec(("[A-Za-z]{1,4}", "\\PC{0,6}"), 0..6)) {
        // Whatever the URL, the signature over it as given verifies, and each candidate is one
        // of at most six forms.
        let candidates = twilio::candidate_urls(&url);
        prop_assert!(!candidates.is_empty() && candidates.len() <= 6);
        let sig = twilio::signature("token", &url, &params);
        prop_assert!(twilio::verify("token", &url, &params, &sig) || !candidates.contains(&url));
    }

    #[test]
    fn tokens(t in "[A-Za-z0-9_.=-]{0,400}", v in json()) {
        let _ = token::verify(&t, b"secret", 1_800_000_000);
        let _ = token::peek_job_id(&t);
        // A signed payload of any shape is either valid claims or a claims error, never a panic.
        use base64::Engine;
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let input = format!("{}.{}", b.encode(r#"{"alg":"HS256"}"#), b.encode(v.to_string()));
        use hmac::Mac;
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"secret").unwrap();
        m.update(input.as_bytes());
        let jwt = format!("{input}.{}", b.encode(m.finalize().into_bytes()));
        if let Err(e) = token::verify(&jwt, b"secret", 1_800_000_000) {
            prop_assert!(e.code().starts_with("token_"));
        }
    }

    #[test]
    fn job_and_roster_bodies(v in json()) {
        let bytes = v.to_string().into_bytes();
        if let Ok(b) = body::parse::<job::NewJobBody>(&bytes) {
            let _ = b.validate();
        }
        if let Ok(b) = body::parse::<job::JobPatchBody>(&bytes) {
            let _ = b.validate();
        }
        if let Ok(r) = body::parse::<relay::roster::RosterBody>(&bytes).map_err(|e| e.to_string()).and_then(|b| b.validate(&|_| true).map_err(|e| e.to_string())) {
            prop_assert!(!r.tiers.is_empty() && r.tiers.iter().all(|t| qdn_shared::phone::is_e164(&t.phone)));
        }
    }

    #[test]
    fn dispatcher_texts(s in "\\PC{0,300}") {
        let _ = relay::command::parse(&s);
    }
}
