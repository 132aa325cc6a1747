//! The SMS relay end to end: signed webhooks → Durable Object cascade → the Twilio stand-in.

use qdn_tests::*;
use serde_json::json;

fn relayed_to(phone: &str, customer: &str, secs: u64) -> serde_json::Value {
    wait_for(&format!("a relay of {customer} to {phone}"), secs, || {
        sent_to(phone, customer).into_iter().next()
    })
}

#[test]
fn webhooks_need_a_valid_signature() {
    let sid = message_sid();
    let form = format!("MessageSid={sid}&From=%2B15550000001&Body=hi");
    req("POST", "/sms/inbound")
        .body("application/x-www-form-urlencoded", &form)
        .expect_error(403, "signature_missing");
    req("POST", "/sms/inbound")
        .header("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl")
        .body("application/x-www-form-urlencoded", &form)
        .expect_error(403, "signature_invalid");
    // Signed for another URL (a replay against a different endpoint).
    let url = format!("{}/sms/delivery-status", base());
    let params = vec![
        ("MessageSid".to_string(), sid.clone()),
        ("From".to_string(), "+15550000001".to_string()),
        ("Body".to_string(), "hi".to_string()),
    ];
    let sig = qdn_shared::twilio::signature(&env_or("QDN_TWILIO_AUTH_TOKEN", ""), &url, &params);
    req("POST", "/sms/inbound")
        .header("X-Twilio-Signature", &sig)
        .body("application/x-www-form-urlencoded", &form)
        .expect_error(403, "signature_invalid");
    // Tampered body.
    let good = qdn_shared::twilio::signature(
        &env_or("QDN_TWILIO_AUTH_TOKEN", ""),
        &format!("{}/sms/inbound", base()),
        &params,
    );
    req("POST", "/sms/inbound")
        .header("X-Twilio-Signature", &good)
        .body("application/x-www-form-urlencoded", &form.replace("hi", "hello"))
        .expect_error(403, "signature_invalid");
    for path in ["/sms/delivery-status", "/voice/inbound", "/voice/next?tier=0"] {
        req("POST", path)
            .body("application/x-www-form-urlencoded", "CallSid=CA1")
            .expect_error(403, "signature_missing");
    }
}

#[test]
fn a_text_is_relayed_to_the_primary_and_an_ack_stops_the_cascade() {
    use_test_roster();
    let h = handlers();
    let customer = customer_phone();
    let sid = message_sid();
    let r = inbound_sms(&sid, &customer, "Where is my dumpster?");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("text/xml"));
    assert!(r.body.contains("<Response/>"));
    let msg = relayed_to(&h[0], &customer, 10);
    let body = msg["body"].as_str().unwrap();
    assert!(
        body.contains("Where is my dumpster?") && body.contains(&customer),
        "{body}"
    );
    assert_eq!(msg["from"], env_or("QDN_COMPANY_NUMBER", ""));
    assert_eq!(msg["messaging_service_sid"], env_or("QDN_MESSAGING_SERVICE_SID", ""));
    assert!(msg["status_callback"]
        .as_str()
        .unwrap()
        .contains("/sms/delivery-status?m="));
    let reference = reference_in(body);
    assert!(
        reference.starts_with('#') && (4..=9).contains(&reference.len()),
        "{reference}"
    );
    assert_eq!(ack(&h[0], &reference).status, 200);
    let m = wait_for("the ACK", 10, || relay_message(&sid).filter(|m| m["state"] == "acked"));
    assert_eq!(m["acked_by"], "primary");
    assert_eq!(m["ref"], reference.as_str());
    // Past the ACK timeout and backoff: nobody else was texted.
    std::thread::sleep(std::time::Duration::from_secs(7));
    assert!(
        sent_to(&h[1], &customer).is_empty(),
        "the secondary was texted after an ACK"
    );
    assert_eq!(sent(&customer).len(), 1);
}

#[test]
fn twilio_retries_relay_once() {
    use_test_roster();
    let customer = customer_phone();
    let sid = message_sid();
    let threads: Vec<_> = (0..50)
        .map(|_| {
            let (sid, customer) = (sid.clone(), customer.clone());
            std::thread::spawn(move || {
                // As Twilio does: a 5xx (the local runtime may shed a burst) is retried.
                let mut first_5xx = None;
                for _ in 0..3 {
                    let r = inbound_sms(&sid, &customer, "retry me");
                    if r.status < 500 {
                        return (r.status, r.body, first_5xx);
                    }
                    first_5xx.get_or_insert(r.status);
                    std::thread::sleep(std::time::Duration::from_millis(300));
                }
                (0, "5xx three times".to_string(), first_5xx)
            })
        })
        .collect();
    for t in threads {
        let (status, body, first_5xx) = t.join().unwrap();
        assert_eq!(status, 200, "{body}");
        if let Some(s) = first_5xx {
            println!("note: a concurrent webhook got {s} before its retry");
        }
    }
    for _ in 0..3 {
        assert_eq!(inbound_sms(&sid, &customer, "retry me").status, 200);
    }
    relayed_to(&handlers()[0], &customer, 10);
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(
        sent(&customer).len(),
        1,
        "relayed more than once: {:?}",
        sent(&customer)
    );
}

#[test]
fn without_an_ack_it_cascades_to_every_tier_then_exhausts_and_alerts() {
    use_test_roster();
    let h = handlers();
    let customer = customer_phone();
    let sid = message_sid();
    inbound_sms(&sid, &customer, "anyone there?");
    relayed_to(&h[0], &customer, 10);
    relayed_to(&h[1], &customer, 15);
    relayed_to(&h[2], &customer, 15);
    let m = wait_for("exhaustion", 15, || {
        relay_message(&sid).filter(|m| m["state"] == "exhausted")
    });
    let outcomes: Vec<&str> = m["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["no_ack", "no_ack", "no_ack"], "{m}");
    assert_eq!(m["failovers"], 3);
    let tos: Vec<&str> = m["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["to"].as_str().unwrap())
        .collect();
    assert_eq!(tos, h.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(m["attempts"][0]["twilio_sid"].as_str().unwrap().starts_with("SM"));
    let alerts = wait_for("the exhausted alert", 10, || {
        let alerts = standin_alerts();
        alerts.iter().any(|a| a["kind"] == "exhausted").then_some(alerts)
    });
    // The unavailable and off-call tiers were skipped, never texted.
    assert!(sent_to(UNAVAILABLE_PHONE, &customer).is_empty() && sent_to(OFF_CALL_PHONE, &customer).is_empty());
    assert!(
        alerts.iter().filter(|a| a["kind"] == "exhausted").count() == 1,
        "more than one exhausted alert in 10 minutes"
    );
    assert_eq!(sent(&customer).len(), 3, "each tier exactly once");
}

#[test]
fn a_failing_send_moves_on_and_an_opted_out_tier_is_skipped_at_once() {
    use_test_roster();
    let h = handlers();
    let customer = customer_phone();
    standin_rule(json!({"to": h[0], "body_contains": customer, "status": 500, "times": 1}));
    standin_rule(json!({"to": h[1], "body_contains": customer, "status": 400, "code": 21610, "times": 1}));
    let sid = message_sid();
    inbound_sms(&sid, &customer, "fail over please");
    relayed_to(&h[2], &customer, 15);
    let m = wait_for("three attempts", 10, || {
        relay_message(&sid).filter(|m| m["attempts"].as_array().is_some_and(|a| a.len() == 3))
    });
    let a = m["attempts"].as_array().unwrap();
    assert_eq!(
        (a[0]["status"].as_str(), a[0]["error_code"].as_u64()),
        (Some("failed"), Some(20500))
    );
    assert_eq!(
        (a[1]["status"].as_str(), a[1]["error_code"].as_u64()),
        (Some("unreachable"), Some(21610))
    );
    assert!(a[0]["twilio_sid"].is_null());
    // Alerts go out once the message's lock is released, just after the send they report.
    wait_for("the unreachable alert", 10, || {
        standin_alerts().into_iter().find(|x| x["kind"] == "unreachable")
    });
    inbound_sms(&message_sid(), &h[2], "ACK");
    wait_for("the bare ACK", 10, || {
        relay_message(&sid).filter(|m| m["state"] == "acked" && m["acked_by"] == "backup")
    });
}

#[test]
fn an_undelivered_status_callback_escalates_at_once() {
    use_test_roster();
    let h = handlers();
    let customer = customer_phone();
    standin_rule(
        json!({"to": h[0], "body_contains": customer, "callback": "undelivered", "callback_code": 30003, "times": 1}),
    );
    let sid = message_sid();
    let t0 = std::time::Instant::now();
    inbound_sms(&sid, &customer, "is my text lost?");
    relayed_to(&h[1], &customer, 10);
    assert!(t0.elapsed().as_secs() < 5, "escalated only after the ACK timeout");
    let m = wait_for("the undelivered attempt", 10, || {
        relay_message(&sid).filter(|m| m["attempts"][0]["status"] == "undelivered")
    });
    assert_eq!(m["attempts"][0]["error_code"], 30003);
    inbound_sms(&message_sid(), &h[1], &format!("ack {}", m["ref"].as_str().unwrap()));
}

/// A customer's text whose send to the primary the stand-in answers as `failure` says (once);
/// the relay's entry once the secondary has been texted.
fn failed_over_to_the_secondary(failure: serde_json::Value, text: &str) -> serde_json::Value {
    use_test_roster();
    let customer = customer_phone();
    let mut rule = json!({"to": handlers()[0], "body_contains": customer, "times": 1});
    rule.as_object_mut()
        .unwrap()
        .extend(failure.as_object().unwrap().clone());
    standin_rule(rule);
    let sid = message_sid();
    inbound_sms(&sid, &customer, text);
    relayed_to(&handlers()[1], &customer, 15);
    relay_message(&sid).unwrap()
}

#[test]
fn a_rate_limited_twilio_moves_on_after_backoff() {
    let m = failed_over_to_the_secondary(json!({"status": 429}), "too many requests upstream");
    assert_eq!(
        (
            m["attempts"][0]["status"].as_str(),
            m["attempts"][0]["error_code"].as_u64()
        ),
        (Some("failed"), Some(20429)),
        "{m}"
    );
    ack(&handlers()[1], m["ref"].as_str().unwrap());
}

#[test]
fn a_hung_twilio_is_a_failed_send() {
    let m = failed_over_to_the_secondary(json!({"delay_ms": 4000}), "slow twilio");
    assert_eq!(m["attempts"][0]["status"], "failed", "{m}");
    ack(&handlers()[1], m["ref"].as_str().unwrap());
}

/// A new customer text, answered by the primary with `#REF <reply>`.
fn reply_to_a_new_text(h: &[String], customer: &str, reply: &str) {
    inbound_sms(&message_sid(), customer, "what time?");
    let reference = reference_in(relayed_to(&h[0], customer, 10)["body"].as_str().unwrap());
    inbound_sms(&message_sid(), &h[0], &format!("{reference} {reply}"));
}

#[test]
fn a_refused_reply_goes_from_the_backup_number_and_if_that_fails_the_dispatcher_is_told() {
    use_test_roster();
    let h = handlers();
    let customer = customer_phone();
    standin_rule(json!({"to": customer, "body_contains": "by 3pm", "status": 500, "times": 1}));
    reply_to_a_new_text(&h, &customer, "There by 3pm");
    let reply = wait_for("the reply from the backup", 10, || {
        sent_to(&customer, "by 3pm").into_iter().next()
    });
    assert_eq!(reply["from"], env_or("QDN_BACKUP_NUMBER", ""));

    let customer = customer_phone();
    standin_rule(json!({"to": customer, "body_contains": "by 4pm", "status": 500, "times": 3}));
    reply_to_a_new_text(&h, &customer, "There by 4pm");
    let told = wait_for("the dispatcher told", 10, || {
        sent_to(&h[0], "did NOT reach")
            .into_iter()
            .find(|m| m["body"].as_str().unwrap().contains(&customer))
    });
    assert!(told["body"].as_str().unwrap().contains("call them"), "{told}");
    assert!(sent_to(&customer, "by 4pm").is_empty());
}

#[test]
fn a_dispatcher_reply_goes_to_the_customer_from_the_company_number() {
    use_test_roster();
    let h = handlers();
    let customer = customer_phone();
    let sid = message_sid();
    inbound_sms(&sid, &customer, "can you come earlier?");
    let reference = reference_in(relayed_to(&h[0], &customer, 10)["body"].as_str().unwrap());
    let reply_sid = message_sid();
    inbound_sms(&reply_sid, &h[0], &format!("{reference} Yes, we'll be there by 2pm"));
    inbound_sms(&reply_sid, &h[0], &format!("{reference} Yes, we'll be there by 2pm")); // Twilio's retry
    let to_customer = wait_for("the reply", 10, || sent_to(&customer, "by 2pm").into_iter().next());
    assert_eq!(to_customer["body"], "Yes, we'll be there by 2pm");
    assert_eq!(to_customer["from"], env_or("QDN_COMPANY_NUMBER", ""));
    wait_for("the ACK", 10, || relay_message(&sid).filter(|m| m["state"] == "acked"));
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(sent_to(&customer, "by 2pm").len(), 1, "the reply was sent twice");
}

#[test]
fn a_customer_text_is_linked_to_their_open_job_and_names_it() {
    use_test_roster();
    let customer = customer_phone();
    let trailer = uid("TRr");
    let r = req("POST", "/api/jobs").bearer(&dispatch()).json(&json!({
        "customer_name": "Zoë Łukasz 李", "customer_phone": customer, "trailer_ids": [trailer],
        "destination": {"lat": DEST.0, "lon": DEST.1}, "status": "en_route"
    }));
    assert_eq!(r.status, 201, "{}", r.body);
    let job = r.json()["job_id"].as_str().unwrap().to_string();
    let fixes: Vec<_> = (0..8)
        .map(|i| {
            let (lat, lon) = approach(i);
            json!({"lat": lat, "lon": lon, "recorded_at": at(-280 + i as i64 * 40), "trailer_id": trailer})
        })
        .collect();
    assert_eq!(post_fix(&job, &ingest(&job), json!({"fixes": fixes})).status, 202);
    let eta_s = req("GET", &format!("/api/jobs/{job}/location"))
        .bearer(&dispatch())
        .send()
        .json()["eta"]["seconds"]
        .as_i64()
        .expect("an ETA");
    let sid = message_sid();
    inbound_sms(&sid, &customer, "running late?");
    let body = relayed_to(&handlers()[0], &format!("job {job}"), 10)["body"]
        .as_str()
        .unwrap()
        .to_string();
    let reference = reference_in(&body);
    // The name without the letters GSM-7 lacks, so the text is not sent as UCS-2.
    let head = format!("{reference} Zoe Lukasz (job {job}, on the way, ETA ");
    assert!(
        body.starts_with(&head) && body.contains(" min): running late?\n"),
        "{body}"
    );
    let minutes: i64 = body[head.len()..].split(' ').next().unwrap().parse().unwrap();
    assert!(
        (minutes - (eta_s + 59) / 60).abs() <= 1,
        "{minutes} min for an ETA of {eta_s} s: {body}"
    );
    assert!(!body.contains(&customer), "the name stands for the number: {body}");
    assert_eq!(relay_message(&sid).unwrap()["job_id"], job.as_str());
    ack(&handlers()[0], &reference);
}

#[test]
fn status_roster_and_heartbeats_are_for_dispatchers() {
    use_test_roster();
    req("GET", "/relay/status").send().expect_error(401, "token_missing");
    req("GET", "/relay/status")
        .bearer(&track("job_x"))
        .send()
        .expect_error(403, "forbidden_scope");
    let hb = req("POST", "/api/dispatchers/secondary/heartbeat")
        .bearer(&dispatch())
        .send();
    assert_eq!(hb.status, 200, "{}", hb.body);
    req("POST", "/api/dispatchers/nobody/heartbeat")
        .bearer(&dispatch())
        .send()
        .expect_error(404, "unknown_dispatcher");
    let s = req("POST", "/relay/status").bearer(&dispatch()).send().json();
    let tiers = s["tiers"].as_array().unwrap();
    assert_eq!(tiers.len(), 5);
    assert_eq!(tiers[3]["dispatcher_id"], "secondary");
    assert!(tiers[3]["last_heartbeat"].as_str().is_some());
    assert_eq!(tiers[0]["eligible_now"], true);
    assert_eq!(
        (tiers[1]["eligible_now"].as_bool(), tiers[1]["skip_reason"].as_str()),
        (Some(false), Some("unavailable"))
    );
    assert_eq!(
        (tiers[2]["eligible_now"].as_bool(), tiers[2]["skip_reason"].as_str()),
        (Some(false), Some("off_call"))
    );
    for k in ["failovers", "exhausted", "acknowledged", "open"] {
        assert!(s["counts"][k].is_u64(), "{k}: {s}");
    }
    let roster = req("GET", "/api/relay/roster").bearer(&dispatch()).send().json();
    assert_eq!(roster["source"], "stored");
    assert_eq!(roster["ack_timeout_s"], 5);
}

#[test]
fn bad_rosters_are_refused_with_codes() {
    let put = |v: serde_json::Value| req("PUT", "/api/relay/roster").bearer(&dispatch()).json(&v);
    put(json!({"tiers": []})).expect_error(400, "empty_roster");
    put(json!({"tiers": [{"dispatcher_id": "a", "phone": "555"}]})).expect_error(400, "invalid_phone");
    put(json!({"tiers": [{"dispatcher_id": "a", "phone": "+15550100101", "on_call": {"tz": "Mars/Olympus", "from": "08:00", "to": "17:00"}}]}))
        .expect_error(400, "invalid_time_zone");
    put(json!({"tiers": [{"dispatcher_id": "a", "phone": "+15550100101"}, {"dispatcher_id": "a", "phone": "+15550100102"}]}))
        .expect_error(400, "duplicate_tier");
    put(json!([1])).expect_error(400, "invalid_roster");
    req("PUT", "/api/relay/roster")
        .bearer(&track("j"))
        .json(&json!({}))
        .expect_error(403, "forbidden_scope");
}

#[test]
fn primary_failovers_over_the_threshold_alert_once_per_hour() {
    let window = |t: chrono::DateTime<chrono::Utc>| format!("{}:00Z", t.format("%Y-%m-%dT%H"));
    let first = window(chrono::Utc::now());
    // The default ALERT_FAILOVER_THRESHOLD is 3: eight failovers of the primary exceed it twice.
    for i in 0..8 {
        let m = failed_over_to_the_secondary(json!({"status": 500}), &format!("failover burst {i}"));
        ack(&handlers()[1], m["ref"].as_str().unwrap());
    }
    let last = window(chrono::Utc::now());
    let failover_alerts = || {
        standin_alerts()
            .into_iter()
            .filter(|a| a["kind"] == "failovers")
            .map(|a| a["text"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    wait_for("the failover alert", 10, || {
        Some(()).filter(|_| {
            failover_alerts()
                .iter()
                .any(|t| t.contains(&last) || t.contains(&first))
        })
    });
    std::thread::sleep(std::time::Duration::from_secs(1));
    let alerts = failover_alerts();
    for w in [&first, &last] {
        let n = alerts.iter().filter(|t| t.contains(w.as_str())).count();
        assert!(n <= 1, "{n} failover alerts for the hour from {w}: {alerts:?}");
    }
    // Within one clock hour, eight failovers over the threshold make exactly one alert.
    if first == last {
        let n = alerts.iter().filter(|t| t.contains(first.as_str())).count();
        assert_eq!(n, 1, "{alerts:?}");
    }
    assert!(
        alerts.iter().all(|t| t.contains("primary tier (primary)")),
        "{alerts:?}"
    );
}
