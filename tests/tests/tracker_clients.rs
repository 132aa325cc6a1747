//! Each tracker client's requests as its source (or its test fixture) writes them, answered as
//! `docs/trackers.md` says: stored when usable, otherwise 200 with `"ignored": "<reason>"`.
//! The file is named above each test; only the device id and the times are today's (a
//! fixture's own time is years old and would be `too_old`, which one test shows on purpose).

use qdn_tests::*;
use serde_json::{json, Value};

/// A device on a trailer on an en-route job; returns (device, trailer, job, track token).
fn tracked() -> (String, String, String, String) {
    let device = uid("cli");
    let trailer = register_device(&device);
    let (job, track) = create_job(&[&trailer], "en_route");
    (device, trailer, job, track)
}

fn position(track: &str) -> Value {
    location(track).json()["position"].clone()
}

fn trail_len(track: &str) -> usize {
    location(track).json()["trail"].as_array().map_or(0, Vec::len)
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

fn form(path: &str, body: &str) -> Resp {
    req("POST", path).body("application/x-www-form-urlencoded", body)
}

fn close(v: &Value, x: f64) -> bool {
    v.as_f64().is_some_and(|v| (v - x).abs() < 1e-3)
}

/// A 200 that stored `n` fixes.
fn stored(r: &Resp, n: u64) -> Value {
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["accepted"], n, "{v}");
    assert!(v.get("ignored").is_none(), "{v}");
    v
}

/// A 200 that stored nothing, for `why`.
fn ignored(r: &Resp, why: &str) {
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(
        v,
        json!({"accepted": 0, "duplicates": 0, "rejected": [], "ignored": why}),
        "{why}"
    );
}

/// Traccar Client 10: traccar-client-sdk `core/src/commonMain/kotlin/org/traccar/client/HttpUploader.kt`
/// (release 0.0.24) posts a form of `id`, `lat`, `lon`, `timestamp` (epoch s), `accuracy`,
/// `altitude`, `speed` (knots, 2 decimals), `bearing`, `batt`, `charge`; `TrackerEngine.kt`
/// `applyHeartbeatTick` sends a heartbeat without coordinates; traccar-client
/// `lib/push_service.dart` posts `id` + `notificationToken` to the same URL.
#[test]
fn traccar_client_10_form_posts() {
    let (device, _, _, track) = tracked();
    let t = now_s() - 10;
    let r = form(
        "/ingest/osmand",
        &format!("id={device}&lat=53.4084&lon=-2.9916&timestamp={t}&accuracy=12.5&altitude=41.0&speed=9.72&bearing=271.0&batt=80&charge=false"),
    );
    stored(&r, 1);
    let p = position(&track);
    assert_eq!((p["lat"].as_f64(), p["lon"].as_f64()), (Some(53.4084), Some(-2.9916)));
    assert!(close(&p["speed_mps"], 5.0), "9.72 kn is 5.0 m/s: {p}");
    assert_eq!(
        (p["heading_deg"].as_f64(), p["accuracy_m"].as_f64()),
        (Some(271.0), Some(12.5))
    );
    assert_eq!(p["recorded_at"].as_str().map(|s| s[..19].to_string()), Some(utc(t)));

    // SOS (`Tracker.requestPosition(alarm)`) is still a fix.
    let sos = form(
        "/ingest/osmand",
        &format!(
            "id={device}&lat=53.4090&lon=-2.9916&timestamp={}&accuracy=5.0&batt=80&charge=true&alarm=sos",
            t + 5
        ),
    );
    stored(&sos, 1);

    // Heartbeat and push-token registration: acknowledged, so the queue behind them moves on.
    ignored(
        &form(
            "/ingest/osmand",
            &format!("id={device}&timestamp={}&batt=80&charge=false", t + 6),
        ),
        "heartbeat",
    );
    ignored(
        &form(
            "/ingest/osmand",
            &format!("id={device}&notificationToken=dpP3xk2xQ0mJ6g5Yt1pW8r%3AAPA91bHkq7QeX3vHj8sNn0a-Zr_2WcTt"),
        ),
        "push_token",
    );
    assert_eq!(trail_len(&track), 2);
}

/// Traccar Client ≤ 8: traccar-client-android `app/src/test/java/org/traccar/client/ProtocolFormatterTest.kt`
/// (the URL `ProtocolFormatter.kt` builds), POSTed with an empty body by `RequestManager.kt`.
/// `accuracy=0.0` is what `Position.kt` sends for a GPS fix: unknown, not stored.
#[test]
fn traccar_client_android_query_post() {
    let (device, _, _, track) = tracked();
    // The fixture exactly (1989, a GPS week rollover): far too old, acknowledged.
    ignored(
        &req("POST", "/ingest/osmand?id=123456789012345&timestamp=619315200&lat=0.0&lon=0.0&speed=0.0&bearing=0.0&altitude=0.0&accuracy=0.0&batt=0.0").send(),
        "no_open_job",
    );
    ignored(
        &req("POST", &format!("/ingest/osmand?id={device}&timestamp=619315200&lat=0.0&lon=0.0&speed=0.0&bearing=0.0&altitude=0.0&accuracy=0.0&batt=0.0")).send(),
        "too_old",
    );
    let t = now_s() - 3;
    let r = req(
        "POST",
        &format!("/ingest/osmand?id={device}&timestamp={t}&lat=53.41&lon=-2.96&speed=0.0&bearing=0.0&altitude=0.0&accuracy=0.0&batt=0.0&alarm=alert%20message"),
    )
    .send();
    stored(&r, 1);
    let p = position(&track);
    assert_eq!(p["lat"], 53.41);
    assert!(p.get("accuracy_m").is_none_or(Value::is_null), "0.0 is unknown: {p}");
}

/// OsmAnd: `OsmAnd/src/net/osmand/plus/plugins/monitoring/LiveMonitoringHelper.java` GETs the
/// typed URL with `{2}` in epoch ms and each value a Java `float` printed with `+ ""` (so a
/// small one reads `5.0E-4`); the README's URL names `{3}` `accuracy`.
#[test]
fn osmand_online_tracking_get() {
    let (device, _, _, track) = tracked();
    let ms = chrono::Utc::now().timestamp_millis() - 4_000;
    let r = req(
        "GET",
        &format!(
            "/ingest/osmand?id={device}&lat=53.4084&lon=5.0E-4&timestamp={ms}&accuracy=8.0&altitude=41.0&bearing=271.0"
        ),
    )
    .send();
    stored(&r, 1);
    let p = position(&track);
    assert_eq!((p["lon"].as_f64(), p["accuracy_m"].as_f64()), (Some(0.0005), Some(8.0)));
    // The millisecond is kept.
    let at = chrono::DateTime::parse_from_rfc3339(p["recorded_at"].as_str().unwrap()).unwrap();
    assert_eq!(at.timestamp_millis(), ms);
}

/// traccar/traccar `src/test/java/org/traccar/protocol/OsmAndProtocolDecoderTest.java`
/// `testDecodeQuery`: every form of the query the decoder reads, each with its units.
#[test]
fn traccar_decoder_variants() {
    let (device, _, _, track) = tracked();
    let t = now_s() - 600;
    let iso = |s: i64| {
        chrono::DateTime::from_timestamp(s, 0)
            .unwrap()
            .format("%Y-%m-%dT%H%%3A%M%%3A%SZ")
            .to_string()
    };
    let space = |s: i64| {
        chrono::DateTime::from_timestamp(s, 0)
            .unwrap()
            .format("%Y-%m-%d+%H%%3A%M%%3A%S")
            .to_string()
    };
    let cases: Vec<(String, i64)> = vec![
        // ISO 8601 with hdop (not an accuracy) and speed 0.
        (format!("id={device}&lat=53.40001&lon=-2.96&timestamp={}&hdop=6.0&altitude=224.0&speed=0.0", iso(t)), t),
        // Epoch milliseconds.
        (format!("id={device}&lat=53.40002&lon=-2.96&timestamp={}&hdop=6.0&altitude=224.0&speed=0.0", (t + 10) * 1000), t + 10),
        // `yyyy-MM-dd HH:mm:ss`, the id last.
        (format!("lat=53.40003&lon=-2.96&timestamp={}&altitude=384.7&speed=0.0&id={device}", space(t + 20)), t + 20),
        // `location=lat,lon`.
        (format!("id={device}&timestamp={}&location=53.40004,-2.96", t + 30), t + 30),
        // Knots: 40 kn is 20.578 m/s; `bearing` with decimals; extra attributes ignored.
        (format!("id={device}&timestamp={}&lat=53.40005&lon=-2.96&bearing=7.19889788244&speed=40&ignition=true&rpm=933&fuel=24", t + 40), t + 40),
    ];
    for (i, (query, at)) in cases.iter().enumerate() {
        stored(&req("GET", &format!("/ingest/osmand?{query}")).send(), 1);
        let p = position(&track);
        assert!(close(&p["lat"], 53.40001 + i as f64 * 1e-5), "{query}: {p}");
        assert_eq!(
            p["recorded_at"].as_str().map(|s| s[..19].to_string()),
            Some(utc(*at)),
            "{query}"
        );
    }
    let p = position(&track);
    assert!(close(&p["speed_mps"], 20.578) && close(&p["heading_deg"], 7.199), "{p}");

    // `deviceid`, `heading`, no timestamp: taken at the receive time.
    let r = req(
        "GET",
        &format!(
            "/ingest/osmand?lat=53.40006&lon=-2.96&speed=0.0&heading=0.0&vacc=0&hacc=0&altitude=0&deviceid={device}"
        ),
    )
    .send();
    stored(&r, 1);
    let p = position(&track);
    let at = chrono::DateTime::parse_from_rfc3339(p["recorded_at"].as_str().unwrap()).unwrap();
    assert!((chrono::Utc::now().timestamp() - at.timestamp()).abs() < 30, "{p}");

    // Cell towers and Wi-Fi only (Traccar reuses the last position; we have none to store).
    ignored(
        &req("GET", &format!("/ingest/osmand?id={device}&timestamp={}&cell=257,02,16,2224&cell=257,02,16,2223,-90&wifi=00-14-22-01-23-45,-80&wifi=00-1C-B3-09-85-15,-70", t + 50)).send(),
        "no_coordinates",
    );
    // `valid=false`, which the decoder reads.
    ignored(
        &req(
            "GET",
            &format!(
                "/ingest/osmand?id={device}&lat=53.41&lon=-2.96&timestamp={}&valid=false",
                t + 60
            ),
        )
        .send(),
        "marked_invalid",
    );
    // What no client sends is still a 400.
    req("GET", "/ingest/osmand?timestamp=1377177267&lat=60.0&lon=30.0")
        .send()
        .expect_error(400, "missing_device_id");
    req(
        "GET",
        &format!("/ingest/osmand?id={device}&lat=60.0&lon=30.0&altitude=high"),
    )
    .send()
    .expect_error(400, "invalid_number");
    assert_eq!(trail_len(&track), 6);
}

/// `YYYY-MM-DDTHH:MM:SS` of epoch seconds, as the view's `recorded_at` starts.
fn utc(s: i64) -> String {
    chrono::DateTime::from_timestamp(s, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

fn iso_ms(offset_s: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(offset_s))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Traccar Client 9 (traccar-client `lib/preferences.dart`, last v9 code: its location
/// template, `device_id` in `params`) and Lacak, as Traccar's `OsmAndProtocolDecoderTest.java`
/// `testDecodeJson` and the former `LacakProtocolDecoderTest.java` hold them: Transistorsoft
/// JSON, speed in m/s, `-1` for unknown.
#[test]
fn transistorsoft_single_location() {
    let (device, _, _, track) = tracked();
    let ts = iso_ms(-20);
    let client9 = format!(
        r#"{{"location":{{"timestamp":"{ts}","coords":{{"latitude":37.4219983,"longitude":-122.084,"accuracy":5,"speed":0,"heading":-1,"altitude":5}},"is_moving":false,"odometer":0,"event":"motionchange","battery":{{"level":1,"is_charging":false}},"activity":{{"type":"still"}},"extras":{{}},"_":"&id={device}&lat=37.4219983&lon=-122.084&timestamp={ts}&"}},"device_id":"{device}"}}"#
    );
    stored(&req("POST", "/ingest/osmand/").body("application/json", &client9), 1);
    let p = position(&track);
    assert_eq!(
        (p["lat"].as_f64(), p["speed_mps"].as_f64()),
        (Some(37.4219983), Some(0.0))
    );
    assert!(p.get("heading_deg").is_none_or(Value::is_null), "-1 is unknown: {p}");

    let ts = iso_ms(-10);
    let lacak = format!(
        r#"{{"location":{{"event":"motionchange","is_moving":false,"uuid":"0e9a2473-a9a7-4c00-997b-fb97d2154e75","timestamp":"{ts}","odometer":0,"coords":{{"latitude":-6.1148096,"longitude":106.6837015,"accuracy":3.8,"speed":18.67,"speed_accuracy":0.26,"heading":63,"heading_accuracy":0.28,"altitude":35.7,"altitude_accuracy":3.8}},"activity":{{"type":"still","confidence":100}},"battery":{{"is_charging":false,"level":0.79}},"extras":{{}}}},"device_id":"{device}"}}"#
    );
    stored(&req("POST", "/ingest/osmand").body("application/json", &lacak), 1);
    let p = position(&track);
    assert_eq!(
        (p["speed_mps"].as_f64(), p["heading_deg"].as_f64()),
        (Some(18.67), Some(63.0)),
        "m/s, not knots"
    );
}

/// `batchSync: true`: the SDK posts its queue as `"location": [...]`, even for one entry
/// (transistorsoft/cordova-background-geolocation-lt issue #836, the iOS request there). One
/// answer for the batch; the heartbeat in it is listed, not refused.
#[test]
fn transistorsoft_batch() {
    let (device, _, _, track) = tracked();
    let body = format!(
        r#"{{
  "location": [
    {{
      "coords": {{"speed": -1, "longitude": -73.6166638042786, "floor": null, "latitude": 45.51924196013187,
                 "accuracy": 32, "altitude_accuracy": 3, "altitude": 74.7, "heading": -1}},
      "extras": {{"foo": "bar"}}, "is_moving": false, "odometer": 24902.6,
      "uuid": "30E64CEB-E8E0-4084-A6DF-C5EDA0A6B074",
      "activity": {{"type": "still", "confidence": 100}},
      "battery": {{"level": 0.9800000190734863, "is_charging": true}},
      "timestamp": "{}"
    }},
    {{
      "coords": {{"speed": 12.5, "longitude": -73.6101, "latitude": 45.5201, "accuracy": 10, "altitude": 70, "heading": 90}},
      "is_moving": true, "uuid": "5A1F", "event": "", "timestamp": "{}"
    }},
    {{"event": "heartbeat", "timestamp": "{}", "uuid": "5A20"}}
  ],
  "device_id": "{device}"
}}"#,
        iso_ms(-300),
        iso_ms(-200),
        iso_ms(-100)
    );
    let r = req("POST", "/ingest/osmand").body("application/json", &body);
    let v = stored(&r, 2);
    assert_eq!(v["ignored_positions"], json!([{"index": 2, "ignored": "heartbeat"}]));
    assert_eq!(trail_len(&track), 2);
    assert_eq!(position(&track)["speed_mps"], 12.5);
    // A re-sent batch (its answer was lost) stores nothing twice.
    let again = req("POST", "/ingest/osmand").body("application/json", &body).json();
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(2))
    );

    // A one-entry array, and an entry that fails the shared checks inside a batch.
    let one = format!(
        r#"{{"location":[{{"coords":{{"latitude":45.53,"longitude":-73.61}},"timestamp":"{}"}},{{"coords":{{"latitude":91,"longitude":-73.61}},"timestamp":"{}"}}],"device_id":"{device}"}}"#,
        iso_ms(-50),
        iso_ms(-40)
    );
    let v = stored(&req("POST", "/ingest/osmand").body("application/json", &one), 1);
    assert_eq!(v["rejected"][0]["index"], 1);
    assert_eq!(v["rejected"][0]["error"], "invalid_lat");
}

/// A phone whose clock runs fast, one with a clock more than a day wrong, and one that was
/// offline past retention (Traccar Client 10's queue, as `HttpUploader.kt` posts it).
#[test]
fn clocks_and_stale_queues() {
    let (device, trailer, _, track) = tracked();
    let post = |t: i64, lat: f64| {
        form(
            "/ingest/osmand",
            &format!("id={device}&lat={lat}&lon=-2.9916&timestamp={t}&accuracy=12.5&speed=0.0&batt=80&charge=false"),
        )
    };
    // Five minutes fast: stored at the receive time, with the skew.
    let v = stored(&post(now_s() + 300, 53.401), 1);
    let skew = v["clock_skew_s"].as_i64().unwrap();
    assert!((295..=305).contains(&skew), "{v}");
    let at = chrono::DateTime::parse_from_rfc3339(position(&track)["recorded_at"].as_str().unwrap()).unwrap();
    assert!(at.timestamp() <= now_s(), "stored in the future: {at}");
    // 23 hours fast (a wrong time zone) is still a clock.
    let v = stored(&post(now_s() + 23 * 3600, 53.402), 1);
    assert!(v["clock_skew_s"].as_i64().unwrap() > 22 * 3600, "{v}");
    // Eight days offline: acknowledged, the queue moves on.
    ignored(&post(now_s() - 8 * 86_400, 53.403), "too_old");
    // Two days fast: no clock to trust. Acknowledged, and the device shown to dispatchers.
    ignored(&post(now_s() + 2 * 86_400, 53.404), "clock_ahead");
    let flags = needs_attention(&device);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(
        (flags[0]["reason"].as_str(), flags[0]["trailer_id"].as_str()),
        (Some("clock_ahead"), Some(trailer.as_str()))
    );
    // Fixed: the next stored fix clears it.
    stored(&post(now_s() - 1, 53.405), 1);
    assert!(needs_attention(&device).is_empty());
    assert_eq!(trail_len(&track), 3);
}

/// The dispatcher listing's `needs_attention` entries of one device.
fn needs_attention(device: &str) -> Vec<Value> {
    let r = req("GET", "/api/devices/unknown").bearer(&dispatch()).send();
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["needs_attention"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["device_id"] == device)
        .cloned()
        .collect()
}

/// `/ingest/osmand/` and `/ingest/owntracks/` are served as they are, not redirected (a
/// redirected POST comes back as a GET without its body). Traccar Client 9 appends the slash
/// itself to a URL without a path (`lib/preferences.dart`).
#[test]
fn trailing_slashes_are_served() {
    let (device, trailer, _, track) = tracked();
    let t = now_s() - 30;
    let r = req(
        "GET",
        &format!("/ingest/osmand/?id={device}&lat=53.4201&lon=-2.96&timestamp={t}"),
    )
    .send();
    stored(&r, 1);
    let r = form(
        "/ingest/osmand/",
        &format!("id={device}&lat=53.4202&lon=-2.96&timestamp={}", t + 1),
    );
    stored(&r, 1);
    assert_eq!(position(&track)["lat"], 53.4202);
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{device}:{}", ingest_trailer(&trailer))
        )
    );
    let r = req("POST", "/ingest/owntracks/")
        .header("Authorization", &auth)
        .json(&json!({"_type": "location", "lat": 53.4203, "lon": -2.96, "tst": t + 2, "tid": "t1"}));
    assert_eq!((r.status, r.body.trim()), (200, "[]"), "{}", r.body);
    assert_eq!(position(&track)["lat"], 53.4203);
    // Only one slash, and only where trackers and Twilio call.
    assert_eq!(req("GET", "/ingest/osmand//").send().status, 404);
    assert_eq!(req("GET", "/healthz/").send().status, 404);
}
