//! Every payload here is written as the client's source (or its test fixture) writes it; the
//! file is named above each test.

use super::*;
use crate::fix::Checked;
use crate::ingest::Outcome;

fn at(epoch_s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(epoch_s, 0).unwrap()
}

/// A receive time in the issue's present: every fixture below is older than 7 days by then.
fn today() -> DateTime<Utc> {
    crate::time::parse_timestamp("2026-05-01T12:00:00Z").unwrap()
}

/// Parses a query string or form body the way the edge does (`+` and `%XX` decoded).
fn q(s: &str, now: DateTime<Utc>) -> Result<Report, IngestError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(s.as_bytes()).into_owned().collect();
    from_params(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), now)
}

fn only(r: Report) -> Reported {
    assert_eq!(r.positions.len(), 1);
    r.positions.into_iter().next().unwrap()
}

fn fix(r: Reported) -> RawFix {
    match r {
        Reported::Fix(f) => f,
        other => panic!("expected a fix, got {other:?}"),
    }
}

fn stored(r: Reported, now: DateTime<Utc>) -> Checked {
    match r.settle(now).unwrap() {
        Outcome::Store(c) => c,
        other => panic!("expected a stored fix, got {other:?}"),
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-3)
}

/// traccar/traccar `src/test/java/org/traccar/protocol/OsmAndProtocolDecoderTest.java`,
/// `testDecodeQuery`: each request line, and what it becomes here.
#[test]
fn traccar_decoder_query_fixtures() {
    let t = |s: &str| only(q(s.trim_start_matches("/?"), today()).unwrap());

    // Cell towers and Wi-Fi only: Traccar falls back to the last known location; we have no
    // position to store.
    assert_eq!(
        t("/?id=123456&timestamp=1377177267&cell=257,02,16,2224&cell=257,02,16,2223,-90&wifi=00-14-22-01-23-45,-80&wifi=00-1C-B3-09-85-15,-70"),
        Reported::Ignored(Ignored::NoCoordinates)
    );
    // No device id: Traccar answers 400, so do we.
    assert_eq!(
        q("timestamp=1377177267&lat=60.0&lon=30.0", today()).unwrap_err(),
        IngestError::MissingDevice
    );

    let f = fix(t(
        "/?id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z&hdop=6.0&altitude=224.0&speed=0.0",
    ));
    assert_eq!(f.recorded_at, Some(at(1_453_920_947)));
    assert_eq!((f.lat, f.lon), (Some(42.06288), Some(-88.23412)));
    assert_eq!(f.speed_mps, Some(0.0));
    assert_eq!(f.accuracy_m, None, "hdop has no unit and is not an accuracy");

    let f = fix(t(
        "/?id=902064&lat=42.06288&lon=-88.23412&timestamp=1442068686579&hdop=6.0&altitude=224.0&speed=0.0",
    ));
    assert_eq!(f.recorded_at.unwrap().timestamp_millis(), 1_442_068_686_579);

    // `yyyy-MM-dd HH:mm:ss` (the `+` is a space), read as UTC.
    let r = q(
        "lat=49.60688&lon=6.15788&timestamp=2014-06-04+09%3A10%3A11&altitude=384.7&speed=0.0&id=353861053849681",
        today(),
    )
    .unwrap();
    assert_eq!(r.device_id, "353861053849681");
    assert_eq!(fix(only(r)).recorded_at, Some(at(1_401_873_011)));

    let f = fix(t(
        "/?id=123456&timestamp=1377177267&lat=60.0&lon=30.0&speed=0.0&bearing=0.0&altitude=0&hdop=0.0",
    ));
    assert_eq!(f.recorded_at, Some(at(1_377_177_267)));
    assert_eq!(f.heading_deg, Some(0.0));

    let f = fix(t("/?id=123456&timestamp=1377177267&lat=60.0&lon=30.0"));
    assert_eq!((f.lat, f.lon, f.speed_mps), (Some(60.0), Some(30.0), None));

    // `deviceid` and `heading`, no timestamp: taken at receive time.
    let r = q(
        "lat=60.0&lon=30.0&speed=0.0&heading=0.0&vacc=0&hacc=0&altitude=0&deviceid=123456",
        today(),
    )
    .unwrap();
    assert_eq!(r.device_id, "123456");
    let f = fix(only(r));
    assert_eq!((f.recorded_at, f.heading_deg), (Some(today()), Some(0.0)));

    let f = fix(t(
        "/?id=861001000719969&lat=41.666667&lon=-0.883333&altitude=350.059479&speed=0.000000&batt=87",
    ));
    assert_eq!(f.recorded_at, Some(today()));

    let f = fix(t("/?id=123456&timestamp=1377177267&location=60.0,30.0"));
    assert_eq!((f.lat, f.lon), (Some(60.0), Some(30.0)));

    // Speed in knots: 40 kn is 20.58 m/s.
    let f = fix(t("/?id=123456789012345&timestamp=1504763810&lat=40.7232948571&lon=-74.0061408571&bearing=7.19889788244&speed=40&ignition=true&rpm=933&fuel=24"));
    assert!(close(f.speed_mps, 20.578), "{:?}", f.speed_mps);
    assert!(close(f.heading_deg, 7.199));
}

/// Those fixtures replayed today are a queue that waited too long: acknowledged, not refused;
/// received near their own time they are stored as sent.
#[test]
fn a_stale_queue_is_acknowledged_and_a_fresh_fix_stored() {
    let line =
        "id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z&hdop=6.0&altitude=224.0&speed=0.0";
    let r = only(q(line, today()).unwrap());
    assert_eq!(r.clone().settle(today()).unwrap(), Outcome::Ignored(Ignored::TooOld));
    let c = stored(r, at(1_453_920_947 + 60));
    assert_eq!(c.fix.recorded_at, at(1_453_920_947));
    assert_eq!(c.clock_skew_s, None);
}

/// traccar/traccar-client-android `app/src/test/java/org/traccar/client/ProtocolFormatterTest.kt`
/// (the URL `ProtocolFormatter.kt` builds; `RequestManager.kt` POSTs it with an empty body).
/// `accuracy=0.0` is what `Position.kt` sends for GPS fixes: unknown, not perfect.
#[test]
fn traccar_client_android_7() {
    for url in [
        "http://localhost:5055?id=123456789012345&timestamp=619315200&lat=0.0&lon=0.0&speed=0.0&bearing=0.0&altitude=0.0&accuracy=0.0&batt=0.0",
        "http://localhost:5055/path?id=123456789012345&timestamp=619315200&lat=0.0&lon=0.0&speed=0.0&bearing=0.0&altitude=0.0&accuracy=0.0&batt=0.0&alarm=alert%20message",
    ] {
        let query = url.split_once('?').unwrap().1;
        let f = fix(only(q(query, today()).unwrap()));
        assert_eq!(f.recorded_at, Some(at(619_315_200)));
        assert_eq!(f.accuracy_m, None);
        // 1989 (a GPS week rollover, which `Position.kt` corrects for newer times): too old.
        assert_eq!(
            Reported::Fix(f).settle(today()).unwrap(),
            Outcome::Ignored(Ignored::TooOld)
        );
    }
}

/// Traccar Client 10 posts a form built by traccar-client-sdk
/// `core/src/commonMain/kotlin/org/traccar/client/HttpUploader.kt` (upstream release 0.0.24):
/// `id`, `lat`, `lon`, `timestamp` (epoch s), `accuracy`, `altitude`, `speed` (knots, two
/// decimals), `bearing`, `batt`, `charge`, `alarm`; lat/lon only when the position has them.
#[test]
fn traccar_client_10_form_post() {
    let now = at(1_777_636_800);
    let body = "id=48241179&lat=53.4084&lon=-2.9916&timestamp=1777636790&accuracy=12.5&altitude=41.0&speed=9.72&bearing=271.0&batt=80&charge=false";
    let c = stored(only(q(body, now).unwrap()), now);
    assert_eq!(c.fix.recorded_at, at(1_777_636_790));
    assert!(close(c.fix.speed_mps, 5.0), "9.72 kn is 5.0 m/s: {:?}", c.fix.speed_mps);
    assert_eq!((c.fix.heading_deg, c.fix.accuracy_m), (Some(271.0), Some(12.5)));

    // SOS (`Tracker.requestPosition(alarm)`) carries `alarm`; it is still a fix.
    let sos = "id=48241179&lat=53.4084&lon=-2.9916&timestamp=1777636790&accuracy=5.0&batt=80&charge=true&alarm=sos";
    assert!(matches!(only(q(sos, now).unwrap()), Reported::Fix(_)));

    // A heartbeat (`TrackerEngine.applyHeartbeatTick`: a Position with only a time, to which
    // `AndroidBatteryProcessor` adds the battery): acknowledged, not an error.
    let heartbeat = "id=48241179&timestamp=1777636790&batt=80&charge=false";
    assert_eq!(only(q(heartbeat, now).unwrap()), Reported::Ignored(Ignored::Heartbeat));
}

/// A clock 5 minutes fast, and a phone that was offline for more than 7 days: the two that
/// stopped trailers' tracking for good.
#[test]
fn traccar_client_10_fast_clock_and_long_offline_queue() {
    let now = at(1_777_636_800);
    let fast = "id=48241179&lat=53.4084&lon=-2.9916&timestamp=1777637100&accuracy=12.5&speed=0.0&batt=80&charge=false";
    let c = stored(only(q(fast, now).unwrap()), now);
    assert_eq!((c.fix.recorded_at, c.clock_skew_s), (now, Some(300)));

    let old = "id=48241179&lat=53.4084&lon=-2.9916&timestamp=1777000000&accuracy=12.5&speed=0.0&batt=80&charge=false";
    assert_eq!(
        only(q(old, now).unwrap()).settle(now).unwrap(),
        Outcome::Ignored(Ignored::TooOld)
    );
}

/// traccar/traccar-client `lib/push_service.dart` `_uploadToken`: a form POST of `id` and
/// `notificationToken` (both `Uri.encodeComponent`ed) to the same URL.
#[test]
fn traccar_client_push_token_registration() {
    let body = "id=48241179&notificationToken=dpP3xk2xQ0mJ6g5Yt1pW8r%3AAPA91bHkq7QeX3vHj8sNn0a-Zr_2WcTt";
    assert_eq!(only(q(body, today()).unwrap()), Reported::Ignored(Ignored::PushToken));
}

/// OsmAnd `OsmAnd/src/net/osmand/plus/plugins/monitoring/LiveMonitoringHelper.java`: a GET of
/// the typed URL with `{0}` lat, `{1}` lon, `{2}` time (epoch ms), `{3}` accuracy (m), `{4}`
/// altitude, `{5}` speed (m/s), `{6}` bearing, each a Java `float` printed with `+ ""`
/// (scientific notation below 10^-3). The README's URL names them as we read them.
#[test]
fn osmand_online_tracking_url() {
    let now = at(1_777_636_800);
    let url = "id=trailer7&lat=53.4084&lon=5.0E-4&timestamp=1777636790123&accuracy=8.0&altitude=41.0&bearing=271.0";
    let c = stored(only(q(url, now).unwrap()), now);
    assert_eq!(c.fix.lon, 0.0005);
    assert_eq!(c.fix.recorded_at.timestamp_millis(), 1_777_636_790_123);
    assert_eq!(c.fix.accuracy_m, Some(8.0));
}

#[test]
fn valid_false_is_acknowledged() {
    assert_eq!(
        only(q("id=1&lat=1&lon=2&valid=false", today()).unwrap()),
        Reported::Ignored(Ignored::MarkedInvalid)
    );
    assert!(matches!(
        only(q("id=1&lat=1&lon=2&valid=1", today()).unwrap()),
        Reported::Fix(_)
    ));
}

#[test]
fn what_no_client_sends_is_an_error() {
    assert_eq!(q("lat=1&lon=2", today()).unwrap_err(), IngestError::MissingDevice);
    assert_eq!(q("id=a/b&lat=1&lon=2", today()).unwrap_err(), IngestError::BadDevice);
    assert_eq!(
        q("id=a&lat=x&lon=2", today()).unwrap_err(),
        IngestError::NotANumber("lat")
    );
    assert_eq!(
        q("id=a&lat=1&lon=2&altitude=high", today()).unwrap_err(),
        IngestError::NotANumber("altitude")
    );
    assert_eq!(q("id=a&location=1;2", today()).unwrap_err(), IngestError::Location);
    assert_eq!(
        q("id=a&lat=1&lon=2&timestamp=tomorrow", today()).unwrap_err(),
        IngestError::Timestamp
    );
}

/// traccar/traccar `OsmAndProtocolDecoderTest.java` `testDecodeJson`: Traccar Client 9 (its
/// `lib/preferences.dart` location template, with the `_` query-string field), an iOS
/// simulator fix with `mock`, `-1` speed/heading/battery and `"floor": null`, and Lacak's
/// body (the former `LacakProtocolDecoderTest.java`).
#[test]
fn transistorsoft_json_fixtures() {
    let client9 = br#"{"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,"longitude":-122.084,"accuracy":5,"speed":0,"heading":-1,"altitude":5},"is_moving":false,"odometer":0,"event":"motionchange","battery":{"level":1,"is_charging":false},"activity":{"type":"still"},"extras":{},"_":"&id=48241179&lat=37.4219983&lon=-122.084&timestamp=2025-06-15T13:45:12.862Z&"},"device_id":"48241179"}"#;
    let r = from_json(client9, today()).unwrap();
    assert_eq!(r.device_id, "48241179");
    let f = fix(only(r));
    assert_eq!(f.recorded_at.unwrap().timestamp_millis(), 1_749_995_112_862);
    assert_eq!((f.speed_mps, f.heading_deg, f.accuracy_m), (Some(0.0), None, Some(5.0)));

    let extras = br#"{"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,"longitude":-122.084,"accuracy":5,"speed":0,"heading":-1,"altitude":5},"is_moving":false,"odometer":0,"event":"motionchange","battery":{"level":1,"is_charging":false},"activity":{"type":"still"},"extras":{"device_string_test":"long_device_id","device_bool_test":true,"device_bool_false_test":false,"device_integer_test":1,"device_integer_twelve_test":12,"device_double_test":1.345,"device_very_long_double_test":1763636.3442},"_":"&id=48241179&lat=37.4219983&lon=-122.084&timestamp=2025-06-15T13:45:12.862Z&"},"device_id":"48241179"}"#;
    assert_eq!(fix(only(from_json(extras, today()).unwrap())).lat, Some(37.4219983));

    let simulator = br#"{"location":{"extras":{},"mock":true,"coords":{"speed_accuracy":-1,"speed":-1,"longitude":-122.406417,"ellipsoidal_altitude":0,"floor":null,"heading_accuracy":-1,"latitude":37.785834000000001,"accuracy":5,"altitude_accuracy":-1,"altitude":0,"heading":-1},"is_moving":false,"age":188,"odometer":0,"uuid":"2FB04C65-99CF-42AB-8DD3-EBCB4B108BF8","event":"motionchange","battery":{"level":-1,"is_charging":false},"activity":{"type":"unknown","confidence":100},"timestamp":"2025-05-09T04:11:30.579Z"},"device_id":"658765"}"#;
    let f = fix(only(from_json(simulator, today()).unwrap()));
    assert_eq!((f.speed_mps, f.heading_deg), (None, None));

    let lacak = br#"{"location":{"event":"motionchange","is_moving":false,"uuid":"0e9a2473-a9a7-4c00-997b-fb97d2154e75","timestamp":"2021-07-21T08:06:34.444Z","odometer":0,"coords":{"latitude":-6.1148096,"longitude":106.6837015,"accuracy":3.8,"speed":18.67,"speed_accuracy":0.26,"heading":63,"heading_accuracy":0.28,"altitude":35.7,"altitude_accuracy":3.8},"activity":{"type":"still","confidence":100},"battery":{"is_charging":false,"level":0.79},"extras":{}},"device_id":"8737767034"}"#;
    let r = from_json(lacak, today()).unwrap();
    assert_eq!(r.device_id, "8737767034");
    let f = fix(only(r));
    assert_eq!(
        (f.speed_mps, f.heading_deg),
        (Some(18.67), Some(63.0)),
        "m/s, not knots"
    );
    assert_eq!(
        Reported::Fix(f).settle(today()).unwrap(),
        Outcome::Ignored(Ignored::TooOld)
    );
}

/// With `batchSync: true` the SDK posts its queue as `"location": [...]`, even for one entry
/// (transistorsoft/cordova-background-geolocation-lt issue #836, the iOS request there), with
/// the configured `params` (Traccar's `device_id`) at the root.
#[test]
fn transistorsoft_batch() {
    let body = br#"{
  "location": [
    {
      "coords": {"speed": -1, "longitude": -73.6166638042786, "floor": null, "latitude": 45.51924196013187,
                 "accuracy": 32, "altitude_accuracy": 3, "altitude": 74.7, "heading": -1},
      "extras": {"foo": "bar"}, "is_moving": false, "odometer": 24902.6,
      "uuid": "30E64CEB-E8E0-4084-A6DF-C5EDA0A6B074",
      "activity": {"type": "still", "confidence": 100},
      "battery": {"level": 0.9800000190734863, "is_charging": true},
      "timestamp": "2018-11-26T15:45:59.688Z"
    },
    {
      "coords": {"speed": 12.5, "longitude": -73.6101, "latitude": 45.5201, "accuracy": 10, "altitude": 70, "heading": 90},
      "is_moving": true, "uuid": "5A1F", "event": "", "timestamp": "2018-11-26T15:47:10.000Z"
    },
    {"event": "heartbeat", "timestamp": "2018-11-26T15:50:00.000Z", "uuid": "5A20"}
  ],
  "device_id": "48241179"
}"#;
    let r = from_json(body, today()).unwrap();
    assert_eq!(r.positions.len(), 3);
    let now = crate::time::parse_timestamp("2018-11-26T15:50:05Z").unwrap();
    let out: Vec<Outcome> = r.positions.into_iter().map(|p| p.settle(now).unwrap()).collect();
    let Outcome::Store(second) = &out[1] else {
        panic!("{out:?}")
    };
    assert_eq!(second.fix.speed_mps, Some(12.5));
    assert!(matches!(out[0], Outcome::Store(_)));
    assert_eq!(out[2], Outcome::Ignored(Ignored::Heartbeat));
}

#[test]
fn json_errors_are_for_what_no_client_sends() {
    assert_eq!(from_json(b"{", today()).unwrap_err(), IngestError::Json);
    assert_eq!(
        from_json(br#"{"device_id":"1"}"#, today()).unwrap_err(),
        IngestError::Shape
    );
    assert_eq!(
        from_json(br#"{"device_id":"1","location":[]}"#, today()).unwrap_err(),
        IngestError::Shape
    );
    assert_eq!(
        from_json(br#"{"location":{"coords":{"latitude":1,"longitude":2}}}"#, today()).unwrap_err(),
        IngestError::MissingDevice
    );
    assert_eq!(
        from_json(
            br#"{"device_id":"1","location":{"coords":{"latitude":"1","longitude":2}}}"#,
            today()
        )
        .unwrap_err(),
        IngestError::NotANumber("latitude")
    );
    let many = format!(
        r#"{{"device_id":"1","location":[{}]}}"#,
        vec![r#"{"coords":{"latitude":1,"longitude":2}}"#; 501].join(",")
    );
    assert_eq!(from_json(many.as_bytes(), today()).unwrap_err(), IngestError::TooMany);
    // A location without coordinates is Traccar's "use the last known position": acknowledged.
    assert_eq!(
        only(
            from_json(
                br#"{"device_id":"1","location":{"timestamp":"2026-05-01T11:59:00Z"}}"#,
                today()
            )
            .unwrap()
        ),
        Reported::Ignored(Ignored::NoCoordinates)
    );
}
