//! What storing a trailer's fixes an hour to a row risks: writers racing into one row, a fix
//! re-sent across an hour's edge, late and out-of-order fixes, and retention cutting through
//! an hour. Every fix is still stored exactly once, and the newest is the position.

use chrono::{DateTime, Duration, DurationRound, Utc};
use qdn_tests::*;
use serde_json::{json, Value};

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// The start of the hour before this one: a whole hour in the past, shared by every instant in it.
fn last_hour() -> DateTime<Utc> {
    Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::hours(1)
}

/// 53.4000, 53.4001, …: short decimals, as trackers send them.
fn lat(k: i64) -> f64 {
    format!("53.4{k:03}").parse().unwrap()
}

fn counts(v: &Value) -> (u64, u64) {
    (
        v["accepted"].as_u64().unwrap_or(99),
        v["duplicates"].as_u64().unwrap_or(99),
    )
}

fn trail_lats(v: &Value) -> Vec<f64> {
    v["trail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["lat"].as_f64().unwrap())
        .collect()
}

#[test]
fn eight_writers_into_one_trailer_hour_lose_nothing() {
    let trailer = uid("TRh");
    let (job, track) = create_job(&[&trailer], "en_route");
    let hour = last_hour();
    let shared =
        json!({"lat": 53.5, "lon": -2.96, "recorded_at": iso(hour + Duration::seconds(1000)), "trailer_id": trailer});
    let threads: Vec<_> = (0..8)
        .map(|w| {
            let (job, token, trailer, shared) = (job.clone(), ingest(&job), trailer.clone(), shared.clone());
            std::thread::spawn(move || {
                // Every writer first sends the same fix, then ten of its own, one per request.
                let mut sum = counts(&post_fix(&job, &token, shared).json());
                for i in 0..10 {
                    let at = hour + Duration::seconds(w * 10 + i + 1);
                    let f =
                        json!({"lat": lat(w * 10 + i), "lon": -2.96, "recorded_at": iso(at), "trailer_id": trailer});
                    let (a, d) = counts(&post_fix(&job, &token, f).json());
                    sum = (sum.0 + a, sum.1 + d);
                }
                sum
            })
        })
        .collect();
    let sum = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert_eq!(sum, (81, 7), "the shared fix once, and each writer's ten");
    // All of them are stored: re-sent together, every one is a duplicate.
    let all: Vec<Value> = (0..80)
        .map(|k| json!({"lat": lat(k), "lon": -2.96, "recorded_at": iso(hour + Duration::seconds(k + 1)), "trailer_id": trailer}))
        .chain([shared])
        .collect();
    assert_eq!(
        counts(&post_fix(&job, &ingest(&job), json!({"fixes": all})).json()),
        (0, 81)
    );
    let v = location(&track).json();
    assert_eq!(v["position"]["lat"], 53.5, "the newest fix is the position: {v}");
    let lats = trail_lats(&v);
    assert_eq!(lats.len(), 60, "{v}");
    assert_eq!(lats[..59], (21..80).map(lat).collect::<Vec<_>>()[..]);
}

#[test]
fn a_fix_resent_across_an_hour_edge_is_a_duplicate() {
    let (job, track) = create_job(&[], "en_route");
    let edge = last_hour();
    let fix = |s: i64| json!({"lat": lat(s + 10), "lon": -2.96, "recorded_at": iso(edge + Duration::seconds(s))});
    let batch = |range: std::ops::RangeInclusive<i64>| json!({"fixes": range.map(fix).collect::<Vec<_>>()});
    assert_eq!(counts(&post_fix(&job, &ingest(&job), batch(-2..=1)).json()), (4, 0));
    // Shifted by one second: three of them again, on both sides of the edge, and one new.
    assert_eq!(counts(&post_fix(&job, &ingest(&job), batch(-1..=2)).json()), (1, 3));
    // The fix exactly on the edge, alone, and the one just before it.
    assert_eq!(counts(&post_fix(&job, &ingest(&job), fix(0)).json()), (0, 1));
    assert_eq!(counts(&post_fix(&job, &ingest(&job), fix(-1)).json()), (0, 1));
    let lats = trail_lats(&location(&track).json());
    assert_eq!(lats, (8..=12).map(lat).collect::<Vec<_>>());
}

#[test]
fn late_and_out_of_order_fixes_are_kept_in_time_order_and_the_newest_stays_the_position() {
    let (job, track) = create_job(&[], "en_route");
    let now = Utc::now();
    let fix =
        |lat: f64, ago_s: i64| json!({"lat": lat, "lon": -2.96, "recorded_at": iso(now - Duration::seconds(ago_s))});
    let first = json!({"fixes": [fix(53.41, 3 * 3600), fix(53.43, 2 * 3600), fix(53.45, 60)]});
    assert_eq!(counts(&post_fix(&job, &ingest(&job), first).json()), (3, 0));
    // A late fix into an hour that already has newer fixes after it, and one into an hour of its own.
    assert_eq!(
        counts(&post_fix(&job, &ingest(&job), fix(53.42, 2 * 3600 + 1800)).json()),
        (1, 0)
    );
    assert_eq!(
        counts(&post_fix(&job, &ingest(&job), fix(53.40, 4 * 3600)).json()),
        (1, 0)
    );
    assert_eq!(
        counts(&post_fix(&job, &ingest(&job), fix(53.42, 2 * 3600 + 1800)).json()),
        (0, 1)
    );
    // Out of order within one post, with an instant twice: the first copy is the one kept.
    let shuffled = json!({"fixes": [fix(53.442, 200), fix(53.44, 300), fix(53.441, 250), fix(53.9, 300)]});
    assert_eq!(counts(&post_fix(&job, &ingest(&job), shuffled).json()), (3, 1));
    let v = location(&track).json();
    assert_eq!(v["position"]["lat"], 53.45, "{v}");
    assert_eq!(
        trail_lats(&v),
        [53.40, 53.41, 53.42, 53.43, 53.44, 53.441, 53.442, 53.45]
    );
}

#[test]
fn retention_cuts_through_an_hour_and_keeps_its_young_fixes() {
    let (job, track) = create_job(&[], "at_site");
    let seven_days = Duration::days(7);
    // Both fixes in one hour: wait out the last 30 s of an hour.
    while Utc::now() - seven_days + Duration::seconds(30)
        > (Utc::now() - seven_days).duration_trunc(Duration::hours(1)).unwrap() + Duration::hours(1)
    {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    let old = Utc::now() - seven_days + Duration::seconds(3);
    let young = old + Duration::seconds(20);
    let fix = |lat: f64, t: DateTime<Utc>| json!({"lat": lat, "lon": -2.96, "recorded_at": iso(t)});
    let both = json!({"fixes": [fix(53.41, old), fix(53.42, young)]});
    assert_eq!(counts(&post_fix(&job, &ingest(&job), both).json()), (2, 0));
    std::thread::sleep(std::time::Duration::from_secs(5));
    let run = req("POST", "/api/maintenance/run").bearer(&dispatch()).send();
    assert_eq!(run.status, 200, "{}", run.body);
    assert!(run.json()["fixes_deleted"].as_u64() >= Some(1), "{}", run.body);
    std::thread::sleep(std::time::Duration::from_millis(1200)); // past the view's 1 s cache
    assert_eq!(trail_lats(&location(&track).json()), [53.42]);
    // The young fix is still stored (a duplicate when re-sent), and the hour still takes fixes.
    let again = json!({"fixes": [fix(53.42, young), fix(53.43, young + Duration::seconds(1))]});
    assert_eq!(counts(&post_fix(&job, &ingest(&job), again).json()), (1, 1));
    assert_eq!(trail_lats(&location(&track).json()), [53.42, 53.43]);
}
