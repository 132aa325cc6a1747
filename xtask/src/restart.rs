//! A restart in the middle of a cascade: `wrangler dev` is killed while the primary's ACK
//! window runs, and started again on the same state. The cascade must resume: the secondary
//! gets the text exactly once, the primary never twice.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::stack::{Options, Stack};
use crate::tools::Tools;
use crate::util::{step, Result};

pub struct Setup<'a> {
    pub tools: &'a Tools,
    pub options: Options<'a>,
    pub standin: &'a str,
    pub auth_token: &'a str,
    pub jwt_secret: &'a str,
    pub handlers: [&'a str; 3],
}

fn sends_to(standin: &str, to: &str, needle: &str) -> Result<usize> {
    let v: Value = ureq::get(&format!("{standin}/_standin/sent"))
        .call()
        .map_err(|e| e.to_string())?
        .into_json()
        .map_err(|e| e.to_string())?;
    Ok(v.as_array().map_or(0, |a| {
        a.iter()
            .filter(|m| m["to"] == to && m["body"].as_str().is_some_and(|b| b.contains(needle)))
            .count()
    }))
}

fn wait(what: &str, secs: u64, mut f: impl FnMut() -> Result<bool>) -> Result {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f()? {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!("timed out waiting for {what}"))
}

/// Runs the scenario on `stack`, which it stops and replaces; returns the new stack.
pub fn run(mut stack: Stack, s: Setup) -> (Result, Option<Stack>) {
    step("restart in the middle of a cascade");
    let base = stack.base_url.clone();
    let customer = format!("+1555099{:04}", std::process::id() % 10_000);
    let sid = format!(
        "SM{:032x}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    let dispatch = crate::seed::mint(s.jwt_secret, qdn_shared::token::Scope::Dispatch, None, 600);
    let roster = json!({"tiers": [
        {"dispatcher_id": "primary", "phone": s.handlers[0]},
        {"dispatcher_id": "secondary", "phone": s.handlers[1]},
        {"dispatcher_id": "backup", "phone": s.handlers[2]}],
        "ack_timeout_s": 5, "backoff_s": [1]});
    let first = (|| -> Result {
        ureq::put(&format!("{base}/api/relay/roster"))
            .set("Authorization", &format!("Bearer {dispatch}"))
            .send_json(roster)
            .map_err(|e| e.to_string())?;
        crate::standin::inbound_sms(&base, s.auth_token, &sid, &customer, "restart test")?;
        wait("the primary's text", 15, || {
            Ok(sends_to(s.standin, s.handlers[0], &customer)? == 1)
        })
    })();
    if let Err(e) = first {
        return (Err(e), Some(stack));
    }
    // Down during the ACK window, so the timeout passes while nothing runs.
    stack.stop();
    std::thread::sleep(Duration::from_secs(6));
    let stack = match Stack::start(s.tools, s.options) {
        Ok(st) => st,
        Err(e) => return (Err(format!("restarting wrangler dev: {e}")), None),
    };
    let result = (|| -> Result {
        wait("the secondary's text after the restart", 30, || {
            Ok(sends_to(s.standin, s.handlers[1], &customer)? >= 1)
        })?;
        let reference = {
            let v: Value = ureq::get(&format!("{}/_standin/sent", s.standin))
                .call()
                .map_err(|e| e.to_string())?
                .into_json()
                .map_err(|e| e.to_string())?;
            let m = v
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .find(|m| m["to"] == s.handlers[1] && m["body"].as_str().is_some_and(|b| b.contains(&customer)))
                })
                .cloned();
            m.and_then(|m| {
                m["body"]
                    .as_str()
                    .and_then(|b| b.split_whitespace().next().map(str::to_string))
            })
            .unwrap_or_default()
        };
        crate::standin::inbound_sms(
            &base,
            s.auth_token,
            &format!(
                "SM{:032x}",
                chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default() + 1
            ),
            s.handlers[1],
            &format!("ACK {reference}"),
        )?;
        std::thread::sleep(Duration::from_secs(8));
        let counts = (
            sends_to(s.standin, s.handlers[0], &customer)?,
            sends_to(s.standin, s.handlers[1], &customer)?,
            sends_to(s.standin, s.handlers[2], &customer)?,
        );
        if counts != (1, 1, 0) {
            return Err(format!(
                "after the restart the tiers got {counts:?} texts; want (1, 1, 0)"
            ));
        }
        Ok(())
    })();
    (result, Some(stack))
}
