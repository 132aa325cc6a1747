//! Customer notifications with sender fallback, status-change texts, and the voice cascade.

use qdn_tests::*;
use serde_json::json;

fn job_for(customer: &str, status: &str) -> String {
    let r = req("POST", "/api/jobs").bearer(&dispatch()).json(&json!({
        "customer_name": "Notified", "customer_phone": customer, "destination": {"lat": 53.4, "lon": -2.9}, "status": status
    }));
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["job_id"].as_str().unwrap().to_string()
}

/// A dispatcher's POST /notify/sms.
fn notify_sms(v: &serde_json::Value) -> Resp {
    req("POST", "/notify/sms").bearer(&dispatch()).json(v)
}

#[test]
fn notify_sms_goes_through_the_messaging_service() {
    let customer = customer_phone();
    let job = job_for(&customer, "scheduled");
    let r = notify_sms(&json!({"job_id": job, "body": "Your dumpster arrives tomorrow 8-10am"}));
    assert_eq!(r.status, 202, "{}", r.body);
    let v = r.json();
    assert_eq!(v["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(v["attempts"][0]["from"], env_or("QDN_MESSAGING_SERVICE_SID", ""));
    let m = wait_for("the text", 5, || {
        sent_to(&customer, "arrives tomorrow").into_iter().next()
    });
    assert_eq!(m["messaging_service_sid"], env_or("QDN_MESSAGING_SERVICE_SID", ""));
    // The stand-in's pool for the service is the company number.
    assert_eq!(m["from"], env_or("QDN_COMPANY_NUMBER", ""));
}

#[test]
fn refusals_walk_the_backup_numbers_in_order() {
    let customer = customer_phone();
    let job = job_for(&customer, "scheduled");
    standin_rule(json!({"to": customer, "status": 503, "times": 2}));
    let r = notify_sms(&json!({"job_id": job, "body": "second backup"}));
    assert_eq!(r.status, 202, "{}", r.body);
    let a = r.json()["attempts"].as_array().unwrap().clone();
    let route: Vec<(&str, &str)> = a
        .iter()
        .map(|x| (x["from"].as_str().unwrap(), x["status"].as_str().unwrap()))
        .collect();
    let (service, first, second) = (
        env_or("QDN_MESSAGING_SERVICE_SID", ""),
        env_or("QDN_BACKUP_NUMBER", ""),
        env_or("QDN_BACKUP_NUMBERS", ""),
    );
    assert_eq!(
        route,
        [
            (service.as_str(), "refused"),
            (first.as_str(), "refused"),
            (second.as_str(), "sent")
        ]
    );
    let m = wait_for("the text from the second backup", 5, || {
        sent_to(&customer, "second backup").into_iter().next()
    });
    assert_eq!(
        (m["from"].as_str(), m["messaging_service_sid"].as_str()),
        (Some(second.as_str()), None)
    );
}

#[test]
fn a_refused_notification_falls_back_to_the_backup_number() {
    let customer = customer_phone();
    let job = job_for(&customer, "scheduled");
    standin_rule(json!({"to": customer, "status": 503, "times": 1}));
    let r = notify_sms(&json!({"job_id": job, "body": "fallback test"}));
    assert_eq!(r.status, 202, "{}", r.body);
    let a = r.json()["attempts"].as_array().unwrap().clone();
    assert_eq!(
        (a[0]["status"].as_str(), a[1]["status"].as_str()),
        (Some("refused"), Some("sent"))
    );
    assert_eq!(a[1]["from"], env_or("QDN_BACKUP_NUMBER", ""));
    let m = wait_for("the fallback text", 5, || {
        sent_to(&customer, "fallback test").into_iter().next()
    });
    assert_eq!(m["from"], env_or("QDN_BACKUP_NUMBER", ""));
}

#[test]
fn a_failed_delivery_is_resent_from_the_backup_number_once() {
    let customer = customer_phone();
    let job = job_for(&customer, "scheduled");
    standin_rule(json!({"to": customer, "callback": "failed", "callback_code": 30008, "times": 1}));
    let r = notify_sms(&json!({"job_id": job, "body": "callback fallback"}));
    assert_eq!(r.status, 202, "{}", r.body);
    let both = wait_for("the resend", 10, || {
        Some(sent_to(&customer, "callback fallback")).filter(|v| v.len() == 2)
    });
    assert_eq!(both[0]["from"], env_or("QDN_COMPANY_NUMBER", ""));
    assert_eq!(both[1]["from"], env_or("QDN_BACKUP_NUMBER", ""));
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(sent_to(&customer, "callback fallback").len(), 2);
}

#[test]
fn notify_errors() {
    let customer = customer_phone();
    let job = job_for(&customer, "scheduled");
    notify_sms(&json!({"job_id": job, "body": ""})).expect_error(400, "invalid_body");
    notify_sms(&json!({"job_id": job, "body": "x".repeat(1601)})).expect_error(400, "invalid_body");
    notify_sms(&json!({"job_id": "job_none", "body": "hi"})).expect_error(404, "job_not_found");
    req("POST", "/notify/sms")
        .bearer(&track(&job))
        .json(&json!({"job_id": job, "body": "hi"}))
        .expect_error(403, "forbidden_scope");
    req("POST", "/notify/voice")
        .bearer(&dispatch())
        .json(&json!({}))
        .expect_error(501, "not_implemented");
}

#[test]
fn a_status_change_texts_the_customer_a_tracking_link() {
    let customer = customer_phone();
    let job = job_for(&customer, "scheduled");
    assert_eq!(patch_job(&job, json!({"status": "en_route"})).status, 200);
    let m = wait_for("the status text", 10, || {
        sent_to(&customer, "on its way").into_iter().next()
    });
    let body = m["body"].as_str().unwrap();
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/track?job_id="))
        .expect("a tracking link");
    let token = link.split("job_id=").nth(1).unwrap();
    assert_eq!(
        location(token).json()["status"],
        "en_route",
        "the link in the text works"
    );
    // The same status again is not news.
    patch_job(&job, json!({"status": "en_route"}));
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(sent_to(&customer, "").len(), 1);
}

fn call(path: &str, extra: &[(&str, &str)]) -> Resp {
    let mut p = vec![
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("From", "+15550107777"),
        ("To", "+15550100000"),
    ];
    p.extend_from_slice(extra);
    let r = twilio_post(path, &p);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("text/xml"));
    r
}

#[test]
fn calls_ring_tier_after_tier_screened_then_take_a_voicemail() {
    use_test_roster();
    let h = handlers();
    let first = call("/voice/inbound", &[]).body;
    assert!(
        first.contains("<Dial timeout=\"15\" action=\"/voice/next?tier=0\""),
        "{first}"
    );
    assert!(
        first.contains(&format!(">{}</Number>", h[0])) && first.contains("url=\"/voice/screen?tier=0\""),
        "{first}"
    );
    // No answer → the secondary (roster position 3: the unavailable and off-call tiers are skipped).
    let second = call("/voice/next?tier=0", &[("DialCallStatus", "no-answer")]).body;
    assert!(second.contains(&h[1]) && second.contains("tier=3"), "{second}");
    assert!(!second.contains(UNAVAILABLE_PHONE) && !second.contains(OFF_CALL_PHONE));
    // "Answered" by a voicemail box that never pressed 1 → still the next tier.
    let third = call("/voice/next?tier=3", &[("DialCallStatus", "completed")]).body;
    assert!(third.contains(&h[2]) && third.contains("tier=4"), "{third}");
    // The screen asks for 1; pressing 2 hangs up the leg.
    assert!(call("/voice/screen?tier=4", &[])
        .body
        .contains("<Gather numDigits=\"1\""));
    assert!(call("/voice/screen-result?tier=4", &[("Digits", "2")])
        .body
        .contains("<Hangup/>"));
    // After the last tier: a voicemail.
    let vm = call("/voice/next?tier=4", &[("DialCallStatus", "busy")]).body;
    assert!(
        vm.contains("<Say>") && vm.contains("<Record") && vm.contains("/voice/recorded"),
        "{vm}"
    );
    // The recording is relayed to the primary by SMS.
    let rec = twilio::sid("RE");
    let url = format!("https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/{rec}");
    call(
        "/voice/recorded",
        &[
            ("RecordingSid", &rec),
            ("RecordingUrl", &url),
            ("RecordingDuration", "12"),
        ],
    );
    let m = wait_for("the voicemail relay", 10, || sent_to(&h[0], &url).into_iter().next());
    assert!(m["body"].as_str().unwrap().contains("Voicemail from +15550107777"));
    ack(&h[0], &reference_in(m["body"].as_str().unwrap()));
}

#[test]
fn a_screened_in_answer_ends_the_call_cascade() {
    use_test_roster();
    let parent = "CAfedcba9876543210fedcba9876543210";
    let r = twilio_post(
        "/voice/screen-result?tier=0",
        &[("CallSid", "CAchild"), ("ParentCallSid", parent), ("Digits", "1")],
    );
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("<Hangup/>"));
    let end = twilio_post(
        "/voice/next?tier=0",
        &[("CallSid", parent), ("DialCallStatus", "completed")],
    );
    assert!(
        end.body.contains("<Hangup/>") && !end.body.contains("<Dial"),
        "{}",
        end.body
    );
}
