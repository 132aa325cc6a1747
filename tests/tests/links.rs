//! Tracking links: `POST /api/jobs/{id}/links` makes one, `DELETE` withdraws every link of the
//! job (410 `link_revoked`); a link made after the withdrawal works. And what a link shows: no
//! position before the trailer is on its way.

use qdn_tests::*;
use serde_json::json;

fn links(method: &str, job: &str) -> Resp {
    req(method, &format!("/api/jobs/{job}/links"))
        .bearer(&dispatch())
        .send()
}

#[test]
fn a_new_link_works_a_withdrawal_ends_every_earlier_one_and_a_later_link_works_again() {
    let (job, first) = create_job(&[], "en_route");
    let r = links("POST", &job);
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    let second = v["track_token"].as_str().unwrap().to_string();
    assert_eq!(v["tracking_url"], format!("{}/track?job_id={second}", base()));
    assert!(v["jti"].as_str().is_some_and(|j| !j.is_empty()), "{v}");
    assert_ne!(first, second);
    for t in [&first, &second] {
        assert_eq!(location(t).status, 200);
    }

    let r = links("DELETE", &job);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["job_id"], job.as_str());
    for t in [&first, &second] {
        location(t).expect_error(410, "link_revoked");
        req("GET", &format!("/api/jobs/{t}"))
            .send()
            .expect_error(410, "link_revoked");
    }

    // Made in the same second as the withdrawal, or any time after: it works.
    let third = links("POST", &job).json()["track_token"].as_str().unwrap().to_string();
    let loc = location(&third);
    assert_eq!(loc.status, 200, "{}", loc.body);
    assert_eq!(loc.json()["job_id"], job.as_str());
    location(&first).expect_error(410, "link_revoked");
    // Another job's links are untouched.
    let (_, other) = create_job(&[], "en_route");
    assert_eq!(location(&other).status, 200);
}

#[test]
fn only_a_dispatcher_makes_or_withdraws_links_of_a_job_that_exists() {
    let (job, track) = create_job(&[], "en_route");
    for m in ["POST", "DELETE"] {
        req(m, &format!("/api/jobs/{job}/links"))
            .bearer(&track)
            .send()
            .expect_error(403, "forbidden_scope");
        req(m, &format!("/api/jobs/{job}/links"))
            .bearer(&ingest(&job))
            .send()
            .expect_error(403, "forbidden_scope");
        req(m, &format!("/api/jobs/{job}/links"))
            .send()
            .expect_error(401, "token_missing");
        links(m, "job_nosuchjob").expect_error(404, "job_not_found");
    }
    let r = links("GET", &job);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow").as_deref(), Some("POST, DELETE"));
    assert_eq!(location(&track).status, 200, "nothing was withdrawn");
}

#[test]
fn no_position_before_the_trailer_is_on_its_way() {
    let trailer = uid("TRgate");
    let (job, track) = create_job(&[&trailer], "scheduled");
    let token = ingest_trailer(&trailer);
    let fix = json!({"lat": 53.41, "lon": -2.96, "recorded_at": at(-30)});
    assert_eq!(post_fix(&job, &token, fix).status, 202);
    let v = location(&track).json();
    assert_eq!(v["status"], "scheduled");
    assert!(
        v["position"].is_null() && v["eta"].is_null() && v["trail"] == json!([]),
        "{v}"
    );
    // The dispatcher sees it all the same.
    let d = req("GET", &format!("/api/jobs/{job}"))
        .bearer(&dispatch())
        .send()
        .json();
    assert!(d["position"].is_object(), "{d}");

    assert_eq!(patch_job(&job, json!({"status": "en_route"})).status, 200);
    let v = wait_for("the position once en route", 5, || {
        let v = location(&track).json();
        v["position"].is_object().then_some(v)
    });
    assert_eq!(v["trail"].as_array().unwrap().len(), 1);
    // Just finished: still shown (for two hours).
    for s in ["at_site", "completed"] {
        assert_eq!(patch_job(&job, json!({"status": s})).status, 200);
    }
    let v = location(&track).json();
    assert_eq!(v["status"], "completed");
    assert!(v["position"].is_object(), "{v}");
}
