//! Live updates: `GET /api/jobs/{token}/live` pushes the location view on every accepted fix and
//! job change, to WebSocket and server-sent-event clients, and is authorised exactly as
//! `/location` is.

use std::time::Duration;

use qdn_tests::live::{self, Event, Stream};
use qdn_tests::*;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(5);

fn first_fix() -> Value {
    let recorded_at = (chrono::Utc::now() - chrono::Duration::seconds(60)).format("%Y-%m-%dT%H:%M:%SZ");
    json!({"lat": 53.40, "lon": -2.96, "recorded_at": recorded_at.to_string()})
}

fn en_route_with_a_fix() -> (String, String, Value) {
    let (job, track) = create_job(&[], "en_route");
    let fix = first_fix();
    let r = post_fix(&job, &ingest(&job), fix.clone());
    assert_eq!(r.status, 202, "{}", r.body);
    (job, track, fix)
}

/// The first event is the view as it is now, the same JSON `/location` answers.
fn greeted(s: &Stream, track: &str) -> Value {
    match s.next(WAIT) {
        Some(Event::View(v)) => {
            assert_eq!(v, location(track).json(), "the stream's view is /location's");
            v
        }
        other => panic!("expected the current view first, got {other:?}"),
    }
}

fn view_where(s: &Stream, what: &str, f: impl Fn(&Value) -> bool) -> Value {
    match s.until(WAIT, |e| matches!(e, Event::View(v) if f(v))) {
        Some(Event::View(v)) => v,
        other => panic!("no view with {what} within {WAIT:?}: {other:?}"),
    }
}

#[test]
fn a_fix_posted_reaches_open_streams_of_both_kinds() {
    let (job, track, _) = en_route_with_a_fix();
    let ws = live::websocket(&base(), &track).expect("a WebSocket stream");
    let sse = live::sse(&base(), &track, None).expect("an event stream");
    for s in [&ws, &sse] {
        assert_eq!(greeted(s, &track)["position"]["lat"], 53.40);
    }
    let r = post_fix(
        &job,
        &ingest(&job),
        json!({"lat": 53.42, "lon": -2.96, "recorded_at": at(-1)}),
    );
    assert_eq!(r.status, 202);
    for s in [&ws, &sse] {
        let v = view_where(s, "the new position", |v| v["position"]["lat"] == 53.42);
        assert!(v["eta"]["seconds"].is_i64(), "a moving trailer has an ETA: {v}");
        assert_eq!(v, location(&track).json());
    }
}

#[test]
fn a_duplicate_fix_pushes_nothing_and_a_status_change_does() {
    let (job, track, fix) = en_route_with_a_fix();
    let s = live::sse(&base(), &track, None).expect("an event stream");
    greeted(&s, &track);
    let again = post_fix(&job, &ingest(&job), fix);
    assert_eq!(again.json()["duplicates"], 1);
    patch_job(&job, json!({"status": "at_site"}));
    // The next event is the status change: the duplicate changed nothing, so nothing was sent.
    match s.next(WAIT) {
        Some(Event::View(v)) => {
            assert_eq!(v["status"], "at_site", "{v}");
            assert!(v["eta"].is_null(), "no ETA at the site: {v}");
        }
        other => panic!("expected the status change, got {other:?}"),
    }
}

#[test]
fn a_finished_job_sends_its_last_view_and_ends_the_stream() {
    let (job, track, _) = en_route_with_a_fix();
    let ws = live::websocket(&base(), &track).expect("a WebSocket stream");
    greeted(&ws, &track);
    patch_job(&job, json!({"status": "at_site"}));
    view_where(&ws, "at_site", |v| v["status"] == "at_site");
    patch_job(&job, json!({"status": "completed"}));
    view_where(&ws, "completed", |v| v["status"] == "completed");
    assert_eq!(ws.next(WAIT), Some(Event::Closed(1000)));
}

#[test]
fn refused_exactly_as_location_is() {
    let (job, track, _) = en_route_with_a_fix();
    let (other, _) = create_job(&[], "en_route");
    let expired = {
        let mut c = qdn_tests::tokens::claims(qdn_shared::token::Scope::Track, Some(&job), 3600);
        c.exp = chrono::Utc::now().timestamp() - 3600;
        sign(&c)
    };
    let keys = [
        "not-a-token".to_string(),
        format!("{track}x"),
        expired,
        qdn_tests::track("job_nobody_has"),
        ingest(&job),
    ];
    for key in &keys {
        let loc = req("GET", &format!("/api/jobs/{key}/location")).send();
        assert!(loc.status >= 400, "{key}: {}", loc.status);
        let (status, body) = live::sse(&base(), key, None).err().expect("refused");
        assert_eq!((status, body.as_str()), (loc.status, loc.body.as_str()), "SSE, {key}");
        // The WebSocket client keeps only the status of a refused handshake.
        let (status, _) = live::websocket(&base(), key).err().expect("refused");
        assert_eq!(status, loc.status, "WebSocket, {key}");
    }
    // The job-id form needs a token for that job, as /location does.
    let (status, _) = live::sse(&base(), &other, Some(&track))
        .err()
        .expect("another job's token");
    assert_eq!(status, 404);
    assert!(live::sse(&base(), &job, Some(&track)).is_ok());
    assert!(live::sse(&base(), &job, Some(&dispatch())).is_ok());
    req("POST", &format!("/api/jobs/{track}/live"))
        .send()
        .expect_error(405, "method_not_allowed");
}

#[test]
fn a_revoked_link_is_refused_and_its_open_streams_get_nothing_more() {
    let (job, track, _) = en_route_with_a_fix();
    let ws = live::websocket(&base(), &track).expect("a WebSocket stream");
    let sse = live::sse(&base(), &track, None).expect("an event stream");
    greeted(&ws, &track);
    greeted(&sse, &track);
    let r = req("POST", "/api/tokens/revoke")
        .bearer(&dispatch())
        .json(&json!({"job_id": job}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        post_fix(
            &job,
            &ingest_after_revocation(&job),
            json!({"lat": 53.425, "lon": -2.96, "recorded_at": at(-1)})
        )
        .status,
        202
    );
    let revoked = Some(Event::Refused {
        status: 410,
        error: "link_revoked".into(),
    });
    // The revocation reaches every isolate within a minute; the view is never sent meanwhile.
    for s in [&ws, &sse] {
        let e = s.until(
            Duration::from_secs(70),
            |e| !matches!(e, Event::View(v) if v["position"]["lat"] != 53.425),
        );
        assert_eq!(e, revoked, "after the revocation");
    }
    let (status, body) = live::websocket(&base(), &track).err().expect("refused once revoked");
    assert_eq!(status, 410, "{body}");
    location(&track).expect_error(410, "link_revoked");
    let (status, _) = live::sse(&base(), &track, None).err().expect("refused once revoked");
    assert_eq!(status, 410);
}

/// Ingest tokens of the job are revoked with it; a new one, minted after, still posts.
fn ingest_after_revocation(job: &str) -> String {
    let r = req("POST", "/api/tokens")
        .bearer(&dispatch())
        .json(&json!({"scope": "ingest", "job_id": job}));
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["token"].as_str().unwrap().to_string()
}

/// The page carries what `/location` would answer (its view, and the headline as HTML) for a
/// good link, and nothing of the job for a refused one.
#[test]
fn the_page_carries_the_first_view_only_for_a_link_location_answers() {
    let (job, track, _) = en_route_with_a_fix();
    let post = post_fix(
        &job,
        &ingest(&job),
        json!({"lat": 53.41, "lon": -2.96, "recorded_at": at(-1)}),
    );
    assert_eq!(post.status, 202);
    let page = req("GET", &format!("/track?job_id={track}")).send();
    assert_eq!(page.status, 200);
    let embedded = page
        .body
        .split("<script type=\"application/json\" id=\"qdn-view\">")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("the view's data block");
    let view: Value = serde_json::from_str(embedded).expect("the block is the view's JSON");
    assert_eq!(view, location(&track).json());
    assert!(
        page.body.contains("<p class=\"eta-big\">Arriving in about "),
        "{}",
        page.body
    );

    req("POST", "/api/tokens/revoke")
        .bearer(&dispatch())
        .json(&json!({"job_id": job}));
    for link in [track.clone(), "not-a-token".into(), qdn_tests::track("job_nobody_has")] {
        let page = req("GET", &format!("/track?job_id={link}")).send();
        assert_eq!(page.status, 200);
        assert!(page.body.contains("id=\"qdn-view\"></script>"), "no view for {link}");
        assert!(
            !page.body.contains(&job) && !page.body.contains("eta-big"),
            "{}",
            page.body
        );
    }
}
