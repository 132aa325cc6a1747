//! `TRACKER_SILENT_MIN` (default 10): a trailer of a job under way that sent no fix for that
//! long raises one alert naming the trailer and its device, once per silence, and nothing more
//! when it reports again.

use chrono::{Duration, Utc};
use qdn_tests::*;
use serde_json::{json, Value};

fn maintenance() {
    let r = req("POST", "/api/maintenance/run").bearer(&dispatch()).send();
    assert_eq!(r.status, 200, "{}", r.body);
}

fn alerts_naming(trailer: &str) -> Vec<Value> {
    standin_alerts()
        .into_iter()
        .filter(|a| a["kind"] == "tracker_silent" && a["text"].as_str().unwrap_or_default().contains(trailer))
        .collect()
}

fn post_at(job: &str, trailer: &str, ago_s: i64) {
    let r = post_fix(
        job,
        &ingest_trailer(trailer),
        json!({"lat": 53.40, "lon": -2.96, "recorded_at": (Utc::now() - Duration::seconds(ago_s)).to_rfc3339()}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
}

#[test]
fn a_silent_tracker_raises_one_alert_naming_trailer_and_device() {
    let device = uid("silentdev");
    let trailer = register_device(&device);
    let (job, _) = create_job(&[&trailer], "en_route");
    // Its newest fix is twenty minutes old.
    post_at(&job, &trailer, 20 * 60);
    maintenance();
    let alerts = wait_for("the silence alert", 10, || {
        let a = alerts_naming(&trailer);
        (!a.is_empty()).then_some(a)
    });
    let text = alerts[0]["text"].as_str().unwrap();
    assert!(text.contains(&device) && text.contains(&job), "{text}");
    // The same silence is not alerted again.
    maintenance();
    maintenance();
    assert_eq!(alerts_naming(&trailer).len(), 1);
    // Back: no alert, none "recovered" either.
    post_at(&job, &trailer, 5);
    maintenance();
    assert_eq!(alerts_naming(&trailer).len(), 1);
}

#[test]
fn a_tracker_that_reports_or_a_job_not_under_way_raises_nothing() {
    let device = uid("talkdev");
    let trailer = register_device(&device);
    let (job, _) = create_job(&[&trailer], "en_route");
    post_at(&job, &trailer, 30);
    // Just set out, no fix yet: not silent for ten minutes.
    let quiet = register_device(&uid("newdev"));
    create_job(&[&quiet], "en_route");
    // At the site, a trailer is expected to be still.
    let parked = register_device(&uid("parkdev"));
    let (at_site, _) = create_job(&[&parked], "at_site");
    post_at(&at_site, &parked, 30 * 60);
    maintenance();
    std::thread::sleep(std::time::Duration::from_secs(1));
    for t in [&trailer, &quiet, &parked] {
        assert!(alerts_naming(t).is_empty(), "{t}: {:?}", alerts_naming(t));
    }
}
