use super::*;
use crate::relay::roster::tests::{tier, Tz};
use crate::relay::roster::Heartbeats;
use proptest::prelude::*;

fn roster(n: usize) -> Roster {
    let mut r = Roster::from_phones(&[]);
    r.tiers = (0..n)
        .map(|i| tier(&format!("d{i}"), &format!("+1555010010{i}")))
        .collect();
    r
}

fn t0() -> DateTime<Utc> {
    crate::time::parse_timestamp("2026-06-01T12:00:00Z").unwrap()
}

struct Sim {
    roster: Roster,
    now: DateTime<Utc>,
    c: Cascade,
}

impl Sim {
    fn new(n: usize) -> Sim {
        Sim {
            roster: roster(n),
            now: t0(),
            c: Cascade::default(),
        }
    }
    fn step(&mut self, e: Event) -> Vec<Action> {
        let w = World {
            roster: &self.roster,
            heartbeats: &Heartbeats::default(),
            clock: &Tz,
            now: self.now,
        };
        self.c.step(e, &w)
    }
    fn at(&mut self, s: i64) {
        self.now = t0() + Duration::seconds(s);
    }
}

fn sends(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| {
            if let Action::Send { dispatcher_id, .. } = a {
                Some(dispatcher_id.clone())
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn primary_acks_and_the_cascade_stops() {
    let mut s = Sim::new(3);
    assert_eq!(sends(&s.step(Event::Start)), vec!["d0"]);
    assert!(s.step(Event::Sent { sid: "SM1".into() }).is_empty());
    assert_eq!(s.c.due(), Some(t0() + Duration::seconds(30)), "waits 30 s for an ACK");
    s.at(10);
    assert!(s.step(Event::Ack { by: "d0".into() }).is_empty());
    assert!(s.c.state() != MessageState::Open);
    assert_eq!(s.c.due(), None);
    assert_eq!(s.c.attempts[0].outcome, Outcome::Acked);
}

#[test]
fn no_ack_moves_on_after_backoff_then_exhausts_and_alerts() {
    let mut s = Sim::new(2);
    s.step(Event::Start);
    s.step(Event::Sent { sid: "SM1".into() });
    s.at(30);
    assert!(s.step(Event::Timer).is_empty());
    assert_eq!(s.c.due(), Some(t0() + Duration::seconds(32)), "2 s backoff");
    s.at(32);
    assert_eq!(sends(&s.step(Event::Timer)), vec!["d1"]);
    s.step(Event::Sent { sid: "SM2".into() });
    s.at(62);
    s.step(Event::Timer);
    s.at(66);
    let a = s.step(Event::Timer);
    assert!(
        matches!(
            a.as_slice(),
            [Action::Alert {
                kind: AlertKind::Exhausted,
                ..
            }]
        ),
        "{a:?}"
    );
    assert!(s.c.state() != MessageState::Open);
    assert_eq!(
        s.c.attempts.iter().map(|a| a.outcome).collect::<Vec<_>>(),
        vec![Outcome::NoAck, Outcome::NoAck]
    );
}

#[test]
fn a_twilio_failure_backs_off_and_an_opt_out_skips_at_once() {
    let mut s = Sim::new(3);
    s.step(Event::Start);
    assert!(s.step(Event::SendFailed { code: Some(20429) }).is_empty());
    assert_eq!(s.c.due(), Some(t0() + Duration::seconds(2)));
    s.at(2);
    assert_eq!(sends(&s.step(Event::Timer)), vec!["d1"]);
    let a = s.step(Event::Unreachable { code: 21610 });
    assert!(a.iter().any(|x| matches!(
        x,
        Action::Alert {
            kind: AlertKind::Unreachable,
            ..
        }
    )));
    assert_eq!(sends(&a), vec!["d2"], "skipped at once, no backoff");
    assert_eq!(s.c.failovers, 2);
}

#[test]
fn undelivered_escalates_at_once_and_delivered_is_recorded() {
    let mut s = Sim::new(2);
    s.step(Event::Start);
    s.step(Event::Sent { sid: "SM1".into() });
    assert!(s
        .step(Event::Delivery {
            sid: "SM1".into(),
            status: DeliveryStatus::Delivered,
            code: None
        })
        .is_empty());
    assert_eq!(s.c.attempts[0].outcome, Outcome::Delivered);
    let mut s = Sim::new(2);
    s.step(Event::Start);
    s.step(Event::Sent { sid: "SM1".into() });
    let a = s.step(Event::Delivery {
        sid: "SM1".into(),
        status: DeliveryStatus::Undelivered,
        code: Some(30003),
    });
    assert_eq!(sends(&a), vec!["d1"]);
    assert_eq!(s.c.attempts[0].error_code, Some(30003));
}

#[test]
fn an_ack_beats_a_timer_that_was_already_due() {
    // The race Grafana OnCall users hit: the ACK lands after the timeout passed, before the timer ran.
    let mut s = Sim::new(3);
    s.step(Event::Start);
    s.step(Event::Sent { sid: "SM1".into() });
    s.at(45);
    s.step(Event::Ack { by: "d0".into() });
    assert!(s.step(Event::Timer).is_empty());
    s.at(500);
    assert!(s.step(Event::Timer).is_empty());
    assert!(s.step(Event::Start).is_empty());
}

#[test]
fn unavailable_tiers_are_skipped_and_a_lost_send_is_made_again() {
    let mut s = Sim::new(3);
    s.roster.tiers[0].available = false;
    assert_eq!(sends(&s.step(Event::Start)), vec!["d1"]);
    s.at(61);
    assert!(
        s.step(Event::Timer).is_empty(),
        "a stuck send waits for the Worker to reconcile"
    );
    assert_eq!(s.c.due(), Some(t0() + Duration::seconds(SEND_STUCK_S)));
    assert_eq!(sends(&s.step(Event::SendLost)), vec!["d1"]);
    assert_eq!(s.c.attempts.len(), 2);
}

fn phones(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { to, .. } => Some(to.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn when_nobody_is_eligible_the_last_tier_gets_it_and_the_alert_says_why() {
    let mut s = Sim::new(3);
    s.roster.tiers[0].available = false;
    s.roster.tiers[1].available = false;
    s.roster.tiers[2].available = false;
    let a = s.step(Event::Start);
    assert_eq!(sends(&a), vec!["d2"], "the ultimate fallback");
    let alert = a.iter().find_map(|x| match x {
        Action::Alert { kind, detail } => Some((*kind, detail.clone())),
        _ => None,
    });
    let (kind, detail) = alert.expect("an alert");
    assert_eq!(kind, AlertKind::NoneEligible);
    assert!(
        detail.contains("d0: unavailable") && detail.contains("d1: unavailable"),
        "{detail}"
    );
    // Once somebody had it, running out of tiers ends the cascade as before.
    s.step(Event::SendFailed { code: None });
    s.at(10);
    let a = s.step(Event::Timer);
    assert!(sends(&a).is_empty());
    assert_eq!(s.c.state(), MessageState::Exhausted);
}

#[test]
fn a_roster_edit_mid_cascade_never_texts_a_phone_twice() {
    let mut s = Sim::new(3);
    assert_eq!(phones(&s.step(Event::Start)), vec!["+15550100100"]);
    // The dispatcher ids change, the phones stay (a roster re-seeded with new names).
    for t in &mut s.roster.tiers {
        t.dispatcher_id = format!("renamed-{}", t.dispatcher_id);
    }
    s.step(Event::SendFailed { code: None });
    s.at(5);
    assert_eq!(phones(&s.step(Event::Timer)), vec!["+15550100101"]);
}

#[test]
fn a_failed_lookup_backs_off_then_moves_on_with_an_alert() {
    let mut s = Sim::new(2);
    s.step(Event::Start);
    let mut last_due = s.c.due().unwrap();
    for n in 1..MAX_LOOKUPS {
        s.at(SEND_STUCK_S + 1000 * n as i64);
        assert!(s.step(Event::LookupFailed).is_empty(), "no send while asking again");
        let due = s.c.due().unwrap();
        assert!(due > last_due && due > s.now, "look-up {n} is not in the past");
        last_due = due;
    }
    let a = s.step(Event::LookupFailed);
    assert!(matches!(
        a.as_slice(),
        [Action::Alert {
            kind: AlertKind::TwilioLookup,
            ..
        }]
    ));
    s.at(100_000);
    assert_eq!(sends(&s.step(Event::Timer)), vec!["d1"]);
}

#[test]
fn an_empty_roster_exhausts_at_once() {
    let mut s = Sim::new(0);
    let a = s.step(Event::Start);
    assert!(matches!(
        a.as_slice(),
        [Action::Alert {
            kind: AlertKind::Exhausted,
            ..
        }]
    ));
}

/// The cascade of a job assigned to `d2`, on a roster of four.
fn assigned_to_d2() -> Sim {
    let mut s = Sim::new(4);
    s.c = Cascade::for_dispatcher(Some("d2".into()));
    s
}

/// Lets the current send go unanswered past the ACK wait and the backoff; the next sends.
fn no_answer(s: &mut Sim, clock: &mut i64) -> Vec<String> {
    s.step(Event::Sent {
        sid: format!("SM{clock}"),
    });
    *clock += 30;
    s.at(*clock);
    assert!(sends(&s.step(Event::Timer)).is_empty(), "backoff first");
    *clock += 10;
    s.at(*clock);
    sends(&s.step(Event::Timer))
}

#[test]
fn the_jobs_dispatcher_goes_first_then_the_roster_without_them() {
    let mut s = assigned_to_d2();
    assert_eq!(sends(&s.step(Event::Start)), vec!["d2"]);
    let mut clock = 0;
    // The assigned dispatcher does not answer: the roster in order, never them again.
    assert_eq!(no_answer(&mut s, &mut clock), vec!["d0"]);
    assert_eq!(no_answer(&mut s, &mut clock), vec!["d1"]);
    assert_eq!(no_answer(&mut s, &mut clock), vec!["d3"]);
    assert!(no_answer(&mut s, &mut clock).is_empty());
    assert_eq!(s.c.state(), MessageState::Exhausted);
    let order: Vec<&str> = s.c.attempts.iter().map(|a| a.dispatcher_id.as_str()).collect();
    assert_eq!(order, ["d2", "d0", "d1", "d3"]);
}

#[test]
fn an_assigned_dispatcher_who_is_unavailable_or_off_call_is_skipped() {
    let mut s = assigned_to_d2();
    s.roster.tiers[2].available = false;
    assert_eq!(sends(&s.step(Event::Start)), vec!["d0"], "unavailable");

    let mut s = assigned_to_d2();
    // On call only in a window that is not now (t0 is 12:00 UTC).
    s.roster.tiers[2].on_call = Some(crate::relay::roster::OnCall {
        tz: "Etc/UTC".into(),
        days: None,
        from: crate::relay::roster::ClockTime(20 * 60),
        to: crate::relay::roster::ClockTime(22 * 60),
    });
    assert_eq!(sends(&s.step(Event::Start)), vec!["d0"], "off call");
    let mut clock = 0;
    assert_eq!(no_answer(&mut s, &mut clock), vec!["d1"]);
    assert_eq!(no_answer(&mut s, &mut clock), vec!["d3"], "still off call: skipped");

    let mut s = assigned_to_d2();
    s.c = Cascade::for_dispatcher(Some("not-on-the-roster".into()));
    assert_eq!(
        sends(&s.step(Event::Start)),
        vec!["d0"],
        "an unknown id is the plain roster"
    );
}

#[test]
fn a_stale_heartbeat_skips_the_assigned_dispatcher() {
    let mut s = assigned_to_d2();
    let beats = Heartbeats(vec![("d2".into(), t0() - Duration::hours(1))]);
    let w = World {
        roster: &s.roster,
        heartbeats: &beats,
        clock: &Tz,
        now: s.now,
    };
    assert_eq!(sends(&s.c.step(Event::Start, &w)), vec!["d0"]);
}

#[derive(Debug, Clone)]
enum Ev {
    Sent,
    Failed,
    Unreachable,
    Undelivered,
    Delivered,
    Ack(usize),
    Tick(i64),
}

fn ev() -> impl Strategy<Value = Ev> {
    prop_oneof![
        Just(Ev::Sent),
        Just(Ev::Failed),
        Just(Ev::Unreachable),
        Just(Ev::Undelivered),
        Just(Ev::Delivered),
        (0usize..5).prop_map(Ev::Ack),
        (0i64..90).prop_map(Ev::Tick),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_twice_to_a_tier_never_after_ack_always_terminates(n in 0usize..5, assigned in proptest::option::of(0usize..6), events in proptest::collection::vec(ev(), 0..60)) {
        let mut s = Sim::new(n);
        s.c = Cascade::for_dispatcher(assigned.map(|i| format!("d{i}")));
        let mut sent: Vec<String> = sends(&s.step(Event::Start));
        let mut clock = 0i64;
        let mut acked = false;
        let mut sid = 0;
        for e in events {
            let a = match e {
                Ev::Sent => { sid += 1; s.step(Event::Sent { sid: format!("SM{sid}") }) }
                Ev::Failed => s.step(Event::SendFailed { code: Some(500) }),
                Ev::Unreachable => s.step(Event::Unreachable { code: 21610 }),
                Ev::Undelivered => s.step(Event::Delivery { sid: format!("SM{sid}"), status: DeliveryStatus::Undelivered, code: None }),
                Ev::Delivered => s.step(Event::Delivery { sid: format!("SM{sid}"), status: DeliveryStatus::Delivered, code: None }),
                Ev::Ack(i) => { acked = true; s.step(Event::Ack { by: format!("d{i}") }) }
                Ev::Tick(dt) => { clock += dt; s.at(clock); s.step(Event::Timer) }
            };
            let new = sends(&a);
            prop_assert!(!acked || new.is_empty(), "sent after an ACK: {new:?}");
            for d in new {
                prop_assert!(!sent.contains(&d), "sent twice to {d}");
                sent.push(d);
            }
        }
        // Whatever happened, answering every send with a timeout and letting time pass ends it.
        for _ in 0..(3 * n + 3) {
            if matches!(s.c.phase, Phase::Sending { .. }) {
                s.step(Event::SendFailed { code: None });
            }
            clock += 3600;
            s.at(clock);
            let a = s.step(Event::Timer);
            for d in sends(&a) {
                prop_assert!(!acked, "sent after an ACK");
                prop_assert!(!sent.contains(&d), "sent twice to {d}");
                sent.push(d);
            }
        }
        prop_assert!(s.c.state() != MessageState::Open, "did not terminate: {:?}", s.c.phase);
        prop_assert!(sent.len() <= n);
    }
}
