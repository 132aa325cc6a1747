//! `RelayMessage`: the Durable Object of one inbound message, named by its Twilio SID.
//!
//! Being keyed by the SID makes Twilio's retries land on the same object, which relays once.
//! Every operation runs under one lock (load → step → act → save), so an ACK that arrives
//! while a send is in flight is applied after it, never lost. State is saved before each send
//! and an alarm is always set to the cascade's next due time, so a restart resumes where it
//! was: a send whose outcome was lost is looked up at Twilio before it is made again.

use futures_util::lock::Mutex;
use qdn_shared::relay::cascade::{Action, AlertKind, Cascade, Event, Phase, World};
use qdn_shared::relay::command::{self, Command};
use qdn_shared::relay::message::MessageKind;
use qdn_shared::twilio::SendAnswer;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::Op;
use crate::db::messages;
use crate::twilio::Client;

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

#[durable_object]
pub struct RelayMessage {
    state: State,
    env: Env,
    lock: Mutex<()>,
    /// Made once per object; `Err` says which setting is missing.
    twilio: Result<Client, String>,
}

impl DurableObject for RelayMessage {
    fn new(state: State, env: Env) -> Self {
        let twilio = Client::new(&crate::config::get(&env)).map_err(|e| format!("{e:?}"));
        RelayMessage {
            state,
            env,
            lock: Mutex::new(()),
            twilio,
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let op: Op = req.json().await?;
        let _guard = self.lock.lock().await;
        let out = match op {
            Op::Relay {
                kind,
                from,
                body,
                media,
            } => self.relay(kind, from, body, media, &req).await,
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
        match out {
            Ok(v) => Response::from_json(&v),
            Err(e) => {
                worker::console_error!("relay object: {e}");
                Ok(Response::error("relay object failed", 500)?)
            }
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let _guard = self.lock.lock().await;
        if let Err(e) = self.on_alarm().await {
            worker::console_error!("relay alarm: {e}");
        }
        Response::ok("")
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

    fn twilio(&self) -> worker::Result<&Client> {
        self.twilio
            .as_ref()
            .map_err(|e| worker::Error::RustError(format!("Twilio is not configured: {e}")))
    }

    fn company_number(&self) -> String {
        crate::config::get(&self.env).company_number.clone().unwrap_or_default()
    }

    async fn relay(
        &self,
        kind: MessageKind,
        from: String,
        body: String,
        media: Vec<String>,
        req: &Request,
    ) -> worker::Result<serde_json::Value> {
        if self.load().await?.is_some() {
            return Ok(serde_json::json!({ "duplicate": true }));
        }
        let sid = name_of(req);
        let job_id = crate::db::jobs::open_for_customer(&self.env, &from).await?;
        let reference = messages::insert(
            &self.env,
            &messages::NewMessage {
                message_sid: &sid,
                kind,
                from_phone: &from,
                body: &body,
                job_id: job_id.as_deref(),
                media: &media,
            },
        )
        .await?;
        let info = Info {
            sid,
            kind,
            from,
            body,
            reference,
            job_id,
            media,
        };
        let mut cascade = Cascade::default();
        self.state.storage().put("info", &info).await?;
        self.state.storage().put("cascade", &cascade).await?;
        // Should the object stop right here, the alarm starts the cascade.
        self.state
            .storage()
            .set_alarm(crate::clock::now() + chrono::Duration::seconds(5))
            .await?;
        self.run(&info, &mut cascade, Event::Start).await?;
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
            return Ok(());
        };
        let event = match &cascade.phase {
            // The outcome of a send was lost (a restart): ask Twilio before sending again.
            Phase::Sending { to, since, .. }
                if crate::clock::now()
                    >= *since + chrono::Duration::seconds(qdn_shared::relay::cascade::SEND_STUCK_S) =>
            {
                match self
                    .twilio()?
                    .find_sent(to, &self.company_number(), &format!("#{}", info.reference))
                    .await
                {
                    Some(Some(sid)) => Event::Sent { sid },
                    Some(None) => Event::SendLost,
                    None => Event::Timer, // Twilio unreachable: keep waiting
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
                clock: &crate::local_time::Intl,
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
                            _ => "cascade exhausted",
                        };
                        crate::alerts::raise(
                            &self.env,
                            kind,
                            &format!("{what} for #{} from {}: {detail}", info.reference, info.from),
                        )
                        .await;
                    }
                }
            }
        }
        if cascade.failovers > failovers_before {
            let hour_ago = crate::clock::now() - chrono::Duration::hours(1);
            if messages::failovers_since(&self.env, hour_ago).await? > 3 {
                crate::alerts::raise(
                    &self.env,
                    AlertKind::Failovers,
                    "more than 3 relay failovers in the last hour",
                )
                .await;
            }
        }
        Ok(())
    }

    /// Persists the cascade and arms the alarm for its next due time, before anything is sent.
    async fn save(&self, info: &Info, cascade: &Cascade) -> worker::Result<()> {
        let storage = self.state.storage();
        storage.put("cascade", cascade).await?;
        match cascade.due() {
            Some(at) => storage.set_alarm(at).await?,
            None => storage.delete_alarm().await?,
        }
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
        let text = command::relayed_text(
            &info.reference,
            info.kind,
            &info.from,
            info.job_id.as_deref(),
            &info.body,
        );
        match client
            .send_sms(to, &self.company_number(), &text, Some(&callback))
            .await
        {
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
        self.run(&info, &mut cascade, Event::Ack { by }).await?;
        let answer = self
            .twilio()?
            .send_sms(&info.from, &self.company_number(), &text, None)
            .await;
        Ok(serde_json::json!({ "found": true, "sent": matches!(answer, SendAnswer::Sent { .. }) }))
    }

    /// A dispatcher's text, run once per MessageSid.
    async fn command(&self, from: String, body: String) -> worker::Result<serde_json::Value> {
        let storage = self.state.storage();
        if storage.get::<bool>("command_done").await?.unwrap_or(false) {
            return Ok(serde_json::json!({ "duplicate": true }));
        }
        storage.put("command_done", true).await?;
        let (roster, _) = crate::db::roster::get(&self.env).await?;
        let by = roster
            .by_phone(&from)
            .map(|t| t.dispatcher_id.clone())
            .unwrap_or_else(|| from.clone());
        let cmd = command::parse(&body);
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
        let _ = client.send_sms(to, &self.company_number(), text, None).await;
    }
}
