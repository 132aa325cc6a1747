//! `LiveJob`: the Durable Object that fans one job's location view out to its open pages.
//!
//! Pages connect with a WebSocket, which the object accepts with the hibernation API: between
//! fixes it can be evicted from memory while the sockets stay open, so a page left open all day
//! costs nothing but the pushes (BENCHMARKS.md § Live updates says what a viewer costs).
//! Server-sent events are served too (clients without WebSocket, `curl`); each keeps the object
//! in memory while it is open.
//!
//! A publish is answered at once; the view is rebuilt from D1 and sent after. Publishes that
//! arrive while a view is being built are coalesced into one more build, and views go out in
//! the order they were built, so a page never steps back to an older view.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_channel::mpsc::{unbounded, UnboundedSender};
use futures_util::lock::Mutex;
use qdn_shared::token::Claims;
use worker::{
    durable_object, DurableObject, Env, Request, Response, State, WebSocket, WebSocketIncomingMessage, WebSocketPair,
};

use crate::error::{AppError, AppResult};

/// WebSocket close codes: 4000 + the HTTP status `/location` would answer now, with its error
/// code as the reason, so the page can tell a withdrawn link from a broken connection.
const CLOSE_OFFSET: u16 = 4000;

#[durable_object]
pub struct LiveJob {
    inner: Rc<Inner>,
}

struct Inner {
    state: State,
    env: Env,
    /// Held while a view is built and sent: views go out in order.
    lock: Mutex<()>,
    /// Publishes received, and the count the last built view covers.
    requested: Cell<u64>,
    built: Cell<u64>,
    /// The last view sent, while no publish came after it: greets a new viewer without D1.
    last: RefCell<Option<Rc<Vec<u8>>>>,
    /// Open server-sent-event streams (not hibernatable, unlike the sockets).
    streams: RefCell<Vec<Sse>>,
}

struct Sse {
    claims: Claims,
    tx: UnboundedSender<Result<Vec<u8>, worker::Error>>,
}

impl DurableObject for LiveJob {
    fn new(state: State, env: Env) -> Self {
        LiveJob {
            inner: Rc::new(Inner {
                state,
                env,
                lock: Mutex::new(()),
                requested: Cell::new(0),
                built: Cell::new(0),
                last: RefCell::new(None),
                streams: RefCell::new(Vec::new()),
            }),
        }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let path = req.path();
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let out = match segs.as_slice() {
            ["publish", job_id] => {
                self.inner.last.replace(None);
                self.inner.requested.set(self.inner.requested.get() + 1);
                let (inner, job_id) = (self.inner.clone(), job_id.to_string());
                self.inner.state.wait_until(async move {
                    if let Err(e) = inner.broadcast(&job_id).await {
                        worker::console_warn!("live: sending {job_id}'s view failed: {e:?}");
                    }
                });
                Ok(Response::empty()?.with_status(202))
            }
            ["connect", job_id] => self.inner.connect(&req, job_id).await,
            _ => Err(AppError::not_found()),
        };
        Ok(out.unwrap_or_else(AppError::into_response))
    }

    async fn websocket_message(&self, _ws: WebSocket, _message: WebSocketIncomingMessage) -> worker::Result<()> {
        // Pages only listen; their keep-alive pings are answered by the runtime's auto-response.
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> worker::Result<()> {
        // Completes the closing handshake (the page may have gone; nothing to do if so).
        let _ = ws.close(Some(1000), Some("bye"));
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        Ok(())
    }
}

impl Inner {
    /// A new viewer: the view now, then every new one.
    async fn connect(&self, req: &Request, job_id: &str) -> AppResult<Response> {
        let claims: Claims = crate::http::header(req, super::CLAIMS_HEADER)
            .and_then(|c| serde_json::from_str(&c).ok())
            .ok_or_else(|| AppError::Internal("a live connection came without claims".into()))?;
        let view = self.current(job_id).await?;
        if crate::http::header(req, "Upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
            let pair = WebSocketPair::new()?;
            self.state.accept_web_socket(&pair.server);
            if let Ok(pair) = worker::worker_sys::WebSocketRequestResponsePair::new("ping", "pong") {
                self.state.set_websocket_auto_response(&pair);
            }
            pair.server.serialize_attachment(&claims)?;
            pair.server.send_with_str(String::from_utf8_lossy(&view)).ok();
            return Ok(Response::from_websocket(pair.client)?);
        }
        let (tx, rx) = unbounded();
        let _ = tx.unbounded_send(Ok(b"retry: 3000\n\n".to_vec()));
        let _ = tx.unbounded_send(Ok(event(&view)));
        self.streams.borrow_mut().push(Sse { claims, tx });
        let mut resp = Response::from_stream(rx)?;
        let h = resp.headers_mut();
        h.set("Content-Type", "text/event-stream; charset=utf-8")?;
        h.set("Cache-Control", "no-store")?;
        Ok(resp)
    }

    /// The view as last sent, or built now.
    async fn current(&self, job_id: &str) -> AppResult<Rc<Vec<u8>>> {
        if let Some(v) = self.last.borrow().clone() {
            return Ok(v);
        }
        let seen = self.requested.get();
        let v = Rc::new(self.build(job_id).await?);
        if self.requested.get() == seen {
            self.last.replace(Some(v.clone()));
        }
        Ok(v)
    }

    async fn build(&self, job_id: &str) -> AppResult<Vec<u8>> {
        // This isolate's caches may predate the change being published.
        crate::cache::job_changed(job_id);
        Ok(crate::handlers::jobs::location::build(&self.env, job_id).await?.body)
    }

    /// Builds the view once for every publish received so far and sends it to each viewer whose
    /// token still holds (revoked or expired: closed with the reason, and sent nothing).
    async fn broadcast(&self, job_id: &str) -> AppResult<()> {
        let mine = self.requested.get();
        let sockets = self.state.get_websockets();
        if sockets.is_empty() && self.streams.borrow().is_empty() {
            return Ok(());
        }
        let _guard = self.lock.lock().await;
        if self.built.get() >= mine {
            return Ok(()); // a build that started after this publish has sent its view
        }
        let covers = self.requested.get();
        let view = Rc::new(self.build(job_id).await?);
        self.built.set(covers);
        if self.requested.get() == covers {
            self.last.replace(Some(view.clone()));
        }
        crate::revocations::refresh(&self.env).await;
        let now = crate::clock::now().timestamp();
        let finished =
            serde_json::from_slice::<qdn_shared::view::LocationView>(&view).is_ok_and(|v| v.status.is_final());
        let text = String::from_utf8_lossy(&view);
        for ws in self.state.get_websockets() {
            let refusal = match ws.deserialize_attachment::<Claims>() {
                Ok(Some(claims)) => refusal(&claims, now),
                _ => Some((CLOSE_OFFSET + 401, "token_invalid")),
            };
            match refusal {
                Some((code, reason)) => {
                    let _ = ws.close(Some(code), Some(reason));
                }
                None => {
                    let _ = ws.send_with_str(&text);
                    if finished {
                        let _ = ws.close(Some(1000), Some("job_finished"));
                    }
                }
            }
        }
        let data = event(&view);
        self.streams.borrow_mut().retain(|s| {
            if let Some((code, reason)) = refusal(&s.claims, now) {
                let body = format!(
                    "event: refused\ndata: {{\"error\":\"{reason}\",\"status\":{}}}\n\n",
                    code - CLOSE_OFFSET
                );
                let _ = s.tx.unbounded_send(Ok(body.into_bytes()));
                return false;
            }
            s.tx.unbounded_send(Ok(data.clone())).is_ok() && !finished
        });
        Ok(())
    }
}

/// Why a viewer may no longer see the job: a close code and the error `/location` would give.
fn refusal(claims: &Claims, now_s: i64) -> Option<(u16, &'static str)> {
    if claims.exp <= now_s {
        return Some((CLOSE_OFFSET + 401, "token_expired"));
    }
    match crate::revocations::check(claims) {
        Ok(()) => None,
        Err(AppError::Client { status, code, .. }) => Some((CLOSE_OFFSET + status, code)),
        // The list could not be loaded: fail closed; the page reconnects through the Worker.
        Err(_) => Some((1011, "unavailable")),
    }
}

fn event(view: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(view.len() + 8);
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(view);
    out.extend_from_slice(b"\n\n");
    out
}
