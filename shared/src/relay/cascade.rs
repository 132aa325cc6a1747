//! One relayed message's cascade: a pure state machine. The Worker feeds it events (the start,
//! Twilio's answers and callbacks, acknowledgements, timers) and performs what it decides.
//!
//! Guarantees (property-tested below): it never sends to a tier twice in a round, it always
//! terminates (each send uses up a tier), and once acknowledged it never sends again, even
//! when a timer that was already due fires afterwards.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use super::alert::AlertKind;
use super::message::{DeliveryStatus, MessageState};
use super::roster::{eligibility, Heartbeats, LocalTime, Roster};

/// A send with no answer for this long is presumed lost (the Worker restarted mid-send).
pub const SEND_STUCK_S: i64 = 60;
/// Failed "was it sent?" look-ups at Twilio before the send is taken as failed.
pub const MAX_LOOKUPS: u32 = 5;

/// The wait before look-up `n` (1-based) after a failed one: 30 s, 60 s, ... at most 10 min.
fn lookup_backoff(n: u32) -> Duration {
    Duration::seconds((30i64 << n.saturating_sub(1).min(5)).min(600))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    New,
    /// A send to this tier is under way (persisted before the request goes out).
    Sending {
        dispatcher_id: String,
        to: String,
        since: DateTime<Utc>,
        /// Failed look-ups at Twilio of whether this send went out, and when to ask again.
        #[serde(default)]
        lookups: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_lookup: Option<DateTime<Utc>>,
    },
    /// Sent; waiting for an ACK until `until`.
    AwaitingAck {
        dispatcher_id: String,
        sid: Option<String>,
        until: DateTime<Utc>,
    },
    /// Waiting before the next tier.
    Backoff {
        until: DateTime<Utc>,
    },
    Acked {
        by: String,
        at: DateTime<Utc>,
    },
    Exhausted {
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Sending,
    Sent,
    Delivered,
    Failed,
    Undelivered,
    Unreachable,
    NoAck,
    Acked,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Sending => "sending",
            Outcome::Sent => "sent",
            Outcome::Delivered => "delivered",
            Outcome::Failed => "failed",
            Outcome::Undelivered => "undelivered",
            Outcome::Unreachable => "unreachable",
            Outcome::NoAck => "no_ack",
            Outcome::Acked => "acked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub n: u32,
    pub dispatcher_id: String,
    pub to: String,
    pub at: DateTime<Utc>,
    pub sid: Option<String>,
    pub outcome: Outcome,
    pub error_code: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cascade {
    pub phase: Phase,
    /// Phones sent to in this round: a person is tried once, whatever the roster's edits.
    pub tried: Vec<String>,
    pub failovers: u32,
    pub attempts: Vec<Attempt>,
    /// The job's assigned dispatcher: tried first when eligible, then the roster in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Start,
    /// Twilio accepted the send.
    Sent {
        sid: String,
    },
    /// Twilio refused, was overloaded, or did not answer in time: next tier after backoff.
    SendFailed {
        code: Option<u32>,
    },
    /// The recipient cannot get texts (opted out, landline): next tier at once, and alert.
    Unreachable {
        code: u32,
    },
    /// The send's outcome is unknown (the Worker restarted mid-send) and Twilio has no record
    /// of it: it never went out, so it is made again.
    SendLost,
    /// Asking Twilio whether the send went out failed (Twilio unreachable): ask again later,
    /// and after [`MAX_LOOKUPS`] take the send as failed.
    LookupFailed,
    /// A status callback for one of our sends.
    Delivery {
        sid: String,
        status: DeliveryStatus,
        code: Option<u32>,
    },
    Ack {
        by: String,
    },
    Timer,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Send { dispatcher_id: String, to: String },
    Alert { kind: AlertKind, detail: String },
}

impl Default for Cascade {
    fn default() -> Self {
        Cascade {
            phase: Phase::New,
            tried: Vec::new(),
            failovers: 0,
            attempts: Vec::new(),
            assigned: None,
        }
    }
}

/// What the cascade needs to know about the dispatchers now.
pub struct World<'a> {
    pub roster: &'a Roster,
    pub heartbeats: &'a Heartbeats,
    pub clock: &'a dyn LocalTime,
    pub now: DateTime<Utc>,
}

impl Cascade {
    /// A cascade that tries `assigned` (a roster `dispatcher_id`, the job's dispatcher) first.
    pub fn for_dispatcher(assigned: Option<String>) -> Cascade {
        Cascade {
            assigned,
            ..Cascade::default()
        }
    }

    /// The message's state as the audit log and the status endpoint show it.
    pub fn state(&self) -> MessageState {
        match self.phase {
            Phase::Acked { .. } => MessageState::Acked,
            Phase::Exhausted { .. } => MessageState::Exhausted,
            _ => MessageState::Open,
        }
    }

    /// When the cascade next needs [`Event::Timer`], if ever: the caller keeps one alarm set
    /// to this after every step.
    pub fn due(&self) -> Option<DateTime<Utc>> {
        match &self.phase {
            Phase::Sending { since, next_lookup, .. } => {
                Some(next_lookup.unwrap_or(*since + Duration::seconds(SEND_STUCK_S)))
            }
            Phase::AwaitingAck { until, .. } | Phase::Backoff { until } => Some(*until),
            _ => None,
        }
    }

    pub fn step(&mut self, event: Event, w: &World) -> Vec<Action> {
        let mut actions = Vec::new();
        match event {
            Event::Start => {
                if self.phase == Phase::New {
                    self.next_tier(w, &mut actions);
                }
            }
            Event::Sent { sid } => self.on_sent(sid, w),
            Event::SendFailed { code } => {
                if let Some(a) = self.current_sending_attempt() {
                    a.outcome = Outcome::Failed;
                    a.error_code = code;
                }
                if matches!(self.phase, Phase::Sending { .. }) {
                    self.back_off(w);
                }
            }
            Event::Unreachable { code } => self.on_unreachable(code, w, &mut actions),
            Event::SendLost => {
                if let Phase::Sending { dispatcher_id, to, .. } = self.phase.clone() {
                    if let Some(a) = self.current_sending_attempt() {
                        a.outcome = Outcome::Failed;
                    }
                    self.send(dispatcher_id, to, w, &mut actions);
                }
            }
            Event::LookupFailed => self.on_lookup_failed(w, &mut actions),
            Event::Delivery { sid, status, code } => self.on_delivery(&sid, status, code, w, &mut actions),
            Event::Ack { by } => {
                if !matches!(self.phase, Phase::Acked { .. }) {
                    if let Some(a) = self.attempts.iter_mut().rev().find(|a| a.dispatcher_id == by) {
                        a.outcome = Outcome::Acked;
                    }
                    self.phase = Phase::Acked { by, at: w.now };
                }
            }
            Event::Timer => self.on_timer(w, &mut actions),
        }
        actions
    }

    fn on_sent(&mut self, sid: String, w: &World) {
        if let Some(a) = self.current_sending_attempt() {
            a.outcome = Outcome::Sent;
            a.sid = Some(sid.clone());
        }
        if let Phase::Sending { dispatcher_id, .. } = &self.phase {
            let until = w.now + Duration::seconds(w.roster.ack_timeout_s as i64);
            self.phase = Phase::AwaitingAck {
                dispatcher_id: dispatcher_id.clone(),
                sid: Some(sid),
                until,
            };
        }
    }

    fn on_lookup_failed(&mut self, w: &World, actions: &mut Vec<Action>) {
        let Phase::Sending {
            dispatcher_id,
            to,
            lookups,
            next_lookup,
            ..
        } = &mut self.phase
        else {
            return;
        };
        *lookups += 1;
        if *lookups < MAX_LOOKUPS {
            *next_lookup = Some(w.now + lookup_backoff(*lookups));
            return;
        }
        actions.push(Action::Alert {
            kind: AlertKind::TwilioLookup,
            detail: format!(
                "could not learn from Twilio whether the text to {dispatcher_id} ({to}) went out; moving on"
            ),
        });
        if let Some(a) = self.current_sending_attempt() {
            a.outcome = Outcome::Failed;
        }
        self.back_off(w);
    }

    fn on_unreachable(&mut self, code: u32, w: &World, actions: &mut Vec<Action>) {
        if let Some(a) = self.current_sending_attempt() {
            a.outcome = Outcome::Unreachable;
            a.error_code = Some(code);
        }
        if let Phase::Sending { dispatcher_id, to, .. } = &self.phase {
            actions.push(Action::Alert {
                kind: AlertKind::Unreachable,
                detail: format!("{dispatcher_id} ({to}) cannot receive texts (Twilio error {code}); skipped"),
            });
            self.failovers += 1;
            self.next_tier(w, actions);
        }
    }

    fn on_delivery(
        &mut self,
        sid: &str,
        status: DeliveryStatus,
        code: Option<u32>,
        w: &World,
        actions: &mut Vec<Action>,
    ) {
        let failed = status.is_failure();
        if let Some(a) = self.attempts.iter_mut().find(|a| a.sid.as_deref() == Some(sid)) {
            match status {
                DeliveryStatus::Delivered if a.outcome == Outcome::Sent => a.outcome = Outcome::Delivered,
                DeliveryStatus::Failed => a.outcome = Outcome::Failed,
                DeliveryStatus::Undelivered => a.outcome = Outcome::Undelivered,
                _ => {}
            }
            if failed {
                a.error_code = code.or(a.error_code);
            }
        }
        // The current tier's text did not arrive: escalate at once.
        if let Phase::AwaitingAck { sid: Some(current), .. } = &self.phase {
            if failed && current == sid {
                self.failovers += 1;
                self.next_tier(w, actions);
            }
        }
    }

    fn on_timer(&mut self, w: &World, actions: &mut Vec<Action>) {
        match self.phase.clone() {
            Phase::Backoff { until } if w.now >= until => self.next_tier(w, actions),
            Phase::AwaitingAck { until, .. } if w.now >= until => {
                if let Some(a) = self.attempts.last_mut() {
                    if matches!(a.outcome, Outcome::Sent | Outcome::Delivered) {
                        a.outcome = Outcome::NoAck;
                    }
                }
                self.back_off(w);
            }
            // Early, or a send under way (the caller reconciles a stuck one): nothing yet.
            _ => {}
        }
    }

    fn current_sending_attempt(&mut self) -> Option<&mut Attempt> {
        let Phase::Sending { dispatcher_id, .. } = &self.phase else {
            return None;
        };
        let id = dispatcher_id.clone();
        self.attempts
            .iter_mut()
            .rev()
            .find(|a| a.dispatcher_id == id && a.outcome == Outcome::Sending)
    }

    fn back_off(&mut self, w: &World) {
        self.failovers += 1;
        let until = w.now + Duration::seconds(w.roster.backoff_after(self.failovers) as i64);
        self.phase = Phase::Backoff { until };
    }

    /// Sends to the first eligible tier not yet tried, or ends the cascade exhausted. When no
    /// tier at all is eligible, the last tier gets it anyway: a message never reaches nobody.
    fn next_tier(&mut self, w: &World, actions: &mut Vec<Action>) {
        let mut skipped: Vec<String> = Vec::new();
        let assigned = self.assigned.clone();
        for tier in w.roster.in_order_for(assigned.as_deref()) {
            if self.tried.contains(&tier.phone) {
                continue;
            }
            match eligibility(w.roster, tier, w.heartbeats.last(&tier.dispatcher_id), w.now, w.clock) {
                Ok(()) => {
                    self.tried.push(tier.phone.clone());
                    self.send(tier.dispatcher_id.clone(), tier.phone.clone(), w, actions);
                    return;
                }
                Err(why) => skipped.push(format!("{}: {}", tier.dispatcher_id, why.as_str())),
            }
        }
        let skipped = if skipped.is_empty() {
            String::new()
        } else {
            format!("; skipped {}", skipped.join(", "))
        };
        if let Some(last) = w.roster.tiers.last().filter(|_| self.attempts.is_empty()) {
            actions.push(Action::Alert {
                kind: AlertKind::NoneEligible,
                detail: format!(
                    "no dispatcher is eligible, so the last tier ({}) gets it{skipped}",
                    last.dispatcher_id
                ),
            });
            self.tried.push(last.phone.clone());
            self.send(last.dispatcher_id.clone(), last.phone.clone(), w, actions);
            return;
        }
        self.phase = Phase::Exhausted { at: w.now };
        actions.push(Action::Alert {
            kind: AlertKind::Exhausted,
            detail: format!(
                "no dispatcher acknowledged after {} attempt(s){skipped}",
                self.attempts.len()
            ),
        });
    }

    fn send(&mut self, dispatcher_id: String, to: String, w: &World, actions: &mut Vec<Action>) {
        self.attempts.push(Attempt {
            n: self.attempts.len() as u32 + 1,
            dispatcher_id: dispatcher_id.clone(),
            to: to.clone(),
            at: w.now,
            sid: None,
            outcome: Outcome::Sending,
            error_code: None,
        });
        self.phase = Phase::Sending {
            dispatcher_id: dispatcher_id.clone(),
            to: to.clone(),
            since: w.now,
            lookups: 0,
            next_lookup: None,
        };
        actions.push(Action::Send { dispatcher_id, to });
    }
}

#[cfg(test)]
mod tests;
