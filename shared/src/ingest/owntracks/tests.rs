//! Payloads as OwnTracks writes them; the file is named above each test.

use super::*;
use crate::ingest::Outcome;
use chrono::{DateTime, Utc};

fn fix(r: Reported) -> RawFix {
    match r {
        Reported::Fix(f) => f,
        other => panic!("expected a fix, got {other:?}"),
    }
}

/// owntracks/booklet `docs/features/traccar.md` (the payload "an OwnTracks app produces") and
/// `docs/tech/http.md` (the `jo` test payload).
#[test]
fn booklet_locations() {
    let f = fix(parse(
        br#"{
  "cog": 271,
  "batt": 41,
  "lon": 2.29513,
  "acc": 5,
  "vel": 61,
  "vac": 21,
  "lat": 48.85833,
  "t": "u",
  "tst": 1497508651,
  "alt": 167,
  "_type": "location",
  "topic": "owntracks/jane/iphone",
  "p": 71,
  "tid": "JJ"
}"#,
        None,
    )
    .unwrap());
    assert_eq!((f.lat, f.lon), (Some(48.85833), Some(2.29513)));
    assert!((f.speed_mps.unwrap() - 61.0 / 3.6).abs() < 1e-9, "vel is km/h");
    assert_eq!((f.heading_deg, f.accuracy_m), (Some(271.0), Some(5.0)));
    assert_eq!(f.recorded_at.unwrap().timestamp(), 1_497_508_651);

    let f = fix(parse(br#"{"_type":"location","t":"u","batt":11,"lat":48.856826,"lon":2.292713,"tid":"JJ","tst":1777636700,"topic":"owntracks/jane/phone"}"#, None).unwrap());
    assert_eq!((f.speed_mps, f.heading_deg, f.accuracy_m), (None, None, None));
}

/// owntracks/android `project/app/src/test/resources/fixtures/`: `location_beacon_trigger.json`,
/// `location_deserialize_extended.json` (`"alt": 0.0` and no `vel`), and
/// `valid_location_message_with_topic.json`.
#[test]
fn android_fixtures() {
    let f = fix(parse(
        br#"{
  "_type": "location",
  "acc": 5,
  "alt": 84,
  "batt": 34,
  "bs": 1,
  "cog": 277,
  "conn": "m",
  "lat": -25.762245,
  "lon": 126.074502,
  "m": 2,
  "p": 100.477,
  "tid": "AA",
  "t": "b",
  "tst": 1721896446,
  "vac": 3,
  "vel": 79
}"#,
        None,
    )
    .unwrap());
    assert!((f.speed_mps.unwrap() - 79.0 / 3.6).abs() < 1e-9);

    let f = fix(parse(
        br#"{
  "_type": "location",
  "tid": "s5",
  "acc": 1600,
  "alt": 0.0,
  "batt": 99,
  "bs": 3,
  "cog": 56,
  "conn": "w",
  "_id": "inputTestId",
  "lat": 52.3153748,
  "lon": 5.0408462,
  "t": "p",
  "tst": 1514455575,
  "vac": 0,
  "inregions": ["Testregion1", "Testregion2"]
}"#,
        None,
    )
    .unwrap());
    assert_eq!((f.accuracy_m, f.speed_mps), (Some(1600.0), None));

    let f = fix(parse(
        br#"{
  "_type": "location",
  "tst": 1778266175,
  "lat": 0.000,
  "lon": 0.000,
  "topic": "owntracks/user/device",
  "acc": 15,
  "alt": 300
}"#,
        None,
    )
    .unwrap());
    assert_eq!(f.recorded_at.unwrap().timestamp(), 1_778_266_175);
}

/// Every other `_type` the apps send (booklet `docs/tech/json.md`, the Android fixtures
/// `transition_message.json`, `waypoint_message.json`, `valid_card_message.json`,
/// `cmd_report_location.json`, `unknown_message.json`) and the zero-length body the booklet's
/// `docs/tech/http.md` warns of: acknowledged, nothing stored.
#[test]
fn every_other_type_is_acknowledged() {
    for body in [
        r#"{"_type":"transition","acc":3,"desc":"myregion","event":"leave","lat":52.71234,"lon":-1.61234123,"t":"l","tid":"ce","tst":1603209966,"wtst":1558351273}"#,
        r#"{"_type":"waypoint","desc":"mypoint","lat":52.0027789,"lon":-1.0829312,"rad":150,"tst":1558351273}"#,
        r#"{"_type":"waypoints","waypoints":[{"_type":"waypoint","desc":"home","lat":53.6776261,"lon":-1.58268,"rad":100,"tst":1558351273}]}"#,
        r#"{"_type":"card","tid":"xx","name":"X X"}"#,
        r#"{"_type":"cmd","action":"reportLocation"}"#,
        r#"{"_type":"lwt","tst":1497476456}"#,
        r#"{"_type":"beacon","desc":"door","uuid":"CA271EAE-5FA8-4E80-8F08-2A302A95A959","major":1,"minor":2,"tst":1497476456,"acc":1,"rssi":-60,"prox":1}"#,
        r#"{"_type":"steps","tst":1497476456,"steps":1200,"from":1497400000,"to":1497476456}"#,
        r#"{"_type":"status","android":{"hib":1,"bo":1,"loc":1,"ps":0,"wifi":1},"_id":"a1b2"}"#,
        r#"{"_type":"configuration","mode":3,"deviceId":"phone"}"#,
        r#"{"_type":"request","request":"tour","tour":{"label":"x","from":"2022-08-01T05:54:58.000+02:00","to":"2022-08-02T05:54:58.000+02:00"}}"#,
        r#"{"some": "invalid message"}"#,
    ] {
        assert_eq!(
            parse(body.as_bytes(), None).unwrap(),
            Reported::Ignored(Ignored::UnusedType),
            "{body}"
        );
    }
    assert_eq!(parse(b"", None).unwrap(), Reported::Ignored(Ignored::EmptyBody));
    assert_eq!(parse(b"  \n", None).unwrap(), Reported::Ignored(Ignored::EmptyBody));
}

/// owntracks/android `project/app/src/test/java/org/owntracks/android/model/EncryptionProviderTest.kt`:
/// the message the app sealed with the secret "123".
const ANDROID_SEALED: &str = r#"{"_type":"encrypted","_id":"0571e18d","data":"aUiEKyGnskRz383od0mu4uqxTIxeZUddBVxKEmsdv1FFSH2y0NwqLP1tTqOmxaFhGv0bNX1DT7o81FW9Yaxpla6Byvr6CZV3t2skQv8nlxiIv1ZpQWM1bqHE0JFHwD3/yRx9bLHRF3j67kWcO6o2D/xn4ma8Fd4u86NPobFkRIzIhJljphEZyDCGugp7H3FkydGvgEkljb1/P1K91E/ij+m73wFplvTQm8ba5eWSFlQHDdY2B7QwbVPrKarHJLrm1+Y29+HD4Wg6TNhBJZLvdsmek6AcZLB+bq7Q84tUWoLrKp3aiyJZZX70q4HbVI3skkmDWMuMP2cDmsY9bvBjh1ZWAGlOq5VS1dWIlu6OWgWN9VdDbLzP+s2ykeFXrGs="}"#;

#[test]
fn an_android_sealed_location_opens_with_the_devices_key() {
    let f = fix(parse(ANDROID_SEALED.as_bytes(), Some("123")).unwrap());
    assert!((f.lat.unwrap() - 50.1182933).abs() < 0.001);
    assert!((f.lon.unwrap() + 5.5407733).abs() < 0.001);
    assert_eq!(f.accuracy_m, Some(5.0));
}

#[test]
fn a_sealed_message_without_the_right_key_is_acknowledged_for_a_dispatcher_to_see() {
    assert_eq!(
        parse(ANDROID_SEALED.as_bytes(), None).unwrap(),
        Reported::Ignored(Ignored::EncryptedNoKey)
    );
    assert_eq!(
        parse(ANDROID_SEALED.as_bytes(), Some("1234")).unwrap(),
        Reported::Ignored(Ignored::EncryptedWrongKey)
    );
    assert!(Ignored::EncryptedNoKey.needs_attention());
    // owntracks/android `fixtures/encrypted_message.json` is not base64: no app sends it.
    assert_eq!(
        parse(br#"{"_type":"encrypted","data":"TestCipherText"}"#, Some("123")).unwrap_err(),
        IngestError::Encrypted
    );
    assert_eq!(
        parse(br#"{"_type":"encrypted","data":"TestCipherText"}"#, None).unwrap(),
        Reported::Ignored(Ignored::EncryptedNoKey)
    );
}

/// Seals as `Connection.m` `encrypt:` does (iOS: nonce ‖ `crypto_secretbox_easy`), with a fixed
/// nonce instead of `randombytes_buf`.
fn seal(key: &[u8; 32], plain: &str) -> String {
    let nonce = [7u8; NONCE_BYTES];
    let boxed = XSalsa20Poly1305::new(Key::from_slice(key))
        .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
        .unwrap();
    let wire: Vec<u8> = nonce.iter().copied().chain(boxed).collect();
    format!(r#"{{"_type":"encrypted","data":"{}"}}"#, STANDARD.encode(wire))
}

#[test]
fn long_secrets_open_as_either_app_cut_them() {
    let plain = r#"{"_type":"location","lat":1.5,"lon":2.5,"tst":1777636700,"tid":"ab"}"#;
    // 1 + 20×2 bytes: byte 32 falls inside a "ü".
    let secret = format!("a{}", "ü".repeat(20));
    let bytes = secret.as_bytes();
    let mut android = [0u8; 32];
    android.copy_from_slice(&bytes[..32]);
    let mut ios = [0u8; 32];
    ios[..31].copy_from_slice(&bytes[..31]);
    assert_ne!(android, ios);
    for key in [android, ios] {
        let f = fix(parse(seal(&key, plain).as_bytes(), Some(&secret)).unwrap());
        assert_eq!((f.lat, f.lon), (Some(1.5), Some(2.5)));
    }
    // A short secret is zero-padded by both apps.
    let mut short = [0u8; 32];
    short[..3].copy_from_slice(b"123");
    assert!(matches!(
        parse(seal(&short, plain).as_bytes(), Some("123")).unwrap(),
        Reported::Fix(_)
    ));
    // A sealed transition is acknowledged like a plain one.
    let sealed = seal(
        &short,
        r#"{"_type":"transition","event":"enter","tst":1,"wtst":1,"acc":5}"#,
    );
    assert_eq!(
        parse(sealed.as_bytes(), Some("123")).unwrap(),
        Reported::Ignored(Ignored::UnusedType)
    );
}

/// A phone that was offline for more than a week (the app retries a location 100,000 times:
/// `MessageLocation.kt` `numberOfRetries`), and one whose clock runs 5 minutes fast.
#[test]
fn a_stale_queue_and_a_fast_clock() {
    let now: DateTime<Utc> = crate::time::parse_timestamp("2026-05-01T12:00:00Z").unwrap();
    let old = br#"{"_type":"location","lat":53.4,"lon":-2.9,"tst":1776000000,"tid":"t1"}"#;
    assert_eq!(
        parse(old, None).unwrap().settle(now).unwrap(),
        Outcome::Ignored(Ignored::TooOld)
    );
    let fast = format!(
        r#"{{"_type":"location","lat":53.4,"lon":-2.9,"tst":{},"tid":"t1"}}"#,
        now.timestamp() + 300
    );
    let Outcome::Store(c) = parse(fast.as_bytes(), None).unwrap().settle(now).unwrap() else {
        panic!("a fast clock's fix is stored")
    };
    assert_eq!((c.fix.recorded_at, c.clock_skew_s), (now, Some(300)));
}

#[test]
fn what_no_app_sends_is_an_error() {
    assert_eq!(parse(b"[1]", None).unwrap_err(), IngestError::Shape);
    assert_eq!(parse(b"{nope", None).unwrap_err(), IngestError::Json);
    assert_eq!(
        parse(br#"{"_type":"location","lat":1,"lon":2}"#, None).unwrap_err(),
        IngestError::Timestamp
    );
    assert_eq!(
        parse(br#"{"_type":"location","lat":"1","lon":2,"tst":1}"#, None).unwrap_err(),
        IngestError::NotANumber("lat")
    );
    assert_eq!(
        parse(br#"{"_type":"location","tst":1777636700}"#, None).unwrap(),
        Reported::Ignored(Ignored::NoCoordinates)
    );
    assert!(valid_key("mysecreTpass01") && !valid_key("") && !valid_key("a\nb"));
}
