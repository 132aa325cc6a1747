//! A restart in the middle of a cascade: `wrangler dev` is killed while the primary's ACK
//! window runs, and started again on the same state. The cascade must resume: the secondary
//! gets the text exactly once, the primary never twice.

use std::time::Duration;

use qdn_shared::token::Scope;
use qdn_tests::standin::{reference_in, sent_to};
use qdn_tests::wait::poll;
use qdn_tests::DISPATCHER_PHONES as TIERS;
use serde_json::json;

use crate::fixture::{inbound_sms, TEST_JWT_SECRET};
use crate::seed::{expect, mint};
use crate::stack::{Options, Stack};
use crate::tools::Tools;
use crate::util::{step, Result};

pub struct Setup<'a> {
    pub tools: &'a Tools,
    pub options: Options<'a>,
    /// The Twilio stand-in's URL.
    pub standin: &'a str,
}

/// Runs the scenario on `stack`, which it stops and replaces; returns the new stack.
pub fn run(mut stack: Stack, s: Setup) -> (Result, Option<Stack>) {
    step("restart in the middle of a cascade");
    let customer = qdn_tests::customer_phone();
    if let Err(e) = text_the_primary(&stack.base_url, s.standin, &customer) {
        return (Err(e), Some(stack));
    }
    // Down during the ACK window, so the timeout passes while nothing runs.
    stack.stop();
    std::thread::sleep(Duration::from_secs(6));
    match Stack::start(s.tools, s.options) {
        Ok(stack) => (resumes(&stack.base_url, s.standin, &customer), Some(stack)),
        Err(e) => (Err(format!("restarting wrangler dev: {e}")), None),
    }
}

/// A roster of three tiers, 5 s to ACK, and a customer's text that reaches the primary.
fn text_the_primary(base: &str, standin: &str, customer: &str) -> Result {
    let roster = json!({"tiers": [
        {"dispatcher_id": "primary", "phone": TIERS[0]},
        {"dispatcher_id": "secondary", "phone": TIERS[1]},
        {"dispatcher_id": "backup", "phone": TIERS[2]}],
        "ack_timeout_s": 5, "backoff_s": [1]});
    let dispatch = mint(TEST_JWT_SECRET, Scope::Dispatch, None, 600);
    expect(
        "PUT",
        &format!("{base}/api/relay/roster"),
        &dispatch,
        roster,
        200,
        "storing the roster",
    )?;
    inbound_sms(base, customer, "restart test")?;
    poll("the primary's text", 15, || {
        Ok((sent_to(standin, TIERS[0], customer)?.len() == 1).then_some(()))
    })
}

/// After the restart: the secondary is texted, ACKs, and nobody is texted again.
fn resumes(base: &str, standin: &str, customer: &str) -> Result {
    let relayed = poll("the secondary's text after the restart", 30, || {
        Ok(sent_to(standin, TIERS[1], customer)?.into_iter().next())
    })?;
    let reference = reference_in(relayed["body"].as_str().unwrap_or_default());
    inbound_sms(base, TIERS[1], &format!("ACK {reference}"))?;
    std::thread::sleep(Duration::from_secs(8));
    let count = |tier: &str| sent_to(standin, tier, customer).map(|v| v.len());
    let counts = (count(TIERS[0])?, count(TIERS[1])?, count(TIERS[2])?);
    if counts != (1, 1, 0) {
        return Err(format!(
            "after the restart the tiers got {counts:?} texts; want (1, 1, 0)"
        ));
    }
    Ok(())
}
