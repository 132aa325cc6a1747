//! Customers' STOP / START: an opted-out number gets no automatic texts, whether it texted STOP
//! to us or Twilio refused a send with 21610.

use qdn_tests::twilio::message_sid;
use qdn_tests::*;
use serde_json::json;

fn job_for(customer: &str) -> String {
    let r = req("POST", "/api/jobs").bearer(&dispatch()).json(&json!({
        "customer_name": "Opted", "customer_phone": customer, "destination": {"lat": 53.4, "lon": -2.9}, "status": "scheduled"
    }));
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["job_id"].as_str().unwrap().to_string()
}

fn texts(customer: &str, needle: &str) -> usize {
    sent_to(customer, needle).len()
}

#[test]
fn stop_silences_status_texts_and_start_brings_them_back() {
    use_test_roster();
    let customer = customer_phone();
    let job = job_for(&customer);
    let (stop, start) = (message_sid(), message_sid());
    assert_eq!(inbound_sms(&stop, &customer, "Stop").status, 200);
    assert_eq!(patch_job(&job, json!({"status": "en_route"})).status, 200);

    assert_eq!(inbound_sms(&start, &customer, "START").status, 200);
    assert_eq!(patch_job(&job, json!({"status": "at_site"})).status, 200);
    wait_for("the text after START", 10, || {
        sent_to(&customer, "has arrived").into_iter().next()
    });
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(
        texts(&customer, "on its way"),
        0,
        "a text went to an opted-out customer"
    );
    // Both were relayed to the dispatchers; taking them ends their cascades.
    for sid in [stop, start] {
        let m = wait_for("the relay", 10, || relay_message(&sid));
        ack(&handlers()[0], m["ref"].as_str().unwrap());
    }
}

#[test]
fn a_stop_is_still_relayed_to_the_dispatcher_marked_as_an_opt_out() {
    use_test_roster();
    let h = handlers();
    let customer = customer_phone();
    inbound_sms(&message_sid(), &customer, "STOP");
    let relayed = wait_for("the relayed STOP", 10, || sent_to(&h[0], &customer).into_iter().next());
    let body = relayed["body"].as_str().unwrap();
    assert!(body.contains("STOP") && body.contains("opted out"), "{body}");
    ack(&h[0], &reference_in(body));
}

#[test]
fn twilio_21610_is_recorded_and_later_automatic_texts_are_skipped() {
    let customer = customer_phone();
    let job = job_for(&customer);
    standin_rule(json!({"to": customer, "status": 400, "code": 21610, "times": 1}));
    let r = req("POST", "/notify/sms")
        .bearer(&dispatch())
        .json(&json!({"job_id": job, "body": "Your dumpster arrives tomorrow"}));
    r.expect_error(502, "sms_not_sent");
    let a = r.json()["attempts"].as_array().unwrap().clone();
    assert_eq!(
        a.len(),
        1,
        "an unsubscribed number is not tried from another sender: {a:?}"
    );
    assert_eq!(
        (a[0]["status"].as_str(), a[0]["error_code"].as_u64()),
        (Some("unreachable"), Some(21610))
    );

    assert_eq!(patch_job(&job, json!({"status": "en_route"})).status, 200);
    // A dispatcher's own text is still tried (Twilio enforces the opt-out): it shows the PATCH's
    // automatic text, made before it, was skipped.
    let r = req("POST", "/notify/sms")
        .bearer(&dispatch())
        .json(&json!({"job_id": job, "body": "Driver is close"}));
    assert_eq!(r.status, 202, "{}", r.body);
    wait_for("the dispatcher's text", 10, || {
        sent_to(&customer, "Driver is close").into_iter().next()
    });
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(
        texts(&customer, "on its way"),
        0,
        "an automatic text went to an opted-out customer"
    );
}

#[test]
fn help_is_relayed_marked_and_leaves_automatic_texts_on() {
    use_test_roster();
    let h = handlers();
    let customer = customer_phone();
    let job = job_for(&customer);
    inbound_sms(&message_sid(), &customer, "help");
    let relayed = wait_for("the relayed HELP", 10, || {
        sent_to(&h[0], &format!("job {job}")).into_iter().next()
    });
    let body = relayed["body"].as_str().unwrap();
    assert!(body.contains("[asked for HELP]: help"), "{body}");
    ack(&h[0], &reference_in(body));
    // Twilio answers HELP itself; we send nothing back, and automatic texts still go.
    assert_eq!(patch_job(&job, json!({"status": "en_route"})).status, 200);
    wait_for("the status text", 10, || {
        sent_to(&customer, "on its way").into_iter().next()
    });
    assert_eq!(sent_to(&customer, "").len(), 1, "{:?}", sent_to(&customer, ""));
}
