//! A client of the Twilio stand-in's test controls (`/_standin/…`, see
//! `src/bin/twilio_standin.rs`); `base` is the stand-in's URL.

use serde_json::Value;

fn get(url: &str) -> Result<Value, String> {
    ureq::get(url)
        .call()
        .map_err(|e| format!("GET {url}: {e}"))?
        .into_json()
        .map_err(|e| format!("GET {url}: {e}"))
}

/// Texts the stand-in was asked to send, oldest first; only those whose body contains `needle`.
pub fn sent(base: &str, needle: &str) -> Result<Vec<Value>, String> {
    let list = get(&format!("{base}/_standin/sent"))?;
    let list = list
        .as_array()
        .ok_or_else(|| format!("the stand-in's sends are not a list: {list}"))?;
    Ok(list
        .iter()
        .filter(|m| m["body"].as_str().is_some_and(|b| b.contains(needle)))
        .cloned()
        .collect())
}

/// [`sent`], only those to `phone`.
pub fn sent_to(base: &str, phone: &str, needle: &str) -> Result<Vec<Value>, String> {
    Ok(sent(base, needle)?.into_iter().filter(|m| m["to"] == phone).collect())
}

/// How many texts to `phone` the stand-in has taken (counted by the stand-in: cheap to poll).
pub fn count_to(base: &str, phone: &str) -> Result<u64, String> {
    let v = get(&format!("{base}/_standin/count?to={}", phone.replace('+', "%2B")))?;
    Ok(v["count"].as_u64().unwrap_or(0))
}

/// Makes the stand-in answer sends matching `rule` (`to`, `body_contains`) as told
/// (`status`, `code`, `times`, `delay_ms`, `callback`, `callback_code`).
pub fn add_rule(base: &str, rule: Value) -> Result<(), String> {
    ureq::post(&format!("{base}/_standin/rules"))
        .send_json(rule)
        .map(|_| ())
        .map_err(|e| format!("POST {base}/_standin/rules: {e}"))
}

/// The alerts the stack posted to the stand-in.
pub fn alerts(base: &str) -> Result<Vec<Value>, String> {
    Ok(get(&format!("{base}/_standin/alerts"))?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// The relay reference (`#XXXX`) a relayed text starts with.
pub fn reference_in(body: &str) -> String {
    body.split_whitespace().next().unwrap_or_default().to_string()
}
