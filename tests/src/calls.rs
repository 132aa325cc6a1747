//! Twilio's side of a voice call, as the stand-in plays it (`POST /_standin/calls`): the signed
//! inbound webhook, then whatever the TwiML answers say — each `<Dial><Number url=…>` rings a
//! dispatcher who does not answer, is busy, or picks up and hears the screen (the whisper: the
//! `<Number url>` TwiML runs on the answered leg before the caller is connected) and presses a
//! digit or nothing; the `<Dial action>` gets `DialCallStatus`; a `<Record action>` gets a
//! recording. Relative URLs are resolved against the webhook's origin, and every request is
//! signed over the URL as called, as Twilio does.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::twilio::{post_signed, sid};

/// What a dispatcher's phone does when rung.
#[derive(Debug, Clone, PartialEq)]
pub enum Pickup {
    NoAnswer,
    Busy,
    /// Answers, hears the screen, presses this digit.
    Press(String),
    /// Answers (a voicemail box) and presses nothing.
    Silent,
}

impl Pickup {
    /// `no-answer`, `busy`, `silent`, or the digit to press.
    pub fn parse(s: &str) -> Pickup {
        match s {
            "no-answer" => Pickup::NoAnswer,
            "busy" => Pickup::Busy,
            "silent" => Pickup::Silent,
            d => Pickup::Press(d.to_string()),
        }
    }
}

pub struct Plan<'a> {
    /// The full URL of the call webhook, e.g. `http://127.0.0.1:8787/voice/inbound`.
    pub url: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    /// By dispatcher phone; a phone not listed does not answer.
    pub answers: HashMap<String, Pickup>,
    /// The caller leaves a voicemail when offered one.
    pub record: bool,
    pub account_sid: &'a str,
    pub auth_token: &'a str,
}

/// The call as it went: `call_sid`, each request and its TwiML (`steps`), what each dispatcher
/// heard before pressing (`heard`), who was `connected`, and the voicemail's `recording_url`.
pub fn play(p: &Plan) -> Value {
    let origin = origin(p.url);
    let call_sid = sid("CA");
    let base: Vec<(String, String)> = [
        ("CallSid", call_sid.as_str()),
        ("AccountSid", p.account_sid),
        ("From", p.from),
        ("To", p.to),
        ("Caller", p.from),
        ("Called", p.to),
        ("Direction", "inbound"),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut steps = Vec::new();
    let mut heard = Vec::new();
    let (mut connected, mut recording) = (None::<String>, None::<String>);
    let mut url = p.url.to_string();
    let mut extra = vec![("CallStatus".to_string(), "ringing".to_string())];
    for _ in 0..20 {
        let params: Vec<(String, String)> = base.iter().chain(extra.iter()).cloned().collect();
        let Some(twiml) = post(p, &url, &params, &mut steps) else {
            break;
        };
        let Ok(doc) = roxmltree::Document::parse(&twiml) else {
            break;
        };
        let verbs: Vec<roxmltree::Node> = doc.root_element().children().filter(|n| n.is_element()).collect();
        if let Some(dial) = verbs.iter().find(|n| n.has_tag_name("Dial")) {
            let action = resolve(&origin, dial.attribute("action").unwrap_or(&url));
            let Some(number) = dial.children().find(|n| n.has_tag_name("Number")) else {
                break;
            };
            let phone = number.text().unwrap_or("").trim().to_string();
            let pickup = p.answers.get(&phone).cloned().unwrap_or(Pickup::NoAnswer);
            let status = match pickup {
                Pickup::NoAnswer => "no-answer",
                Pickup::Busy => "busy",
                Pickup::Press(_) | Pickup::Silent => {
                    if screen(
                        p,
                        &origin,
                        &call_sid,
                        &phone,
                        number.attribute("url"),
                        &pickup,
                        &mut steps,
                        &mut heard,
                    ) {
                        connected = Some(phone.clone());
                    }
                    "completed"
                }
            };
            url = action;
            extra = vec![
                ("CallStatus".into(), "in-progress".into()),
                ("DialCallStatus".into(), status.into()),
            ];
            continue;
        }
        if let Some(record) = verbs.iter().find(|n| n.has_tag_name("Record")) {
            if !p.record {
                break;
            }
            let rec = sid("RE");
            let rec_url = format!(
                "https://api.twilio.com/2010-04-01/Accounts/{}/Recordings/{rec}",
                p.account_sid
            );
            url = resolve(&origin, record.attribute("action").unwrap_or(&url));
            extra = vec![
                ("CallStatus".into(), "in-progress".into()),
                ("RecordingSid".into(), rec),
                ("RecordingUrl".into(), rec_url.clone()),
                ("RecordingDuration".into(), "9".into()),
            ];
            recording = Some(rec_url);
            continue;
        }
        break; // <Hangup/>, or the TwiML ran out: the call ends
    }
    json!({ "call_sid": call_sid, "steps": steps, "heard": heard, "connected": connected, "recording_url": recording })
}

/// The answered leg: the screen's TwiML (its `<Say>`s are what the dispatcher hears), then the
/// digit. Whether the dispatcher was connected.
#[allow(clippy::too_many_arguments)]
fn screen(
    p: &Plan,
    origin: &str,
    parent: &str,
    phone: &str,
    screen_url: Option<&str>,
    pickup: &Pickup,
    steps: &mut Vec<Value>,
    heard: &mut Vec<Value>,
) -> bool {
    let Some(screen_url) = screen_url else {
        return true; // no whisper: answering connects
    };
    let child: Vec<(String, String)> = [
        ("CallSid", sid("CA")),
        ("ParentCallSid", parent.to_string()),
        ("AccountSid", p.account_sid.to_string()),
        ("From", p.from.to_string()),
        ("To", phone.to_string()),
        ("CallStatus", "in-progress".to_string()),
        ("Direction", "outbound-dial".to_string()),
        ("ApiVersion", "2010-04-01".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let Some(twiml) = post(p, &resolve(origin, screen_url), &child, steps) else {
        return false;
    };
    let Ok(doc) = roxmltree::Document::parse(&twiml) else {
        return false;
    };
    let said: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("Say"))
        .filter_map(|n| n.text().map(str::to_string))
        .collect();
    heard.push(json!({ "to": phone, "said": said.join(" ") }));
    let gather = doc.descendants().find(|n| n.has_tag_name("Gather"));
    match (gather, pickup) {
        (Some(g), Pickup::Press(digit)) => {
            let mut params = child.clone();
            params.push(("Digits".into(), digit.clone()));
            let action = resolve(origin, g.attribute("action").unwrap_or(screen_url));
            post(p, &action, &params, steps).is_some_and(|t| !t.contains("<Hangup"))
        }
        // Nothing pressed: the TwiML after the Gather runs (it hangs up the leg).
        (Some(_), _) => false,
        (None, _) => !twiml.contains("<Hangup"),
    }
}

fn post(p: &Plan, url: &str, params: &[(String, String)], steps: &mut Vec<Value>) -> Option<String> {
    let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, body) = match post_signed(url, p.auth_token, &refs) {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(e) => match *e {
            ureq::Error::Status(code, r) => (code, r.into_string().unwrap_or_default()),
            other => (0, other.to_string()),
        },
    };
    steps.push(json!({ "url": url, "params": params.iter().cloned().collect::<HashMap<_, _>>(), "status": status, "twiml": body }));
    (status == 200).then_some(body)
}

fn origin(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url[..after_scheme + i].to_string(),
        None => url.to_string(),
    }
}

fn resolve(origin: &str, url: &str) -> String {
    if url.starts_with('/') {
        format!("{origin}{url}")
    } else {
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_resolve_against_the_webhooks_origin() {
        let o = super::origin("http://127.0.0.1:8787/api/jobs/j1/call-webhook");
        assert_eq!(o, "http://127.0.0.1:8787");
        assert_eq!(
            super::resolve(&o, "/voice/next?tier=0"),
            "http://127.0.0.1:8787/voice/next?tier=0"
        );
        assert_eq!(super::resolve(&o, "https://x.example/y"), "https://x.example/y");
    }
}
