//! A local stand-in for Twilio's REST API, for tests and `cargo xtask dev`.
//!
//! Speaks `POST/GET /2010-04-01/Accounts/{sid}/Messages.json` with Basic auth (account SID +
//! auth token, or API key + secret), refuses any form field Twilio's OpenAPI description does
//! not define (`tests/twilio/message_params.tsv`), records every send, and answers the way
//! Twilio does. Test control: `POST /_standin/rules` injects failures (status, Twilio error code,
//! delay, failed status callbacks) for a recipient; `GET /_standin/sent` lists sends;
//! `/_standin/alerts` takes and lists alert webhooks. Status
//! callbacks are signed with the auth token like Twilio's.
//!
//! A send with `MessagingServiceSid` (the one service given by `--messaging-service`) goes out
//! from that service's pool number and records the SID as `messaging_service_sid`; a send's
//! `MediaUrl`s (one field per URL, as Twilio's libraries send them) are recorded as `media_url`.
//!
//! Calls: `POST /_standin/calls` `{"url", "from", "to", "answers": {"<phone>": "no-answer" |
//! "busy" | "silent" | "<digit>"}, "record"}` plays Twilio's side of an inbound call against the
//! stack's webhook — each `<Dial><Number url>` rings, the screen (whisper) URL runs on the
//! answered leg, the `<Dial action>` and `<Record action>` are called back, all signed — and
//! answers what happened (`qdn_tests::calls::play`).
//!
//! Usage: twilio_standin --port 8788 --account-sid AC.. --auth-token .. [--api-key SK.. --api-secret ..]
//!        [--messaging-service MG..=+1..]

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use tiny_http::{Header, Method, Request, Response, Server};

const PARAMS: &str = include_str!("../../twilio/message_params.tsv");

#[derive(Clone, Default)]
struct Rule {
    to: Option<String>,
    /// Applies only to sends whose body contains this (tests running at once keep apart).
    body_contains: Option<String>,
    status: u16,
    code: Option<u32>,
    /// How many sends it applies to (0: all).
    times: u32,
    delay_ms: u64,
    /// The status callback to send instead of `delivered` (e.g. `undelivered`).
    callback: Option<String>,
    callback_code: Option<u32>,
}

#[derive(Default)]
struct State {
    sent: Vec<Value>,
    /// Alerts posted to the stand-in (tests point ALERT_WEBHOOK_URL here).
    alerts: Vec<Value>,
    rules: Vec<Rule>,
}

struct Config {
    account_sid: String,
    auth_token: String,
    api_key: Option<String>,
    api_secret: Option<String>,
    fields: HashMap<String, (String, bool)>,
    /// `--messaging-service MG…=+1…`: a Messaging Service and the pool number it sends from.
    messaging_service: Option<(String, String)>,
    quiet: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let port = arg("--port").unwrap_or_else(|| "8788".into());
    let fields = PARAMS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[0].to_string(),
                (f.get(1).unwrap_or(&"").to_string(), f.get(2) == Some(&"required")),
            )
        })
        .collect();
    let config = Arc::new(Config {
        account_sid: arg("--account-sid").unwrap_or_else(|| "AC00000000000000000000000000000000".into()),
        auth_token: arg("--auth-token").unwrap_or_else(|| "dev-auth-token-0000000000000000".into()),
        api_key: arg("--api-key").filter(|s| !s.is_empty()),
        api_secret: arg("--api-secret").filter(|s| !s.is_empty()),
        fields,
        messaging_service: arg("--messaging-service")
            .and_then(|m| m.split_once('=').map(|(sid, n)| (sid.to_string(), n.to_string()))),
        quiet: args.iter().any(|a| a == "--quiet"),
    });
    let server = Arc::new(Server::http(format!("127.0.0.1:{port}")).expect("bind the stand-in's port"));
    eprintln!("twilio stand-in listening on http://127.0.0.1:{port}");
    let state = Arc::new(Mutex::new(State::default()));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (server, state, config) = (server.clone(), state.clone(), config.clone());
            std::thread::spawn(move || {
                for req in server.incoming_requests() {
                    handle(req, &state, &config);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
}

fn json_response(status: u16, v: &Value) -> Answer {
    Response::from_data(v.to_string().into_bytes())
        .with_status_code(status)
        .with_header(Header::from_bytes("Content-Type", "application/json").unwrap())
}

fn twilio_error(status: u16, code: u32, message: &str) -> Answer {
    json_response(
        status,
        &json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status}),
    )
}

type Answer = Response<std::io::Cursor<Vec<u8>>>;

fn header(req: &Request, name: &'static str) -> Option<String> {
    req.headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.to_string())
}

fn handle(mut req: Request, state: &Mutex<State>, config: &Config) {
    let url = req.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let mut body = Vec::new();
    let _ = req.as_reader().take(1 << 20).read_to_end(&mut body);
    let method = req.method().clone();
    let answer = match control(&method, path, query, &body, state, config) {
        Some(a) => a,
        None => match messages_path(path) {
            Some(account) => {
                let auth = header(&req, "Authorization");
                if !authorized(auth.as_deref(), config) || account != config.account_sid {
                    twilio_error(401, 20003, "Authenticate")
                } else if method == Method::Post {
                    create(&body, &header(&req, "Content-Type").unwrap_or_default(), state, config)
                } else if method == Method::Get {
                    list(query, state)
                } else {
                    twilio_error(405, 20004, "Method not allowed")
                }
            }
            None => twilio_error(404, 20404, "The requested resource was not found"),
        },
    };
    let _ = req.respond(answer);
}

/// The health check and the test controls (`/_standin/…`); None for Twilio's API.
fn control(
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
    state: &Mutex<State>,
    config: &Config,
) -> Option<Answer> {
    let ok = |status| json_response(status, &json!({"ok": true}));
    Some(match (method, path) {
        (Method::Get, "/healthz") => ok(200),
        (Method::Get, "/_standin/sent") => json_response(200, &json!(sent_to(&state.lock().unwrap(), query))),
        (Method::Get, "/_standin/count") => {
            json_response(200, &json!({"count": sent_to(&state.lock().unwrap(), query).len()}))
        }
        (Method::Post, "/_standin/rules") => {
            let rule = Rule::from_json(&serde_json::from_slice(body).unwrap_or_default());
            state.lock().unwrap().rules.push(rule);
            ok(201)
        }
        (Method::Post, "/_standin/alerts") => {
            let v: Value = serde_json::from_slice(body).unwrap_or_default();
            if !config.quiet {
                println!("twilio stand-in: ALERT {}", v["text"].as_str().unwrap_or_default());
            }
            state.lock().unwrap().alerts.push(v);
            ok(200)
        }
        (Method::Get, "/_standin/alerts") => json_response(200, &json!(state.lock().unwrap().alerts)),
        (Method::Post, "/_standin/calls") => {
            let v: Value = serde_json::from_slice(body).unwrap_or_default();
            let answers = v["answers"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, a)| (k.clone(), qdn_tests::calls::Pickup::parse(a.as_str().unwrap_or(""))))
                        .collect()
                })
                .unwrap_or_default();
            let plan = qdn_tests::calls::Plan {
                url: v["url"].as_str().unwrap_or_default(),
                from: v["from"].as_str().unwrap_or_default(),
                to: v["to"].as_str().unwrap_or_default(),
                answers,
                record: v["record"].as_bool().unwrap_or(false),
                account_sid: &config.account_sid,
                auth_token: &config.auth_token,
            };
            let out = qdn_tests::calls::play(&plan);
            if !config.quiet {
                println!("twilio stand-in: CALL {} → {}: {}", plan.from, plan.to, out["heard"]);
            }
            json_response(200, &out)
        }
        (Method::Delete, "/_standin/rules") => {
            state.lock().unwrap().rules.clear();
            ok(200)
        }
        _ => return None,
    })
}

/// The sends, oldest first; only those to the query's `to` when it has one.
fn sent_to<'a>(s: &'a State, query: &str) -> Vec<&'a Value> {
    let to = form(query.as_bytes())
        .into_iter()
        .find(|(k, _)| k == "to")
        .map(|(_, v)| v);
    s.sent
        .iter()
        .filter(|m| to.as_ref().is_none_or(|t| m["to"] == t.as_str()))
        .collect()
}

impl Rule {
    fn from_json(v: &Value) -> Rule {
        Rule {
            to: v["to"].as_str().map(str::to_string),
            body_contains: v["body_contains"].as_str().map(str::to_string),
            status: v["status"].as_u64().unwrap_or(201) as u16,
            code: v["code"].as_u64().map(|c| c as u32),
            times: v["times"].as_u64().unwrap_or(0) as u32,
            delay_ms: v["delay_ms"].as_u64().unwrap_or(0),
            callback: v["callback"].as_str().map(str::to_string),
            callback_code: v["callback_code"].as_u64().map(|c| c as u32),
        }
    }
}

fn messages_path(path: &str) -> Option<&str> {
    path.strip_prefix("/2010-04-01/Accounts/")?
        .strip_suffix("/Messages.json")
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    qdn_shared::twilio::parse_form(body)
}

fn authorized(header: Option<&str>, c: &Config) -> bool {
    let Some(b64) = header.and_then(|h| h.strip_prefix("Basic ")) else {
        return false;
    };
    let Some(decoded) = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()
        .and_then(|d| String::from_utf8(d).ok())
    else {
        return false;
    };
    let Some((user, pass)) = decoded.split_once(':') else {
        return false;
    };
    (user == c.account_sid && pass == c.auth_token)
        || (Some(user) == c.api_key.as_deref() && Some(pass) == c.api_secret.as_deref())
}

fn create(body: &[u8], ctype: &str, state: &Mutex<State>, config: &Config) -> Answer {
    if !ctype.starts_with("application/x-www-form-urlencoded") {
        return twilio_error(400, 20001, "Content-Type must be application/x-www-form-urlencoded");
    }
    let params = form(body);
    if let Some(refused) = refusal(&params, config) {
        return refused;
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (to, text) = (get("To").unwrap_or_default(), get("Body").unwrap_or_default());
    let rule = take_rule(state, &to, &text);
    if rule.delay_ms > 0 {
        std::thread::sleep(Duration::from_millis(rule.delay_ms));
    }
    if rule.status >= 300 {
        let code = rule.code.unwrap_or(match rule.status {
            429 => 20429,
            _ => 20500,
        });
        return twilio_error(rule.status, code, "injected failure");
    }
    let now = chrono::Utc::now();
    let sid = qdn_tests::twilio::message_sid();
    let service = get("MessagingServiceSid");
    // Twilio sends a Messaging Service's text from a number of its pool.
    let from = match &service {
        Some(_) => config
            .messaging_service
            .as_ref()
            .map(|(_, n)| n.clone())
            .unwrap_or_default(),
        None => get("From").unwrap_or_default(),
    };
    let media: Vec<&String> = params.iter().filter(|(k, _)| k == "MediaUrl").map(|(_, v)| v).collect();
    let msg = json!({
        "sid": sid, "account_sid": config.account_sid, "to": to, "from": from, "body": text,
        "messaging_service_sid": service, "media_url": media,
        "num_media": media.len().to_string(),
        "status": "queued", "direction": "outbound-api", "num_segments": "1", "api_version": "2010-04-01",
        "date_created": now.to_rfc2822(), "uri": format!("/2010-04-01/Accounts/{}/Messages/{sid}.json", config.account_sid),
        "status_callback": get("StatusCallback"),
    });
    if !config.quiet {
        println!("twilio stand-in: SMS {from} → {to}: {text}");
    }
    state.lock().unwrap().sent.push(msg.clone());
    if let Some(url) = get("StatusCallback") {
        let callback = Callback {
            url,
            status: rule.callback.clone().unwrap_or_else(|| "delivered".into()),
            code: rule.callback_code,
            sid,
            from,
            to,
        };
        callback.send_soon(config);
    }
    json_response(201, &msg)
}

/// Twilio's answer to a send it refuses: an unknown or mistyped field, a missing one, a bad
/// number, no sender, no body, or a body too long.
fn refusal(params: &[(String, String)], config: &Config) -> Option<Answer> {
    for (k, v) in params {
        match config.fields.get(k) {
            None => return Some(twilio_error(400, 20001, &format!("Unknown parameter: {k}"))),
            Some((ty, _)) if ty == "boolean" && v != "true" && v != "false" => {
                return Some(twilio_error(400, 20001, &format!("{k} must be true or false")))
            }
            Some((ty, _)) if ty == "integer" && v.parse::<i64>().is_err() => {
                return Some(twilio_error(400, 20001, &format!("{k} must be an integer")))
            }
            _ => {}
        }
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    for (name, (_, required)) in &config.fields {
        if *required && get(name).is_none() {
            return Some(twilio_error(
                400,
                21604,
                &format!("A '{name}' phone number is required."),
            ));
        }
    }
    let to = get("To").unwrap_or_default();
    if !qdn_shared::phone::is_e164(&to) {
        let message = format!("The 'To' number {to} is not a valid phone number.");
        return Some(twilio_error(400, 21211, &message));
    }
    if get("From").is_none() && get("MessagingServiceSid").is_none() {
        let message = "A 'From' or 'MessagingServiceSid' parameter is required to send a message.";
        return Some(twilio_error(400, 21603, message));
    }
    if let Some(sid) = get("MessagingServiceSid") {
        if config.messaging_service.as_ref().is_none_or(|(known, _)| *known != sid) {
            return Some(twilio_error(400, 21703, "The Messaging Service does not exist."));
        }
    }
    let text = get("Body").unwrap_or_default();
    if text.is_empty() && get("MediaUrl").is_none() && get("ContentSid").is_none() {
        return Some(twilio_error(400, 21602, "Message body is required."));
    }
    if text.chars().count() > 1600 {
        let message = "The concatenated message body exceeds the 1600 character limit.";
        return Some(twilio_error(400, 21617, message));
    }
    None
}

/// The first rule for this send (used up when its `times` run out), or a plain success.
fn take_rule(state: &Mutex<State>, to: &str, text: &str) -> Rule {
    let mut s = state.lock().unwrap();
    let i = s.rules.iter().position(|r| {
        r.to.as_ref().is_none_or(|t| t == to) && r.body_contains.as_ref().is_none_or(|b| text.contains(b.as_str()))
    });
    let Some(i) = i else {
        return Rule {
            status: 201,
            ..Rule::default()
        };
    };
    let r = s.rules[i].clone();
    if r.times == 1 {
        s.rules.remove(i);
    } else if r.times > 1 {
        s.rules[i].times -= 1;
    }
    r
}

/// A message's status callback, signed with the auth token like Twilio's.
struct Callback {
    url: String,
    status: String,
    code: Option<u32>,
    sid: String,
    from: String,
    to: String,
}

impl Callback {
    /// Posts it from another thread shortly after the send's answer, as Twilio does.
    fn send_soon(self, config: &Config) {
        let token = config.auth_token.clone();
        let account = config.account_sid.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            let code = self.code.map(|c| c.to_string());
            let mut params = vec![
                ("MessageSid", self.sid.as_str()),
                ("SmsSid", &self.sid),
                ("MessageStatus", &self.status),
                ("SmsStatus", &self.status),
                ("AccountSid", &account),
                ("From", &self.from),
                ("To", &self.to),
                ("ApiVersion", "2010-04-01"),
            ];
            if let Some(c) = &code {
                params.push(("ErrorCode", c));
            }
            let _ = qdn_tests::twilio::post_signed(&self.url, &token, &params);
        });
    }
}

fn list(query: &str, state: &Mutex<State>) -> Answer {
    let q = form(query.as_bytes());
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (to, from) = (get("To"), get("From"));
    let s = state.lock().unwrap();
    let messages: Vec<&Value> = s
        .sent
        .iter()
        .rev()
        .filter(|m| {
            to.as_ref().is_none_or(|t| m["to"] == t.as_str()) && from.as_ref().is_none_or(|f| m["from"] == f.as_str())
        })
        .take(50)
        .collect();
    json_response(200, &json!({"messages": messages, "page": 0, "page_size": 50}))
}
