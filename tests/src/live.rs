//! Clients of the live stream (`GET /api/jobs/{key}/live`): server-sent events and WebSocket,
//! each delivering the views it receives on a channel, for the tests and the bench.

use std::io::{BufRead, BufReader};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::Value;

/// What a stream delivered.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A location view (the `data` of an event, or a WebSocket text message).
    View(Value),
    /// The server withdrew the stream: the error code it gave (SSE `event: refused`, or a
    /// WebSocket close code 4000 + status with the code as its reason) and that status.
    Refused { status: u16, error: String },
    /// The stream ended without a refusal (its WebSocket close code, 0 for SSE).
    Closed(u16),
}

pub struct Stream {
    /// Each event with the instant it was read off the connection.
    rx: Receiver<(Instant, Event)>,
}

impl Stream {
    /// The next event, or None when none came within `wait`.
    pub fn next(&self, wait: Duration) -> Option<Event> {
        self.next_timed(wait).map(|(_, e)| e)
    }

    /// The next event and when it arrived (the bench's latencies).
    pub fn next_timed(&self, wait: Duration) -> Option<(Instant, Event)> {
        match self.rx.recv_timeout(wait) {
            Ok(e) => Some(e),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some((Instant::now(), Event::Closed(0))),
        }
    }

    /// Skips events until `f` accepts one; None when none did within `wait`.
    pub fn until(&self, wait: Duration, mut f: impl FnMut(&Event) -> bool) -> Option<Event> {
        let end = Instant::now() + wait;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.next(left)? {
                e if f(&e) => return Some(e),
                Event::Closed(c) => return Some(Event::Closed(c)),
                _ => {}
            }
        }
        None
    }
}

/// An HTTP refusal of the stream: status and body.
pub type Refusal = (u16, String);

/// Opens a server-sent-event stream of `key` (a track token, or a job id with `bearer`).
pub fn sse(base: &str, key: &str, bearer: Option<&str>) -> Result<Stream, Refusal> {
    let mut r = ureq::get(&format!("{base}/api/jobs/{key}/live"));
    if let Some(t) = bearer {
        r = r.set("Authorization", &format!("Bearer {t}"));
    }
    let resp = match r.call() {
        Ok(resp) => resp,
        Err(ureq::Error::Status(status, resp)) => return Err((status, resp.into_string().unwrap_or_default())),
        Err(e) => return Err((0, e.to_string())),
    };
    if !resp.content_type().starts_with("text/event-stream") {
        return Err((resp.status(), format!("content type {}", resp.content_type())));
    }
    let (tx, rx) = channel();
    let reader = BufReader::new(resp.into_reader());
    std::thread::spawn(move || {
        let (mut name, mut data) = (String::new(), String::new());
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if let Some(v) = line.strip_prefix("event: ") {
                name = v.to_string();
            } else if let Some(v) = line.strip_prefix("data: ") {
                data.push_str(v);
            } else if line.is_empty() && !data.is_empty() {
                let v: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
                let e = if name == "refused" {
                    Event::Refused {
                        status: v["status"].as_u64().unwrap_or(0) as u16,
                        error: v["error"].as_str().unwrap_or_default().to_string(),
                    }
                } else {
                    Event::View(v)
                };
                if tx.send((Instant::now(), e)).is_err() {
                    return;
                }
                name.clear();
                data.clear();
            }
        }
        let _ = tx.send((Instant::now(), Event::Closed(0)));
    });
    Ok(Stream { rx })
}

/// Opens a WebSocket stream of `key` (a track token), as the page does.
pub fn websocket(base: &str, key: &str) -> Result<Stream, Refusal> {
    let url = format!("{}/api/jobs/{key}/live", base.replacen("http", "ws", 1));
    let (mut ws, _) = match tungstenite::connect(url.as_str()) {
        Ok(c) => c,
        Err(tungstenite::Error::Http(resp)) => {
            let body = resp.body().as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
            return Err((resp.status().as_u16(), body.unwrap_or_default()));
        }
        Err(e) => return Err((0, e.to_string())),
    };
    let (tx, rx) = channel();
    std::thread::spawn(move || loop {
        let e = match ws.read() {
            Ok(tungstenite::Message::Text(t)) => Event::View(serde_json::from_str(t.as_str()).unwrap_or(Value::Null)),
            Ok(tungstenite::Message::Close(frame)) => {
                let (code, reason) = frame.map_or((1005, String::new()), |f| (u16::from(f.code), f.reason.to_string()));
                let _ = tx.send((
                    Instant::now(),
                    match code {
                        4000..=4999 => Event::Refused {
                            status: code - 4000,
                            error: reason,
                        },
                        _ => Event::Closed(code),
                    },
                ));
                return;
            }
            Ok(_) => continue,
            Err(_) => {
                let _ = tx.send((Instant::now(), Event::Closed(1006)));
                return;
            }
        };
        if tx.send((Instant::now(), e)).is_err() {
            return;
        }
    });
    Ok(Stream { rx })
}
