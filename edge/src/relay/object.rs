//! `RelayMessage`: the Durable Object of one inbound message, named by its Twilio SID.
//!
//! Being keyed by the SID makes Twilio's retries land on the same object, which relays once.
//! Every operation runs under one lock (load → step → act → save), so an ACK that arrives
//! while a send is in flight is applied after it, never lost. State is saved before each send
//! and an alarm is always set to the cascade's next due time, so a restart resumes where it
//! was: a send whose outcome was lost is looked up at Twilio before it is made again.

use std::cell::RefCell;

use futures_util::lock::Mutex;
use qdn_shared::notify::SendStatus;
use qdn_shared::relay::cascade::{Action, AlertKind, Cascade, Event, Phase, World};
use qdn_shared::relay::command::{self, Command};
use qdn_shared::relay::message::{MessageKind, MessageState};
use qdn_shared::twilio::SendAnswer;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::{Op, TestFault};

/// How many more ACK-wait alarms the test stack's injected fault fails.
const ACK_WAIT_FAULTS: &str = "test_ack_wait_faults";

/// How long an object keeps its storage once its message is settled: as long as the audit log
/// (`cron.rs`) keeps the message's rows.
const KEPT: chrono::Duration = chrono::Duration::days(crate::cron::AUDIT_DAYS);
use crate::db::messages;
use crate::twilio::{Client, Sender};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Info {
    sid: String,
    kind: MessageKind,
    from: String,
    body: String,
    reference: String,
    job_id: Option<String>,
    /// An MMS's media URLs (saved before this field existed: none).
    #[serde(default)]
    media: Vec<String>,
}

/// A customer's message as `Op::Relay` brings it.
struct Inbound {
    kind: MessageKind,
    from: String,
    body: String,
    media: Vec<String>,
    to: Option<String>,
    job_id: Option<String>,
}

#[durable_object]
pub struct RelayMessage {
    state: State,
    env: Env,
    lock: Mutex<()>,
    /// Made once per object; `Err` says which setting is missing.
    twilio: Result<Client, String>,
    cfg: std::rc::Rc<crate::config::Config>,
    /// Alerts decided under the lock, sent after it is released (a slow webhook must not hold
    /// up an ACK).
    alerts: RefCell<Vec<(AlertKind, String)>>,
}

impl DurableObject for RelayMessage {
    fn new(state: State, env: Env) -> Self {
        let cfg = crate::config::get(&env);
        let twilio = Client::new(&cfg).map_err(|e| format!("{e:?}"));
        RelayMessage {
            state,
            env,
            lock: Mutex::new(()),
            twilio,
            cfg,
            alerts: RefCell::new(Vec::new()),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let op: Op = req.json().await?;
        let guard = self.lock.lock().await;
        let out = match op {
            Op::Relay {
                kind,
                from,
                body,
                media,
                to,
                job_id,
                fault,
            } => {
                let m = Inbound {
                    kind,
                    from,
                    body,
                    media,
                    to,
                    job_id,
                };
                self.relay(m, fault, &req).await
            }
            Op::Command { from, body } => self.command(from, body).await,
            Op::Ack { by } => self
                .event(Event::Ack { by })
                .await
                .map(|done| serde_json::json!({ "acked": done })),
            Op::Reply { by, text } => self.reply(by, text).await,
            Op::Delivery { sid, status, code } => self
                .event(Event::Delivery { sid, status, code })
                .await
                .map(|_| serde_json::json!({ "ok": true })),
        };
        drop(guard);
        self.raise_alerts().await;
        match out {
            Ok(v) => Response::from_json(&v),
            Err(e) => {
                worker::console_error!("relay object: {e}");
                Ok(Response::error("relay object failed", 500)?)
            }
        }
    }

    /// A failure throws, so the runtime retries the alarm (every step is idempotent: the state
    /// is saved before each send, and a send in doubt is looked up before it is made again).
    async fn alarm(&self) -> worker::Result<Response> {
        let guard = self.lock.lock().await;
        let out = self.on_alarm().await;
        drop(guard);
        self.raise_alerts().await;
        if let Err(e) = &out {
            worker::console_error!("relay alarm (the runtime retries it): {e}");
        }
        out.and_then(|_| Response::ok(""))
    }
}

fn name_of(req: &Request) -> String {
    req.path().trim_start_matches('/').to_string()
}

impl RelayMessage {
    async fn load(&self) -> worker::Result<Option<(Info, Cascade)>> {
        let storage = self.state.storage();
        let info: Option<Info> = storage.get("info").await?;
        let cascade: Option<Cascade> = storage.get("cascade").await?;
        Ok(info.zip(cascade))
    }

    /// The test stack's D1 outage during the ACK wait: the alarm fails, so the runtime retries it.
    async fn injected_ack_wait_fault(&self) -> worker::Result<()> {
        let storage = self.state.storage();
        let left: u32 = storage.get(ACK_WAIT_FAULTS).await?.unwrap_or(0);
        if left == 0 {
            return Ok(());
        }
        storage.put(ACK_WAIT_FAULTS, left - 1).await?;
        Err(worker::Error::RustError(
            "injected D1 failure during the ACK wait (QDN_TEST_FAULTS)".into(),
        ))
    }

    async fn raise_alerts(&self) {
        let pending = std::mem::take(&mut *self.alerts.borrow_mut());
        for (kind, text) in pending {
            crate::alerts::raise(&self.env, kind, &text).await;
        }
    }

    fn twilio(&self) -> worker::Result<&Client> {
        self.twilio
            .as_ref()
            .map_err(|e| worker::Error::RustError(format!("Twilio is not configured: {e}")))
    }

    /// The route of every text to dispatchers: the Messaging Service when configured, else the
    /// company number (a missing one shows as Twilio's refusal, and the cascade's alert).
    fn sender(&self) -> Sender<'_> {
        Sender::primary(&self.cfg).unwrap_or(Sender::From(""))
    }

    async fn relay(&self, m: Inbound, fault: Option<TestFault>, req: &Request) -> worker::Result<serde_json::Value> {
        if self.load().await?.is_some() {
            return Ok(serde_json::json!({ "duplicate": true }));
        }
        let sid = name_of(req);
        let job_id = match m.job_id {
            Some(fixed) => Some(fixed),
            None => crate::db::jobs::open_for_customer(&self.env, &m.from).await?,
        };
        // The job's own dispatcher is tried first: they know the customer.
        let assigned = match &job_id {
            Some(id) => crate::db::jobs::get(&self.env, id)
                .await?
                .and_then(|j| j.details.dispatcher_id),
            None => None,
        };
        let reference = messages::insert(
            &self.env,
            &messages::NewMessage {
                message_sid: &sid,
                kind: m.kind,
                from_phone: &m.from,
                to_phone: m.to.as_deref(),
                body: &m.body,
                job_id: job_id.as_deref(),
                media: &m.media,
            },
        )
        .await?;
        let info = Info {
            sid,
            kind: m.kind,
            from: m.from,
            body: m.body,
            reference,
            job_id,
            media: m.media,
        };
        let fault = fault.filter(|_| crate::config::get(&self.env).test_faults);
        if fault == Some(TestFault::Storage) {
            return Err(worker::Error::RustError(
                "injected storage fault (QDN_TEST_FAULTS)".into(),
            ));
        }
        let storage = self.state.storage();
        if fault == Some(TestFault::AckWaitAlarm) {
            storage.put(ACK_WAIT_FAULTS, 2u32).await?;
        }
        storage.put("info", &info).await?;
        storage.put("cascade", &Cascade::for_dispatcher(assigned)).await?;
        // Stored: Twilio may have its 200 now. The cascade starts from the alarm, so a send
        // never holds up the webhook, and a crash before it runs only delays it.
        storage.set_alarm(crate::clock::now()).await?;
        Ok(serde_json::json!({ "relayed": true, "ref": info.reference }))
    }

    /// Applies one event to a stored cascade. Returns whether it is acknowledged now.
    async fn event(&self, event: Event) -> worker::Result<bool> {
        let Some((info, mut cascade)) = self.load().await? else {
            return Ok(false);
        };
        self.run(&info, &mut cascade, event).await?;
        Ok(matches!(cascade.phase, Phase::Acked { .. }))
    }

    async fn on_alarm(&self) -> worker::Result<()> {
        let Some((info, mut cascade)) = self.load().await? else {
            // A dispatcher's command, kept to answer Twilio's retries: its time is up.
            return self.state.storage().delete_all().await;
        };
        if cascade.state() != MessageState::Open {
            return self.state.storage().delete_all().await;
        }
        if matches!(cascade.phase, Phase::AwaitingAck { .. }) {
            self.injected_ack_wait_fault().await?;
        }
        let event = match &cascade.phase {
            // The outcome of a send was lost (a restart): ask Twilio before sending again.
            Phase::Sending { to, .. } if cascade.due().is_some_and(|d| crate::clock::now() >= d) => {
                match self.twilio()?.find_sent(to, self.sender(), &info.reference).await {
                    Some(Some(sid)) => Event::Sent { sid },
                    Some(None) => Event::SendLost,
                    None => Event::LookupFailed, // Twilio unreachable: ask again later
                }
            }
            Phase::New => Event::Start,
            _ => Event::Timer,
        };
        self.run(&info, &mut cascade, event).await
    }

    /// Steps the cascade and performs what it decides until only waiting is left; saves before
    /// every send and sets the alarm for the next due time.
    async fn run(&self, info: &Info, cascade: &mut Cascade, first: Event) -> worker::Result<()> {
        let (roster, _) = crate::db::roster::get(&self.env).await?;
        let heartbeats = crate::db::roster::heartbeats(&self.env).await?;
        let mut events = vec![first];
        let failovers_before = cascade.failovers;
        while let Some(event) = events.pop() {
            let world = World {
                roster: &roster,
                heartbeats: &heartbeats,
                clock: &qdn_intl::Intl,
                now: crate::clock::now(),
            };
            let actions = cascade.step(event, &world);
            self.save(info, cascade).await?;
            for action in actions {
                match action {
                    Action::Send { to, .. } => events.push(self.text_tier(info, &to).await),
                    Action::Alert { kind, detail } => {
                        let what = match kind {
                            AlertKind::Unreachable => "dispatcher unreachable",
                            AlertKind::NoneEligible => "no dispatcher eligible",
                            AlertKind::TwilioLookup => "send in doubt",
                            _ => "cascade exhausted",
                        };
                        self.alerts.borrow_mut().push((
                            kind,
                            format!("{what} for #{} from {}: {detail}", info.reference, info.from),
                        ));
                    }
                }
            }
        }
        if cascade.failovers > failovers_before {
            self.check_failover_rate(&roster).await?;
        }
        Ok(())
    }

    /// Alerts, once per clock hour, when the primary tier failed over more than
    /// `ALERT_FAILOVER_THRESHOLD` times in the last 60 minutes.
    async fn check_failover_rate(&self, roster: &qdn_shared::relay::roster::Roster) -> worker::Result<()> {
        let Some(primary) = roster.tiers.first() else {
            return Ok(());
        };
        let threshold = crate::config::get(&self.env).alert_failover_threshold;
        let hour_ago = crate::clock::now() - chrono::Duration::hours(1);
        let n = messages::failovers_since(&self.env, &primary.dispatcher_id, hour_ago).await?;
        if n > threshold {
            let text = format!(
                "the primary tier ({}) failed over {n} times in the last hour (threshold {threshold})",
                primary.dispatcher_id
            );
            crate::alerts::raise_once_this_hour(&self.env, AlertKind::Failovers, &text).await;
        }
        Ok(())
    }

    /// Persists the cascade and arms the alarm for its next due time, before anything is sent.
    async fn save(&self, info: &Info, cascade: &Cascade) -> worker::Result<()> {
        let storage = self.state.storage();
        storage.put("cascade", cascade).await?;
        // Once settled, the alarm is the object's end: its storage goes with the audit log's rows.
        storage
            .set_alarm(cascade.due().unwrap_or_else(|| crate::clock::now() + KEPT))
            .await?;
        let by = match &cascade.phase {
            Phase::Acked { by, .. } => Some(by.as_str()),
            _ => None,
        };
        messages::save_progress(
            &self.env,
            &info.sid,
            cascade.state(),
            by,
            cascade.failovers,
            &cascade.attempts,
        )
        .await
    }

    /// Texts the customer's message to a tier's phone.
    async fn text_tier(&self, info: &Info, to: &str) -> Event {
        let client = match self.twilio() {
            Ok(c) => c,
            Err(e) => {
                worker::console_error!("relay: {e}");
                return Event::SendFailed { code: None };
            }
        };
        let callback = format!(
            "{}/sms/delivery-status?m={}",
            crate::config::get(&self.env).public_base_url,
            info.sid
        );
        let job = match &info.job_id {
            // The text goes without its context rather than not at all.
            Some(id) => super::context::of_job(&self.env, id).await.unwrap_or_else(|e| {
                worker::console_error!("relay: the job's context could not be read: {e}");
                None
            }),
            None => None,
        };
        let context = job.as_ref().map(|(j, eta_min)| command::JobContext {
            customer_name: command::name_for(&j.customer_name, &j.customer_phone, &info.from),
            job_id: &j.job_id,
            status: j.status,
            eta_min: *eta_min,
        });
        let text = command::relayed_text(&info.reference, info.kind, &info.from, context.as_ref(), &info.body);
        match client.send_sms(to, self.sender(), &text, Some(&callback)).await {
            SendAnswer::Sent { sid } => Event::Sent { sid },
            SendAnswer::Unreachable { code } => Event::Unreachable { code },
            SendAnswer::Failed { code } => Event::SendFailed { code },
        }
    }

    /// A dispatcher's `#REF text`: acknowledges, and the text goes to the customer.
    async fn reply(&self, by: String, text: String) -> worker::Result<serde_json::Value> {
        let Some((info, mut cascade)) = self.load().await? else {
            return Ok(serde_json::json!({ "found": false }));
        };
        self.run(&info, &mut cascade, Event::Ack { by: by.clone() }).await?;
        // From the company number, then the backup numbers; in the job's thread, stamped with
        // who answered.
        let out = crate::notify::Outgoing {
            job_id: info.job_id.as_deref(),
            to: &info.from,
            body: &text,
            dispatcher_id: Some(&by),
            source: qdn_shared::relay::thread::Source::Reply,
        };
        let attempts = crate::notify::send(&self.env, &out)
            .await
            .map_err(|e| worker::Error::RustError(format!("{e:?}")))?
            .attempts;
        let sent = attempts.iter().any(|a| a.status == SendStatus::Sent);
        Ok(serde_json::json!({ "found": true, "sent": sent, "ref": info.reference, "to": info.from }))
    }

    /// A dispatcher's text, run once per MessageSid.
    async fn command(&self, from: String, body: String) -> worker::Result<serde_json::Value> {
        let storage = self.state.storage();
        if storage.get::<bool>("command_done").await?.unwrap_or(false) {
            return Ok(serde_json::json!({ "duplicate": true }));
        }
        let out = self.run_command(&from, &body).await?;
        // Marked done only once it ran: a failure is a 5xx, and Twilio's retry runs it again
        // (an ACK is idempotent; a reply may reach the customer twice rather than never).
        storage.put("command_done", true).await?;
        storage.set_alarm(crate::clock::now() + KEPT).await?;
        Ok(out)
    }

    async fn run_command(&self, from: &str, body: &str) -> worker::Result<serde_json::Value> {
        let from = from.to_string();
        let (roster, _) = crate::db::roster::get(&self.env).await?;
        let by = roster
            .by_phone(&from)
            .map(|t| t.dispatcher_id.clone())
            .unwrap_or_else(|| from.clone());
        let cmd = command::parse(body);
        let target = match &cmd {
            Command::Ack { reference: Some(r) } | Command::Reply { reference: r, .. } => {
                messages::by_ref(&self.env, r).await?
            }
            Command::Ack { reference: None } => messages::latest_open_for(&self.env, &from).await?,
            Command::Unknown => None,
        };
        let understood = !matches!(cmd, Command::Unknown);
        let op = match (cmd, &target) {
            (Command::Reply { text, .. }, Some(_)) => Op::Reply { by, text },
            (Command::Ack { .. }, Some(_)) => Op::Ack { by },
            _ => {
                self.help(&from, understood).await;
                return Ok(serde_json::json!({ "understood": understood, "found": false }));
            }
        };
        let target = target.expect("matched Some above");
        let out = super::tell(&self.env, &target, &op).await?;
        if out["sent"] == false {
            // Every sender number failed: the dispatcher must not believe the customer has it.
            let text = command::reply_failed(
                out["ref"].as_str().unwrap_or_default(),
                out["to"].as_str().unwrap_or_default(),
            );
            worker::console_error!("relay: a dispatcher's reply could not be sent; telling them");
            let _ = self.twilio()?.send_sms(&from, self.sender(), &text, None).await;
        }
        Ok(serde_json::json!({ "target": target, "result": out }))
    }

    /// Tells a dispatcher how to answer: their text was not a command, or named no open relay.
    async fn help(&self, to: &str, understood: bool) {
        let Ok(client) = self.twilio() else {
            return;
        };
        let text = if understood {
            command::NO_SUCH_RELAY
        } else {
            command::HELP
        };
        let _ = client.send_sms(to, self.sender(), text, None).await;
    }
}
