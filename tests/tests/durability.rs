//! A customer's text is stored before Twilio gets its 200: when storing fails Twilio gets a 5xx
//! and retries, and the text is relayed once after recovery — never zero times, never twice.

use qdn_tests::*;

fn inbound(sid: &str, from: &str, body: &str, fault: bool) -> Resp {
    let mut params = vec![
        ("MessageSid", sid),
        ("From", from),
        ("To", "+15550100000"),
        ("Body", body),
    ];
    if fault {
        // Honoured only by the test stack (QDN_TEST_FAULTS=1): fails after the D1 record,
        // before the message's object has stored it.
        params.push(("QdnTestFault", "storage"));
    }
    twilio_post("/sms/inbound", &params)
}

#[test]
fn a_text_whose_storing_failed_is_relayed_once_after_twilio_retries() {
    use_test_roster();
    let h = handlers();
    let customer = customer_phone();
    let sid = message_sid();
    let failed = inbound(&sid, &customer, "Store me please", true);
    assert!(
        failed.status >= 500,
        "Twilio must see a failure to retry: {} {}",
        failed.status,
        failed.body
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        sent_to(&h[0], &customer).is_empty(),
        "relayed although it was never stored"
    );
    for _ in 0..3 {
        // Twilio's retries of the same MessageSid.
        assert_eq!(inbound(&sid, &customer, "Store me please", false).status, 200);
    }
    wait_for("the relay after recovery", 10, || {
        sent_to(&h[0], &customer).into_iter().next()
    });
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(sent_to(&h[0], &customer).len(), 1, "relayed more than once");
    ack(
        &h[0],
        &reference_in(sent_to(&h[0], &customer)[0]["body"].as_str().unwrap()),
    );
}

#[test]
fn a_d1_failure_during_the_ack_wait_is_retried_and_the_cascade_moves_on() {
    use_test_roster();
    let h = handlers();
    let customer = customer_phone();
    let sid = message_sid();
    // Honoured only by the test stack: the alarm that ends the ACK wait fails twice, as a D1
    // outage would make it; the runtime retries a failed alarm.
    let params = [
        ("MessageSid", sid.as_str()),
        ("From", customer.as_str()),
        ("To", "+15550100000"),
        ("Body", "Anyone?"),
        ("QdnTestFault", "ack_wait_alarm"),
    ];
    assert_eq!(twilio_post("/sms/inbound", &params).status, 200);
    wait_for("the primary's text", 10, || {
        sent_to(&h[0], &customer).into_iter().next()
    });
    // No ACK: once the retried alarm gets through, the secondary is texted.
    let text = wait_for("the secondary's text after the failed alarms", 60, || {
        sent_to(&h[1], &customer).into_iter().next()
    });
    ack(&h[1], &reference_in(text["body"].as_str().unwrap()));
    assert_eq!(sent_to(&h[0], &customer).len(), 1, "the primary was texted again");
}
