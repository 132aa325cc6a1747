use super::*;

const DEST: (f64, f64) = (53.4, -2.9);
const M_PER_DEG: f64 = 111_195.0;

fn t(secs: i64) -> DateTime<Utc> {
    crate::time::from_ms(1_780_000_000_000 + secs * 1000).unwrap()
}

/// A fix `north` metres north of the destination (negative: south) at `secs`.
fn fix(trailer: &str, secs: i64, north: f64) -> StoredFix {
    StoredFix {
        trailer_id: trailer.into(),
        lat: DEST.0 + north / M_PER_DEG,
        lon: DEST.1,
        recorded_at: t(secs),
        speed_mps: None,
        heading_deg: None,
        accuracy_m: None,
    }
}

fn job(status: JobStatus, now: i64) -> JobView {
    JobView {
        status,
        destination: DEST,
        geofence_m: DEFAULT_GEOFENCE_M,
        window_end: None,
        notify: true,
        opted_out: false,
        arriving_soon_min: DEFAULT_ARRIVING_SOON_MIN,
        now: t(now),
    }
}

/// Feeds one fix per update, applying the status moves as the Worker would.
fn drive(a: &mut Arrival, j: &mut JobView, fixes: &[StoredFix]) -> Vec<Event> {
    let mut all = Vec::new();
    for f in fixes {
        j.now = f.recorded_at;
        let ev = a.update(j, std::slice::from_ref(f), None);
        apply(j, &ev);
        all.extend(ev);
    }
    all
}

fn apply(j: &mut JobView, events: &[Event]) {
    for e in events {
        if let Event::Status { status, .. } = e {
            j.status = *status;
        }
    }
}

fn moves(events: &[Event]) -> Vec<(JobStatus, i64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Status {
                status, confirmed_at, ..
            } => Some((*status, (*confirmed_at - t(0)).num_seconds())),
            _ => None,
        })
        .collect()
}

fn texts(events: &[Event]) -> Vec<Notice> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Text { notice, .. } => Some(*notice),
            _ => None,
        })
        .collect()
}

/// Approaches from 1 km south at 10 m/s (a fix every 20 s), stops 20 m short and stays.
fn approach_and_park(trailer: &str, until: i64) -> Vec<StoredFix> {
    (0..=until / 20)
        .map(|i| {
            let s = i * 20;
            fix(trailer, s, (-1000.0 + 10.0 * s as f64).min(-20.0))
        })
        .collect()
}

#[test]
fn a_minute_inside_the_fence_is_an_arrival() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    let ev = drive(&mut a, &mut j, &approach_and_park("T1", 400));
    // Inside 150 m from 86 s: fixes in at 100, 120, ... The minute is proven without the first
    // (120..180 s) and without the last (100..160 s) at 180 s.
    assert_eq!(moves(&ev), vec![(JobStatus::AtSite, 180)]);
    // It arrived with its first fix inside.
    assert!(matches!(ev[0], Event::Status { at, .. } if at == t(100)));
    assert_eq!(texts(&ev), vec![Notice::Arrived]);
    assert_eq!(a.decision(Notice::ArrivingSoon).unwrap().outcome, Outcome::Moot);
}

#[test]
fn driving_through_the_fence_is_not_an_arrival() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    // 15 m/s: 20 s inside.
    let through: Vec<StoredFix> = (0..20).map(|i| fix("T1", i * 10, -1500.0 + 150.0 * i as f64)).collect();
    let ev = drive(&mut a, &mut j, &through);
    assert!(ev.is_empty(), "{ev:?}");
}

#[test]
fn leaving_takes_a_minute_beyond_twice_the_radius_and_happens_once() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    drive(&mut a, &mut j, &approach_and_park("T1", 300));
    // Parked at 250 m (outside the fence, inside twice its radius) for ten minutes: still there.
    let near: Vec<StoredFix> = (16..46).map(|i| fix("T1", i * 20, 250.0)).collect();
    assert!(drive(&mut a, &mut j, &near).is_empty());
    // 40 s beyond 300 m, back in, then a real departure.
    let mut away: Vec<StoredFix> = (46..49).map(|i| fix("T1", i * 20, 400.0)).collect();
    away.push(fix("T1", 980, 250.0));
    away.extend((50..60).map(|i| fix("T1", i * 20, 400.0 + 100.0 * (i - 50) as f64)));
    let ev = drive(&mut a, &mut j, &away);
    assert_eq!(moves(&ev), vec![(JobStatus::EnRouteNext, 1080)]);
    // Coming back to the stop just left is not a second arrival.
    let back: Vec<StoredFix> = (60..80).map(|i| fix("T1", i * 20, 0.0)).collect();
    assert!(drive(&mut a, &mut j, &back).is_empty());
    assert_eq!(a.status(), Some(JobStatus::EnRouteNext));
}

#[test]
fn a_backlog_in_any_order_gives_the_moves_of_the_ordered_track() {
    let mut fixes = approach_and_park("T1", 600);
    fixes.extend((31..50).map(|i| fix("T1", i * 20, 2000.0)));
    let (mut ordered, mut j1) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    let want = drive(&mut ordered, &mut j1, &fixes);
    assert_eq!(
        moves(&want),
        vec![(JobStatus::AtSite, 180), (JobStatus::EnRouteNext, 700)]
    );
    // One upload, reversed and with every fix twice.
    let mut batch: Vec<StoredFix> = fixes.iter().rev().cloned().collect();
    batch.extend(fixes.iter().cloned());
    let (mut a, j) = (Arrival::default(), job(JobStatus::EnRoute, 1000));
    let got = a.update(&j, &batch, None);
    assert_eq!(moves(&got), moves(&want));
    assert_eq!(texts(&got), vec![Notice::Arrived]);
}

#[test]
fn replaying_after_a_restart_sends_and_moves_nothing_more() {
    let fixes = approach_and_park("T1", 400);
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    let reading = EtaReading {
        at: t(100),
        seconds: 0.0,
    };
    let mut first = drive(&mut a, &mut j, &fixes);
    first.extend(a.update(&j, &[], Some(reading)));
    assert_eq!(texts(&first), vec![Notice::Arrived]);
    let stored = serde_json::to_string(&a).unwrap();
    let mut restarted: Arrival = serde_json::from_str(&stored).unwrap();
    assert_eq!(restarted, a);
    assert!(restarted.update(&j, &fixes, Some(reading)).is_empty());
    // A job read before the move was applied (the Worker retried an old request) changes nothing
    // either: its status is the dispatcher's only if it differs from what was last seen.
    assert!(restarted.update(&j, &fixes, None).is_empty());
}

#[test]
fn a_dispatchers_at_site_is_not_undone_by_a_trailer_never_seen_there() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    let far: Vec<StoredFix> = (0..10).map(|i| fix("T1", i * 20, -5000.0)).collect();
    drive(&mut a, &mut j, &far);
    j.status = JobStatus::AtSite;
    let far_still: Vec<StoredFix> = (10..40).map(|i| fix("T1", i * 20, -5000.0 - i as f64)).collect();
    let ev = drive(&mut a, &mut j, &far_still);
    assert!(ev.is_empty(), "{ev:?}");
    // The dispatcher's change sent its own text; the automation does not send "arrived" again.
    assert_eq!(a.decision(Notice::Arrived).unwrap().outcome, Outcome::Dispatcher);
}

#[test]
fn a_dispatchers_change_counts_only_fixes_after_it() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::Scheduled, 0));
    // Parked at the site while the job is still scheduled: no move.
    let parked: Vec<StoredFix> = (0..10).map(|i| fix("T1", i * 20, 10.0)).collect();
    assert!(drive(&mut a, &mut j, &parked).is_empty());
    // Set en route at 200 s: the minute inside starts then, not with the older fixes.
    j.status = JobStatus::EnRoute;
    j.now = t(200);
    assert!(a.update(&j, &[], None).is_empty());
    let more: Vec<StoredFix> = (10..15).map(|i| fix("T1", i * 20, 10.0)).collect();
    assert_eq!(moves(&drive(&mut a, &mut j, &more)), vec![(JobStatus::AtSite, 280)]);
}

#[test]
fn the_next_stop_is_arrived_at_once_it_is_the_destination() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::AtSite, 0));
    a.update(&j, &[], None);
    j.status = JobStatus::EnRouteNext;
    j.now = t(10);
    a.update(&j, &[], None);
    // Still at the old stop: no arrival. The dispatcher's PATCH names the next one.
    assert!(drive(&mut a, &mut j, &[fix("T1", 20, 0.0), fix("T1", 100, 0.0)]).is_empty());
    j.destination = (DEST.0 + 5000.0 / M_PER_DEG, DEST.1);
    let there: Vec<StoredFix> = (10..20).map(|i| fix("T1", i * 20, 5000.0)).collect();
    assert_eq!(moves(&drive(&mut a, &mut j, &there)), vec![(JobStatus::AtSite, 280)]);
}

#[test]
fn the_job_is_at_site_until_every_trailer_seen_there_has_left() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    let mut fixes = approach_and_park("T1", 300);
    fixes.extend(approach_and_park("T2", 300));
    fixes.sort_by_key(|f| f.recorded_at);
    assert_eq!(moves(&drive(&mut a, &mut j, &fixes)), vec![(JobStatus::AtSite, 180)]);
    // T1 leaves at once; T2 stays ten minutes more.
    let mut later: Vec<StoredFix> = (16..60).map(|i| fix("T1", i * 20, 1000.0)).collect();
    later.extend((16..60).map(|i| fix("T2", i * 20, if i < 46 { -20.0 } else { 1000.0 })));
    later.sort_by_key(|f| f.recorded_at);
    assert_eq!(
        moves(&drive(&mut a, &mut j, &later)),
        vec![(JobStatus::EnRouteNext, 1000)]
    );
}

#[test]
fn one_spike_or_a_vague_fix_inside_is_no_arrival() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    let mut fixes: Vec<StoredFix> = (0..30).map(|i| fix("T1", i * 20, -400.0)).collect();
    fixes[10] = fix("T1", 200, 0.0);
    for f in &mut fixes[11..16] {
        f.accuracy_m = Some(500.0);
        f.lat = DEST.0;
    }
    assert!(drive(&mut a, &mut j, &fixes).is_empty());
}

#[test]
fn a_chatty_tracker_keeps_the_state_small() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    let fixes: Vec<StoredFix> = (0..3600).map(|s| fix("T1", s, -5000.0 + s as f64)).collect();
    j.now = t(3600);
    for chunk in fixes.chunks(50) {
        a.update(&j, chunk, None);
    }
    let kept = a.tracks["T1"].len() as i64;
    assert!(kept <= KEEP_S * 1000 / SLOT_MS + 1, "{kept}");
    assert!(serde_json::to_string(&a).unwrap().len() < 12_000);
}

fn eta(secs: i64, minutes: f64) -> Option<EtaReading> {
    Some(EtaReading {
        at: t(secs),
        seconds: minutes * 60.0,
    })
}

#[test]
fn arriving_soon_goes_once_when_the_eta_first_drops_to_ten_minutes() {
    let (mut a, j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    assert!(a.update(&j, &[], eta(0, 25.0)).is_empty());
    assert!(a.update(&j, &[], eta(60, 10.5)).is_empty());
    assert_eq!(texts(&a.update(&j, &[], eta(120, 9.9))), vec![Notice::ArrivingSoon]);
    assert!(a.update(&j, &[], eta(180, 12.0)).is_empty());
    assert!(a.update(&j, &[], eta(240, 8.0)).is_empty());
    assert!(a.update(&j, &[], eta(240, 8.0)).is_empty());
}

#[test]
fn an_eta_older_than_one_already_read_is_ignored() {
    let (mut a, j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    assert!(a.update(&j, &[], eta(600, 30.0)).is_empty());
    // Computed from a fix that came late: the trailer was closer then than it is now.
    assert!(a.update(&j, &[], eta(300, 5.0)).is_empty());
    assert_eq!(a.decision(Notice::ArrivingSoon), None);
}

#[test]
fn an_eta_from_a_fix_minutes_old_decides_no_text() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 600));
    j.window_end = Some(t(0));
    // A backlog's newest fix, four minutes old: 5 min to go then, and past the window.
    assert!(a.update(&j, &[], eta(360, 5.0)).is_empty());
    assert_eq!(a.decision(Notice::ArrivingSoon), None);
    // Three minutes old still counts.
    assert_eq!(texts(&a.update(&j, &[], eta(420, 5.0))), vec![Notice::ArrivingSoon]);
}

#[test]
fn running_late_goes_once_past_the_window_by_a_quarter_hour() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    j.window_end = Some(t(3600));
    // Arriving at 3600 + 900 s exactly is not yet late.
    assert!(a.update(&j, &[], eta(0, 75.0)).is_empty());
    assert_eq!(texts(&a.update(&j, &[], eta(60, 75.0))), vec![Notice::RunningLate]);
    assert!(a.update(&j, &[], eta(120, 90.0)).is_empty());
    j.window_end = None;
    let mut b = Arrival::default();
    assert!(b.update(&j, &[], eta(0, 600.0)).is_empty());
}

#[test]
fn no_texts_for_a_notify_false_job_or_an_opted_out_customer() {
    for (notify, opted_out, outcome) in [(false, false, Outcome::NotifyOff), (true, true, Outcome::OptedOut)] {
        let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
        j.notify = notify;
        j.opted_out = opted_out;
        j.window_end = Some(t(-3600));
        let mut ev = a.update(&j, &[], eta(0, 5.0));
        ev.extend(drive(&mut a, &mut j, &approach_and_park("T1", 400)));
        assert_eq!(texts(&ev), vec![]);
        assert_eq!(moves(&ev).len(), 1);
        for n in Notice::ALL {
            assert_eq!(a.decision(n).unwrap().outcome, outcome, "{n:?}");
        }
        // Opting back in later does not bring back a text whose moment has passed.
        j.notify = true;
        j.opted_out = false;
        assert!(a.update(&j, &[], eta(500, 1.0)).is_empty());
    }
}

#[test]
fn a_finished_job_sends_nothing_more() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    a.update(&j, &[], eta(0, 30.0));
    j.status = JobStatus::Cancelled;
    assert!(a.update(&j, &approach_and_park("T1", 400), eta(400, 0.0)).is_empty());
    assert!(Notice::ALL
        .iter()
        .all(|n| a.decision(*n).unwrap().outcome == Outcome::Moot));
}

#[test]
fn the_state_reads_back_from_older_or_partial_json() {
    let a: Arrival = serde_json::from_str("{}").unwrap();
    assert_eq!(a, Arrival::default());
    assert_eq!(Notice::Arrived.idempotency_key("job-1"), "job-1:arrived");
}

#[test]
fn with_a_fix_a_minute_a_spike_beside_a_drive_by_is_no_arrival() {
    // Through the site at 15 m/s, a fix a minute: one fix inside, and the fix before it a spike
    // that also lands inside. Two fixes a minute apart inside, yet no dwell.
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    let mut fixes: Vec<StoredFix> = (0..5).map(|k| fix("T1", k * 60, -1800.0 + 900.0 * k as f64)).collect();
    fixes[1] = fix("T1", 60, -50.0);
    assert!(drive(&mut a, &mut j, &fixes).is_empty());
    // Parked, the same tracker arrives with its third fix inside.
    let parked: Vec<StoredFix> = (5..9).map(|k| fix("T1", k * 60, 10.0)).collect();
    assert_eq!(moves(&drive(&mut a, &mut j, &parked)), vec![(JobStatus::AtSite, 420)]);
}

#[test]
fn a_fresh_state_counts_fixes_from_the_dispatchers_change_only_when_there_was_one() {
    let parked: Vec<StoredFix> = (0..10).map(|i| fix("T1", i * 20, 10.0)).collect();
    let j = job(JobStatus::EnRoute, 300);
    // Created en route: its whole backlog counts.
    let mut created = Arrival::starting(JobStatus::EnRoute, t(0), None);
    assert_eq!(moves(&created.update(&j, &parked, None)), vec![(JobStatus::AtSite, 80)]);
    // Set en route by a dispatcher at 200 s: the older fixes do not.
    let mut changed = Arrival::starting(JobStatus::EnRoute, t(200), Some(t(200)));
    assert!(changed.update(&j, &parked, None).is_empty());
    // Found at the site: the dispatcher's change sent its text, the automation sends none.
    let mut at_site = Arrival::starting(JobStatus::AtSite, t(0), None);
    assert!(at_site.update(&job(JobStatus::AtSite, 300), &parked, None).is_empty());
    assert_eq!(at_site.decision(Notice::Arrived).unwrap().outcome, Outcome::Dispatcher);
}

#[test]
fn what_is_stored_is_the_decisions_and_a_new_fix_alone_changes_none() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    drive(&mut a, &mut j, &[fix("T1", 0, -3000.0)]);
    let before = a.clone();
    drive(&mut a, &mut j, &[fix("T1", 20, -2800.0), fix("T1", 40, -2600.0)]);
    assert!(a.decides_like(&before), "a fix far out decided something");
    assert!(a.durable().tracks.is_empty());
    // The durable state, given the same fixes back, decides the same.
    let mut again = a.durable();
    let all = [fix("T1", 0, -3000.0), fix("T1", 20, -2800.0), fix("T1", 40, -2600.0)];
    assert!(again.update(&j, &all, None).is_empty());
    assert!(again.decides_like(&a));
    drive(&mut a, &mut j, &approach_and_park("T1", 400)[3..]);
    assert!(!a.decides_like(&before), "an arrival is a decision");
}

#[test]
fn an_eta_is_wanted_only_while_a_text_may_hang_on_it() {
    let (mut a, mut j) = (Arrival::default(), job(JobStatus::EnRoute, 0));
    assert!(a.wants_eta(&j));
    a.update(&j, &[], eta(0, 5.0));
    assert!(!a.wants_eta(&j), "arriving soon is decided and there is no window");
    j.window_end = Some(t(3600));
    assert!(a.wants_eta(&j));
    j.status = JobStatus::AtSite;
    a.update(&j, &[], None);
    assert!(!a.wants_eta(&j));
}

#[test]
fn the_eta_of_a_finished_trip_is_replayed_at_each_checkpoint() {
    // Straight in at 10 m/s from 6 km: arrives at 600 s.
    let fixes: Vec<StoredFix> = (0..=60)
        .map(|i| fix("T1", i * 10, -6000.0 + 100.0 * i as f64))
        .collect();
    let pairs = eta_outcomes(&fixes, DEST, &[], t(600));
    // Checkpoints at 0, 300 s (the fix at 600 s is the arrival itself).
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    // From the newest fix known at each checkpoint (one per 30 s slot is replayed).
    assert_eq!(pairs[0].1, 600.0);
    assert!((300.0..=330.0).contains(&pairs[1].1), "{pairs:?}");
    assert!(pairs.iter().all(|(p, _)| p.is_finite() && *p > 0.0));
    assert!(eta_outcomes(&[], DEST, &[], t(600)).is_empty());
}
