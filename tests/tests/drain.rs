//! How long a tracker's backlog takes to drain after a long offline period: 10,000 queued
//! OsmAnd fixes posted as Traccar Client 10 posts its queue (traccar-client-sdk
//! `TrackerEngine.kt` `syncLoop` / `HttpUploader.kt`): one form POST per fix, oldest first, the
//! next only after a 2xx; on anything else the same fix again after 5 s, doubling to 5 min.
//!
//! A measurement, not a check of speed (figures belong in `cargo xtask bench`), so it is
//! ignored by `cargo xtask test`. Against a running stack (`cargo xtask dev`):
//!
//! ```sh
//! QDN_BASE_URL=http://127.0.0.1:8787 QDN_JWT_SECRET=<JWT_SECRET of .dev.vars> \
//!   cargo test -p qdn-tests --release --test drain -- --ignored --nocapture
//! ```
//!
//! `QDN_DRAIN_FIXES` changes the count; `QDN_DRAIN_RTT_MS` waits that long before each request,
//! as a phone's round trip over a mobile network would (loopback answers in ~20 ms, faster than
//! any phone, and so outruns the per-device limit that a phone never reaches). It asserts what
//! must hold whatever the speed: every fix stored exactly once, the newest last.

use std::time::{Duration, Instant};

use qdn_tests::*;

#[test]
#[ignore = "a measurement: run by hand against `cargo xtask dev` (see the file's comment)"]
fn ten_thousand_queued_osmand_fixes_drain() {
    let n: i64 = env_or("QDN_DRAIN_FIXES", "10000").parse().unwrap();
    let rtt = Duration::from_millis(env_or("QDN_DRAIN_RTT_MS", "0").parse().unwrap());
    let device = uid("drain");
    let trailer = register_device(&device);
    let (_, track) = create_job(&[&trailer], "en_route");
    // Queued every 30 s while offline, ending a minute ago: 10,000 fixes span 3.5 days, inside
    // the 7 days that are kept.
    let newest = chrono::Utc::now().timestamp() - 60;
    let first = newest - (n - 1) * 30;
    // The address the tracker sends from (one mobile connection).
    let ip = "198.51.100.23";
    let (mut accepted, mut not_2xx, mut in_a_row, mut waited) = (0u64, 0u64, 0u64, Duration::ZERO);
    let started = Instant::now();
    for i in 0..n {
        let t = first + i * 30;
        let lat = 53.0 + (i % 1000) as f64 * 1e-4;
        let body = format!(
            "id={device}&lat={lat:.4}&lon=-2.9916&timestamp={t}&accuracy=12.5&altitude=41.0&speed=9.72&bearing=271.0&batt=80&charge=false"
        );
        let mut backoff = Duration::from_secs(5);
        let mut refused = 0;
        loop {
            std::thread::sleep(rtt);
            let r = req("POST", "/ingest/osmand")
                .header("CF-Connecting-IP", ip)
                .body("application/x-www-form-urlencoded", &body);
            if (200..300).contains(&r.status) {
                accepted += r.json()["accepted"].as_u64().unwrap_or(0);
                break;
            }
            not_2xx += 1;
            refused += 1;
            in_a_row = in_a_row.max(refused);
            waited += backoff;
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(Duration::from_secs(300));
        }
        if (i + 1) % 1000 == 0 {
            eprintln!("  {} fixes in {:.1} s", i + 1, started.elapsed().as_secs_f64());
        }
    }
    let took = started.elapsed();
    println!(
        "drain: {n} queued OsmAnd fixes, one request each (+{} ms round trip), in {:.1} s ({:.0} fixes/s); {not_2xx} non-2xx answers (at most {in_a_row} in a row), {:.0} s spent backing off",
        rtt.as_millis(),
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64(),
        waited.as_secs_f64()
    );
    assert_eq!(accepted, n as u64, "fixes were lost or stored twice");
    let v = location(&track).json();
    let last = chrono::DateTime::parse_from_rfc3339(v["position"]["recorded_at"].as_str().unwrap()).unwrap();
    assert_eq!(last.timestamp(), newest, "the newest queued fix is the position");
}
