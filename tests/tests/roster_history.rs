//! The relay metrics judge each moment by the roster of that moment: a dispatcher taken off the
//! roster today still has today's line. A binary of its own: it changes the one shared roster,
//! which the other binaries' tests (run before or after, never alongside) set for themselves.

use qdn_tests::*;
use serde_json::{json, Value};

fn roster() -> Value {
    let r = req("GET", "/api/relay/roster").bearer(&dispatch()).send();
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn put_roster(body: &Value) {
    let r = req("PUT", "/api/relay/roster").bearer(&dispatch()).json(body);
    assert_eq!(r.status, 200, "{}", r.body);
}

fn availability_ids(day: &Value) -> Vec<String> {
    day["availability"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["dispatcher_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_dispatcher_taken_off_the_roster_keeps_the_days_they_were_on_it() {
    let mut saved = roster();
    saved.as_object_mut().unwrap().remove("source");
    let leaver = uid("leaver");
    let mut with = saved.clone();
    with["tiers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"dispatcher_id": leaver, "name": "Lee", "phone": "+15550107777"}));
    put_roster(&with);
    put_roster(&saved);

    let r = req("GET", "/api/metrics/relay?days=1").bearer(&dispatch()).send();
    assert_eq!(r.status, 200, "{}", r.body);
    let today = &r.json()["days"][0];
    let ids = availability_ids(today);
    assert!(ids.contains(&leaver), "{leaver} was on today's roster: {today}");
    // The current roster's dispatchers come first, in its order.
    let current: Vec<String> = saved["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["dispatcher_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids[..current.len()], current[..], "{today}");
    // Then those only older versions had, the newest version first (earlier tests' rosters may
    // follow).
    assert_eq!(ids.get(current.len()), Some(&leaver), "{today}");
}
