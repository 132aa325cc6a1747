//! `RelayMessage`: the Durable Object of one inbound message, named by its Twilio SID.
//!
//! Being keyed by the SID makes Twilio's retries land on the same object, which relays once.
//! Every operation runs under one lock (load → step → act → save), so an ACK that arrives
//! while a send is in flight is applied after it, never lost. State is saved before each send
//! and an alarm is always set to the cascade's next due time, so a restart resumes where it
//! was: a send whose outcome was lost is looked up at Twilio before it is made again.

use chrono::{DateTime, Utc};
use futures_util::lock::Mutex;
use qdn_shared::relay::cascade::{Action, AlertKind, Cascade, Event, Phase, World};
use qdn_shared::relay::command::{self, Command};
use qdn_shared::relay::roster::Roster;
use qdn_shared::twilio::SendAnswer;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, State};

use super::Op;
use crate::db::relay as store;

/// The customer's text is cut to this many characters in the relayed SMS.
const RELAYED_BODY_MAX: usize = 1200;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Info {
    sid: String,
    kind: String,
    from: String,
    body: String,
    reference: String,
    job_id: Option<String>,
}

#[durable_object]
pub struct RelayMessage {
    state: State,
    env: Env,
    lock: Mutex<()>,
}

impl DurableObject for RelayMessage {
    fn new(state: State, env: Env) -> Self {
        RelayMessage {
            state,
            env,
            lock: Mutex::new(()),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let op: Op = req.json().await?;
        let _guard = self.lock.lock().await;
        let out = match op {
            Op::Relay { kind, from, body } => self.relay(kind, from, body, &req).await,
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

    async fn world_parts(&self) -> worker::Result<(Roster, Vec<(String, DateTime<Utc>)>)> {
        let (roster, _) = store::roster(&self.env).await?;
        let beats = store::heartbeats(&self.env).await?;
        Ok((roster, beats))
    }

    async fn relay(
        &self,
        kind: String,
        from: String,
        body: String,
        req: &Request,
    ) -> worker::Result<serde_json::Value> {
        if self.load().await?.is_some() {
            return Ok(serde_json::json!({ "duplicate": true }));
        }
        let sid = name_of(req);
        let job_id = store::customer_job(&self.env, &from).await?;
        let reference = store::insert_message(
            &self.env,
            &store::NewMessage {
                message_sid: &sid,
                kind: &kind,
                from_phone: &from,
                body: &body,
                job_id: job_id.as_deref(),
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
                let client = crate::twilio::Client::from_env(&self.env)
                    .map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
                let from = crate::config::company_number(&self.env).unwrap_or_default();
                match client.find_sent(to, &from, &format!("#{}", info.reference)).await {
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
        let (roster, beats) = self.world_parts().await?;
        let heartbeat = |id: &str| beats.iter().find(|(d, _)| d == id).map(|(_, t)| *t);
        let mut events = vec![first];
        let failovers_before = cascade.failovers;
        while let Some(event) = events.pop() {
            let world = World {
                roster: &roster,
                heartbeat: &heartbeat,
                clock: &crate::local_time::Intl,
                now: crate::clock::now(),
            };
            let actions = cascade.step(event, &world);
            self.save(info, cascade).await?;
            for action in actions {
                match action {
                    Action::Send { to, .. } => events.push(self.send(info, &to).await),
                    Action::Alert { kind, detail } => {
                        let (k, what) = match kind {
                            AlertKind::Exhausted => ("exhausted", "cascade exhausted"),
                            AlertKind::Unreachable => ("unreachable", "dispatcher unreachable"),
                        };
                        crate::alerts::raise(
                            &self.env,
                            k,
                            &format!("{what} for #{} from {}: {detail}", info.reference, info.from),
                        )
                        .await;
                    }
                }
            }
        }
        if cascade.failovers > failovers_before {
            let hour_ago = crate::clock::now() - chrono::Duration::hours(1);
            if store::failovers_since(&self.env, hour_ago).await? > 3 {
                crate::alerts::raise(&self.env, "failovers", "more than 3 relay failovers in the last hour").await;
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
        let (state, by) = match &cascade.phase {
            Phase::Acked { by, .. } => ("acked", Some(by.as_str())),
            Phase::Exhausted { .. } => ("exhausted", None),
            _ => ("open", None),
        };
        store::save_progress(&self.env, &info.sid, state, by, cascade.failovers, &cascade.attempts).await
    }

    async fn send(&self, info: &Info, to: &str) -> Event {
        let client = match crate::twilio::Client::from_env(&self.env) {
            Ok(c) => c,
            Err(e) => {
                worker::console_error!("relay: Twilio is not configured: {e:?}");
                return Event::SendFailed { code: None };
            }
        };
        let from = crate::config::company_number(&self.env).unwrap_or_default();
        let callback = format!(
            "{}/sms/delivery-status?m={}",
            crate::config::public_base_url(&self.env),
            info.sid
        );
        match client.send(to, &from, &relay_text(info), Some(&callback)).await {
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
        let client =
            crate::twilio::Client::from_env(&self.env).map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
        let from = crate::config::company_number(&self.env).unwrap_or_default();
        let answer = client.send(&info.from, &from, &text, None).await;
        Ok(serde_json::json!({ "found": true, "sent": matches!(answer, SendAnswer::Sent { .. }) }))
    }

    /// A dispatcher's text, run once per MessageSid.
    async fn command(&self, from: String, body: String) -> worker::Result<serde_json::Value> {
        let storage = self.state.storage();
        if storage.get::<bool>("command_done").await?.unwrap_or(false) {
            return Ok(serde_json::json!({ "duplicate": true }));
        }
        storage.put("command_done", true).await?;
        let (roster, _) = store::roster(&self.env).await?;
        let by = roster
            .by_phone(&from)
            .map(|t| t.dispatcher_id.clone())
            .unwrap_or_else(|| from.clone());
        let cmd = command::parse(&body);
        let target = match &cmd {
            Command::Ack { reference: Some(r) } | Command::Reply { reference: r, .. } => {
                store::by_ref(&self.env, r).await?
            }
            Command::Ack { reference: None } => store::latest_open_for(&self.env, &from).await?,
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
        let out = super::send(&self.env, &target, &op).await?;
        Ok(serde_json::json!({ "target": target, "result": out }))
    }

    /// Tells a dispatcher how to answer: their text was not a command, or named no open relay.
    async fn help(&self, to: &str, understood: bool) {
        let Ok(client) = crate::twilio::Client::from_env(&self.env) else {
            return;
        };
        let from = crate::config::company_number(&self.env).unwrap_or_default();
        let text = if !understood {
            "QDN relay: reply ACK (your latest), ACK #REF, or #REF your message to answer the customer."
        } else {
            "QDN relay: no open relay matches that reference."
        };
        let _ = client.send(to, &from, text, None).await;
    }
}

fn relay_text(info: &Info) -> String {
    let mut body: String = info.body.chars().take(RELAYED_BODY_MAX).collect();
    if info.body.chars().count() > RELAYED_BODY_MAX {
        body.push('…');
    }
    let what = if info.kind == "voicemail" { "Voicemail" } else { "SMS" };
    let job = info.job_id.as_ref().map(|j| format!(" (job {j})")).unwrap_or_default();
    format!(
        "#{r} {what} from {from}{job}: {body}\nReply ACK #{r} to take it, or #{r} <message> to answer.",
        r = info.reference,
        from = info.from
    )
}
