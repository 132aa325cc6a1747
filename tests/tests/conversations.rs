//! Job conversations: every text and call from a customer with an open job lands in that job's
//! thread (`GET /api/jobs/{id}` `messages`), reaches the job's own dispatcher first, and the
//! dispatchers' texts from `POST /api/jobs/{id}/messages` are recorded there with every attempt.

use qdn_tests::*;
use serde_json::{json, Value};

/// A job for `customer` assigned to `dispatcher` (a roster id of the test roster).
fn job_for(customer: &str, dispatcher: Option<&str>, status: &str) -> String {
    use_test_roster();
    let mut body = json!({
        "customer_name": "Jane Smith", "customer_phone": customer, "trailer_ids": [uid("TRc")],
        "destination": {"lat": DEST.0, "lon": DEST.1}, "status": status,
    });
    if let Some(d) = dispatcher {
        body["dispatcher_id"] = json!(d);
    }
    let r = req("POST", "/api/jobs").bearer(&dispatch()).json(&body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["job_id"].as_str().unwrap().to_string()
}

fn thread(job: &str) -> Vec<Value> {
    let r = req("GET", &format!("/api/jobs/{job}")).bearer(&dispatch()).send();
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["messages"].as_array().expect("messages").clone()
}

fn relay_state(sid: &str) -> Resp {
    req("POST", "/sms/relay-state")
        .bearer(&dispatch())
        .json(&json!({ "message_sid": sid }))
}

/// Who the relay of `sid` went to, in order.
fn tried(sid: &str) -> Vec<String> {
    relay_state(sid).json()["attempts"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["dispatcher_id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn send_job_message(job: &str, v: Value) -> Resp {
    req("POST", &format!("/api/jobs/{job}/messages"))
        .bearer(&dispatch())
        .json(&v)
}

#[test]
fn a_customers_text_reaches_their_jobs_dispatcher_first_and_the_thread_shows_both_sides() {
    let h = handlers();
    let customer = customer_phone();
    let job = job_for(&customer, Some("secondary"), "en_route");
    let sid = message_sid();
    assert_eq!(inbound_sms(&sid, &customer, "Where is my dumpster?").status, 200);
    let relayed = wait_for("the relay to the job's dispatcher", 10, || {
        sent_to(&h[1], &job).into_iter().next()
    });
    let body = relayed["body"].as_str().unwrap();
    assert!(
        body.contains(&format!("Jane Smith (job {job}, on the way")) && body.contains("Where is my dumpster?"),
        "{body}"
    );
    assert!(
        sent_to(&h[0], &job).is_empty(),
        "the primary was texted before the job's dispatcher"
    );
    ack(&h[1], &reference_in(body));
    wait_for("the ACK", 10, || {
        relay_state(&sid).json().get("state").filter(|s| *s == "acked").cloned()
    });

    let r = send_job_message(
        &job,
        json!({"body": "About 10 minutes away", "dispatcher_id": "secondary"}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let v = r.json();
    let message_id = v["message_id"].as_str().unwrap().to_string();
    assert_eq!(v["attempts"][0]["status"], "sent");
    let text = wait_for("the text to the customer", 10, || {
        sent_to(&customer, "About 10 minutes").into_iter().next()
    });
    assert_eq!(text["from"], env_or("QDN_COMPANY_NUMBER", ""));

    // The stand-in's delivery callback marks ours delivered.
    let t = wait_for("the delivered status", 10, || {
        let t = thread(&job);
        t.iter()
            .any(|m| m["id"] == message_id.as_str() && m["status"] == "delivered")
            .then_some(t)
    });
    assert_eq!(t.len(), 2, "{t:?}");
    let (inbound, ours) = (&t[0], &t[1]);
    assert_eq!(
        (
            &inbound["id"],
            &inbound["direction"],
            &inbound["channel"],
            &inbound["from"],
            &inbound["body"]
        ),
        (
            &json!(sid),
            &json!("in"),
            &json!("sms"),
            &json!(customer),
            &json!("Where is my dumpster?")
        )
    );
    assert_eq!(
        (&inbound["status"], &inbound["dispatcher_id"]),
        (&json!("acked"), &json!("secondary"))
    );
    assert_eq!(inbound["to"], env_or("QDN_COMPANY_NUMBER", ""));
    assert_eq!(
        (
            &ours["direction"],
            &ours["channel"],
            &ours["to"],
            &ours["body"],
            &ours["dispatcher_id"]
        ),
        (
            &json!("out"),
            &json!("sms"),
            &json!(customer),
            &json!("About 10 minutes away"),
            &json!("secondary")
        )
    );
    assert!(
        inbound["at"].as_str().unwrap() <= ours["at"].as_str().unwrap(),
        "oldest first"
    );
    assert_eq!(ours["media"], json!([]));
}

#[test]
fn status_texts_replies_and_pictures_are_in_the_thread() {
    let h = handlers();
    let customer = customer_phone();
    let job = job_for(&customer, None, "scheduled");
    assert_eq!(patch_job(&job, json!({"status": "en_route"})).status, 200);
    wait_for("the status text", 10, || {
        sent_to(&customer, "on its way").into_iter().next()
    });
    // A picture message.
    let sid = twilio::sid("MM");
    let url = format!("https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/{sid}/Media/ME1");
    let r = twilio_post(
        "/sms/inbound",
        &[
            ("MessageSid", sid.as_str()),
            ("From", &customer),
            ("To", &env_or("QDN_COMPANY_NUMBER", "")),
            ("Body", "the gate"),
            ("NumMedia", "1"),
            ("MediaUrl0", &url),
            ("MediaContentType0", "image/jpeg"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let relayed = wait_for("the relay", 10, || sent_to(&h[0], &job).into_iter().next());
    // The dispatcher answers by SMS.
    let reference = reference_in(relayed["body"].as_str().unwrap());
    inbound_sms(&message_sid(), &h[0], &format!("{reference} Thanks, we see it"));
    wait_for("the reply", 10, || sent_to(&customer, "we see it").into_iter().next());
    let t = wait_for("three entries", 10, || Some(thread(&job)).filter(|t| t.len() == 3));
    let kinds: Vec<(&str, &str)> = t
        .iter()
        .map(|m| (m["direction"].as_str().unwrap(), m["channel"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("out", "sms"), ("in", "mms"), ("out", "sms")], "{t:?}");
    assert!(t[0]["body"].as_str().unwrap().contains("on its way"));
    assert!(
        t[0].get("dispatcher_id").is_none(),
        "an automatic text has no dispatcher: {}",
        t[0]
    );
    assert_eq!(t[1]["media"], json!([url]));
    assert_eq!(
        (&t[2]["body"], &t[2]["dispatcher_id"]),
        (&json!("Thanks, we see it"), &json!("primary"))
    );
}

#[test]
fn a_customer_with_two_open_jobs_is_matched_to_the_one_under_way() {
    let customer = customer_phone();
    let under_way = job_for(&customer, None, "en_route");
    let scheduled = job_for(&customer, None, "scheduled"); // newer, but not under way
    let sid = message_sid();
    inbound_sms(&sid, &customer, "which one?");
    let state = wait_for("the relay", 10, || {
        Some(relay_state(&sid)).filter(|r| r.status == 200).map(|r| r.json())
    });
    assert_eq!(state["job_id"], under_way.as_str());
    assert!(thread(&scheduled).is_empty());
    ack(&handlers()[0], state["ref"].as_str().unwrap());
}

#[test]
fn the_assigned_dispatcher_not_answering_moves_on_through_the_roster_without_them() {
    let h = handlers();
    let customer = customer_phone();
    let job = job_for(&customer, Some("secondary"), "en_route");
    let sid = message_sid();
    inbound_sms(&sid, &customer, "hello?");
    wait_for("every tier tried", 40, || {
        relay_state(&sid)
            .json()
            .get("state")
            .filter(|s| *s == "exhausted")
            .cloned()
    });
    assert_eq!(tried(&sid), ["secondary", "primary", "backup"]);
    let status = req("GET", &format!("/api/jobs/{job}/message-status"))
        .bearer(&dispatch())
        .send()
        .json();
    let attempts: Vec<(&str, &str, &str)> = status["messages"][0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["dispatcher_id"].as_str().unwrap(),
                a["to"].as_str().unwrap(),
                a["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [
            ("secondary", h[1].as_str(), "no_ack"),
            ("primary", h[0].as_str(), "no_ack"),
            ("backup", h[2].as_str(), "no_ack")
        ]
    );
    assert_eq!(
        sent_to(&h[1], &job).len(),
        1,
        "the assigned dispatcher was texted twice"
    );
    let m = &thread(&job)[0];
    assert_eq!((&m["status"], m.get("dispatcher_id")), (&json!("exhausted"), None));
}

#[test]
fn an_assigned_dispatcher_who_is_unavailable_or_off_call_is_skipped() {
    for (assigned, phone) in [("vacation", UNAVAILABLE_PHONE), ("night", OFF_CALL_PHONE)] {
        let customer = customer_phone();
        let job = job_for(&customer, Some(assigned), "en_route");
        let sid = message_sid();
        inbound_sms(&sid, &customer, "skip them");
        let first = wait_for("the first attempt", 10, || tried(&sid).into_iter().next());
        assert_eq!(first, "primary", "{assigned}");
        assert!(sent_to(phone, &job).is_empty(), "{assigned} was texted");
        ack(&handlers()[0], relay_state(&sid).json()["ref"].as_str().unwrap());
    }
}

#[test]
fn a_job_message_walks_the_senders_and_message_status_shows_every_attempt() {
    let customer = customer_phone();
    let job = job_for(&customer, Some("primary"), "scheduled");
    standin_rule(json!({"to": customer, "body_contains": "gate code", "status": 503, "times": 1}));
    let r = send_job_message(&job, json!({"body": "What is the gate code?"}));
    assert_eq!(r.status, 202, "{}", r.body);
    let v = r.json();
    let route: Vec<(&str, &str)> = v["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["from"].as_str().unwrap(), a["status"].as_str().unwrap()))
        .collect();
    let (service, backup) = (env_or("QDN_MESSAGING_SERVICE_SID", ""), env_or("QDN_BACKUP_NUMBER", ""));
    assert_eq!(route, [(service.as_str(), "refused"), (backup.as_str(), "sent")]);
    let status = wait_for("the delivery", 10, || {
        let s = req("GET", &format!("/api/jobs/{job}/message-status"))
            .bearer(&dispatch())
            .send()
            .json();
        (s["messages"][0]["status"] == "delivered").then_some(s)
    });
    let m = &status["messages"][0];
    assert_eq!(m["id"], v["message_id"]);
    assert_eq!(m["from"], backup.as_str());
    let attempts = m["attempts"].as_array().unwrap();
    let seen: Vec<(u64, &str, &str)> = attempts
        .iter()
        .map(|a| {
            (
                a["n"].as_u64().unwrap(),
                a["from"].as_str().unwrap(),
                a["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [(1, service.as_str(), "refused"), (2, backup.as_str(), "delivered")]
    );
    assert_eq!(attempts[0]["error_code"], 20500);
    assert!(attempts[1]["twilio_sid"].as_str().unwrap().starts_with("SM"));
    assert_eq!(status["messages"].as_array().unwrap().len(), 1);
}

#[test]
fn job_message_errors() {
    let customer = customer_phone();
    let job = job_for(&customer, None, "scheduled");
    send_job_message(&job, json!({"body": ""})).expect_error(400, "invalid_body");
    send_job_message(&job, json!({"body": "x".repeat(1601)})).expect_error(400, "invalid_body");
    send_job_message(&job, json!({"body": "hi", "dispatcher_id": "nobody"})).expect_error(400, "unknown_dispatcher");
    send_job_message(&job, json!({"body": "hi", "dispatcher_id": 7})).expect_error(400, "invalid_dispatcher_id");
    send_job_message("job_none", json!({"body": "hi"})).expect_error(404, "job_not_found");
    req("POST", &format!("/api/jobs/{job}/messages"))
        .bearer(&track(&job))
        .json(&json!({"body": "hi"}))
        .expect_error(403, "forbidden_scope");
    req("GET", &format!("/api/jobs/{job}/message-status"))
        .send()
        .expect_error(401, "token_missing");
    // The customer's link (a track token in the path) neither reads the thread nor texts.
    let link = track(&job);
    req("GET", &format!("/api/jobs/{link}/message-status"))
        .send()
        .expect_error(403, "forbidden_scope");
    req("POST", &format!("/api/jobs/{link}/messages"))
        .json(&json!({"body": "hi"}))
        .expect_error(403, "forbidden_scope");
    req("GET", "/api/jobs/job_none/call-status")
        .bearer(&dispatch())
        .send()
        .expect_error(404, "job_not_found");
    assert!(sent_to(&customer, "hi").is_empty());
}

#[test]
fn the_per_job_sms_webhook_fixes_the_job_and_is_signed() {
    let customer = customer_phone();
    let job = job_for(&customer, None, "scheduled");
    let stranger = customer_phone(); // writes from a number no job has
    let sid = message_sid();
    let path = format!("/api/jobs/{job}/sms-webhook");
    let r = twilio_post(
        &path,
        &[("MessageSid", &sid), ("From", &stranger), ("Body", "about that job")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<Response/>"));
    let state = wait_for("the relay", 10, || {
        Some(relay_state(&sid)).filter(|r| r.status == 200).map(|r| r.json())
    });
    assert_eq!((&state["job_id"], &state["from"]), (&json!(job), &json!(stranger)));
    assert!(state["ref"].as_str().unwrap().starts_with('#'));
    // The job's context names its customer: the text is about their job.
    let relayed = wait_for("the relayed text", 10, || {
        sent_to(&handlers()[0], &format!("job {job}")).into_iter().next()
    });
    assert!(
        relayed["body"].as_str().unwrap().contains("about that job"),
        "{relayed}"
    );
    ack(&handlers()[0], state["ref"].as_str().unwrap());
    let t = thread(&job);
    assert_eq!((t.len(), &t[0]["from"]), (1, &json!(stranger)));
    assert_eq!(t[0]["dispatcher_id"], "primary");

    // As typed into Twilio's console with a trailing slash: the same webhook, signed over it.
    let again = message_sid();
    let r = twilio_post(
        &format!("{path}/"),
        &[("MessageSid", &again), ("From", &stranger), ("Body", "and again")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let state = wait_for("the second relay", 10, || {
        Some(relay_state(&again)).filter(|r| r.status == 200).map(|r| r.json())
    });
    assert_eq!(state["job_id"], job.as_str());
    ack(&handlers()[0], state["ref"].as_str().unwrap());

    // Signed for /sms/inbound is not signed for this URL.
    let form = format!("MessageSid={}&From=%2B15550000001&Body=hi", message_sid());
    req("POST", &path)
        .body("application/x-www-form-urlencoded", &form)
        .expect_error(403, "signature_missing");
    let r = twilio_post(
        "/api/jobs/job_none/sms-webhook",
        &[("MessageSid", &message_sid()), ("From", &stranger), ("Body", "x")],
    );
    assert_eq!(r.status, 404, "{}", r.body);
}

#[test]
fn relay_state_errors() {
    req("POST", "/sms/relay-state")
        .json(&json!({"message_sid": message_sid()}))
        .expect_error(401, "token_missing");
    relay_state(&message_sid()).expect_error(404, "message_not_found");
    req("POST", "/sms/relay-state")
        .bearer(&dispatch())
        .json(&json!({"message_sid": "SM/../x"}))
        .expect_error(400, "invalid_message_sid");
    req("POST", "/sms/relay-state")
        .bearer(&dispatch())
        .json(&json!({}))
        .expect_error(400, "invalid_message_sid");
}

fn call(path: &str, params: &[(&str, &str)]) -> String {
    let r = twilio_post(path, params);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.body
}

/// The value of `attr="…"` in TwiML, unescaped.
fn attr(twiml: &str, attr: &str) -> String {
    let start = twiml
        .find(&format!("{attr}=\""))
        .unwrap_or_else(|| panic!("{attr} in {twiml}"))
        + attr.len()
        + 2;
    twiml[start..][..twiml[start..].find('"').unwrap()].replace("&amp;", "&")
}

#[test]
fn a_customers_call_rings_their_dispatcher_first_who_hears_the_job_before_press_1() {
    let h = handlers();
    let customer = customer_phone();
    let job = job_for(&customer, Some("secondary"), "en_route");
    let call_sid = twilio::sid("CA");
    let company = env_or("QDN_COMPANY_NUMBER", "");
    let base = [
        ("CallSid", call_sid.as_str()),
        ("From", customer.as_str()),
        ("To", company.as_str()),
    ];
    let dial = call("/voice/inbound", &base);
    assert!(
        dial.contains(&format!(">{}</Number>", h[1])),
        "the job's dispatcher first: {dial}"
    );
    let screen = attr(&dial, "url");
    assert!(screen.contains(&format!("job={job}")), "{screen}");
    let prompt = call(&screen, &[("CallSid", "CAchild1"), ("ParentCallSid", &call_sid)]);
    let say = &prompt[prompt.find("<Say>").unwrap()..];
    assert!(
        say.starts_with(&format!(
            "<Say>Call for Quick Dump Now from Jane Smith, job {job}, on the way"
        )) && say.contains("Press 1"),
        "{prompt}"
    );
    // They do not answer: the roster from the top, skipping them.
    let next = attr(&dial, "action");
    let dial2 = call(&next, &[("CallSid", &call_sid), ("DialCallStatus", "no-answer")]);
    assert!(dial2.contains(&format!(">{}</Number>", h[0])), "{dial2}");
    let accepted = attr(&dial2, "action");
    let result = attr(
        &call(
            &attr(&dial2, "url"),
            &[("CallSid", "CAchild2"), ("ParentCallSid", &call_sid)],
        ),
        "action",
    );
    call(
        &result,
        &[("CallSid", "CAchild2"), ("ParentCallSid", &call_sid), ("Digits", "1")],
    );
    let end = call(&accepted, &[("CallSid", &call_sid), ("DialCallStatus", "completed")]);
    assert!(end.contains("<Hangup/>") && !end.contains("<Dial"), "{end}");

    let calls = req("GET", &format!("/api/jobs/{job}/call-status"))
        .bearer(&dispatch())
        .send()
        .json();
    let c = &calls["calls"][0];
    assert_eq!(
        (&c["id"], &c["channel"], &c["from"], &c["status"], &c["dispatcher_id"]),
        (
            &json!(call_sid),
            &json!("voice"),
            &json!(customer),
            &json!("answered"),
            &json!("primary")
        )
    );
    let rung: Vec<(&str, &str)> = c["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["dispatcher_id"].as_str().unwrap(), a["status"].as_str().unwrap()))
        .collect();
    assert_eq!(rung, [("secondary", "no-answer"), ("primary", "answered")]);
    assert_eq!(thread(&job)[0]["channel"], "voice");
}

#[test]
fn a_voicemail_through_the_per_job_call_webhook_joins_the_thread() {
    let h = handlers();
    let customer = customer_phone();
    let job = job_for(&customer, Some("backup"), "en_route");
    let stranger = customer_phone();
    // Played by the stand-in as Twilio would: the job's dispatcher is busy, the primary's
    // voicemail box picks up (and cannot press 1), the secondary does not answer.
    let answers = json!({ &h[2]: "busy", &h[0]: "silent", &h[1]: "no-answer" });
    let played = standin_call(&format!("/api/jobs/{job}/call-webhook"), &stranger, answers, true);
    let rung: Vec<&str> = played["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["twiml"].as_str())
        .filter_map(|t| t.split("<Number").nth(1))
        .filter_map(|n| n.split('>').nth(1))
        .map(|n| n.trim_end_matches("</Number"))
        .collect();
    assert_eq!(rung, [h[2].as_str(), h[0].as_str(), h[1].as_str()], "{played}");
    let heard = &played["heard"][0];
    assert_eq!(heard["to"], h[0].as_str());
    assert!(
        heard["said"].as_str().unwrap().starts_with(&format!(
            "Call for Quick Dump Now from {stranger}, job {job}, on the way"
        )),
        "{heard}"
    );
    assert!(played["connected"].is_null(), "a voicemail box took the call: {played}");
    let url = played["recording_url"].as_str().expect("a voicemail").to_string();
    // The voicemail goes to the job's dispatcher first, with the job named (and the caller by
    // their number: they are not the job's customer).
    let m = wait_for("the voicemail relay", 10, || sent_to(&h[2], &url).into_iter().next());
    assert!(
        m["body"]
            .as_str()
            .unwrap()
            .contains(&format!("Voicemail, {stranger} (job {job}")),
        "{m}"
    );
    ack(&h[2], &reference_in(m["body"].as_str().unwrap()));
    let t = thread(&job);
    let kinds: Vec<(&str, &str)> = t
        .iter()
        .map(|m| (m["channel"].as_str().unwrap(), m["status"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds.len(), 2, "{t:?}");
    assert!(kinds.contains(&("voice", "voicemail")), "{t:?}");
    let vm = t.iter().find(|m| m["channel"] == "voicemail").unwrap();
    assert_eq!((&vm["media"], &vm["from"]), (&json!([url]), &json!(stranger)));
    let calls = req("GET", &format!("/api/jobs/{job}/call-status"))
        .bearer(&dispatch())
        .send()
        .json();
    let outcomes: Vec<(&str, &str)> = calls["calls"][0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["dispatcher_id"].as_str().unwrap(), a["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [("backup", "busy"), ("primary", "not_taken"), ("secondary", "no-answer")]
    );
}

#[test]
fn erasing_a_finished_jobs_customer_erases_their_side_of_the_thread() {
    let h = handlers();
    let customer = customer_phone();
    let job = job_for(&customer, None, "at_site");
    let sid = twilio::sid("MM");
    let photo = format!("https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/{sid}/Media/ME9");
    let r = twilio_post(
        "/sms/inbound",
        &[
            ("MessageSid", sid.as_str()),
            ("From", &customer),
            ("Body", "my address is 12 Elm St"),
            ("NumMedia", "1"),
            ("MediaUrl0", &photo),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let relayed = wait_for("the relay", 10, || sent_to(&h[0], &job).into_iter().next());
    ack(&h[0], &reference_in(relayed["body"].as_str().unwrap()));
    standin_call("/voice/inbound", &customer, json!({ &h[0]: "1" }), false);
    assert_eq!(
        send_job_message(&job, json!({"body": "See you at 12 Elm St"})).status,
        202
    );
    assert_eq!(patch_job(&job, json!({"status": "completed"})).status, 200);
    // Three texts and a call, the last the text that the job is done.
    let before = wait_for("the thread", 10, || Some(thread(&job)).filter(|t| t.len() == 4)).len();
    std::thread::sleep(std::time::Duration::from_millis(50));
    // The test stack sets CUSTOMER_DATA_DAYS=0: a job finished before the run is past it.
    let run = req("POST", "/api/maintenance/run").bearer(&dispatch()).send();
    assert_eq!(run.status, 200, "{}", run.body);
    let t = thread(&job);
    assert_eq!(t.len(), before, "the record of who handled what stays: {t:?}");
    let text = serde_json::to_string(&t).unwrap();
    assert!(
        !text.contains(&customer) && !text.contains("Elm St") && !text.contains(&photo),
        "the customer's number, words and pictures are gone: {text}"
    );
    let call = t.iter().find(|m| m["channel"] == "voice").unwrap();
    assert_eq!(
        (&call["status"], &call["dispatcher_id"]),
        (&json!("answered"), &json!("primary"))
    );
}

/// A dispatch token speaking for `dispatcher` (as the console's session does).
fn dispatcher_token(dispatcher: &str) -> String {
    let mut c = claims(qdn_shared::token::Scope::Dispatch);
    c.sub = Some(dispatcher.into());
    sign(&c)
}

/// The job as `GET /api/jobs` lists it to `token`'s holder.
fn listed(job: &str, token: &str) -> Value {
    let r = req("GET", "/api/jobs?status=en_route&limit=500").bearer(token).send();
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job_id"] == job)
        .cloned()
        .unwrap_or_else(|| panic!("{job} not listed"))
}

fn mark_read(job: &str, token: &str, body: Option<Value>) -> Resp {
    let r = req("POST", &format!("/api/jobs/{job}/read")).bearer(token);
    match body {
        Some(b) => r.json(&b),
        None => r.send(),
    }
}

#[test]
fn unread_is_per_dispatcher_kept_on_the_server_and_only_moves_forward() {
    let customer = customer_phone();
    let job = job_for(&customer, None, "en_route");
    let (ann, bob) = (dispatcher_token(&uid("ann")), dispatcher_token(&uid("bob")));
    assert_eq!(listed(&job, &ann)["unread"], 0);
    assert!(listed(&job, &ann)["last_inbound_at"].is_null());
    assert_eq!(inbound_sms(&message_sid(), &customer, "First question").status, 200);
    wait_for("the text in the job's thread", 10, || {
        (!thread(&job).is_empty()).then_some(())
    });
    let first = listed(&job, &ann);
    assert_eq!(
        (first["unread"].as_u64(), listed(&job, &bob)["unread"].as_u64()),
        (Some(1), Some(1))
    );
    let first_at = first["last_inbound_at"].as_str().expect("last_inbound_at").to_string();

    // Ann opens it (up to the text she saw); Bob has not.
    let r = mark_read(&job, &ann, Some(json!({ "until": first_at })));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["job_id"], job.as_str());
    assert_eq!(listed(&job, &ann)["unread"], 0);
    assert_eq!(listed(&job, &bob)["unread"], 1);

    // A new text is unread again for Ann; an older mark does not move hers back.
    assert_eq!(inbound_sms(&message_sid(), &customer, "Second question").status, 200);
    wait_for("the second text", 10, || {
        (listed(&job, &ann)["unread"] == 1).then_some(())
    });
    assert_eq!(listed(&job, &bob)["unread"], 2);
    let back = mark_read(&job, &ann, Some(json!({ "until": "2020-01-01T00:00:00Z" })));
    assert_eq!(back.status, 200, "{}", back.body);
    assert!(
        back.json()["read_until"].as_str().unwrap() >= first_at.as_str(),
        "{}",
        back.body
    );
    assert_eq!(listed(&job, &ann)["unread"], 1);
    // No body: read up to now.
    assert_eq!(mark_read(&job, &ann, None).status, 200);
    assert_eq!(listed(&job, &ann)["unread"], 0);

    // A token that speaks for nobody sees no `unread` and cannot mark; bad input is refused.
    assert!(listed(&job, &dispatch()).get("unread").is_none());
    mark_read(&job, &dispatch(), None).expect_error(400, "no_dispatcher");
    mark_read(&job, &ann, Some(json!({ "until": "soon" }))).expect_error(400, "invalid_until");
    mark_read("J-NOPE-404", &ann, None).expect_error(404, "job_not_found");
    mark_read(&job, &ingest(&job), None).expect_error(403, "forbidden_scope");
}
