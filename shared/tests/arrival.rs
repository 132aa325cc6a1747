//! Properties of the geofence automation over random tracks, GPS jitter, spikes, and uploads
//! that come late, out of order, twice, or across restarts of the Worker (the state goes
//! through JSON between uploads).
//!
//! Bounded by default (proptest's 256 cases per property); longer on demand:
//! `PROPTEST_CASES=5000 cargo test -p qdn-shared --test arrival --release`.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use qdn_shared::arrival::{
    Arrival, EtaReading, Event, JobView, Notice, DEFAULT_ARRIVING_SOON_MIN, DEFAULT_GEOFENCE_M, DWELL_S, LEAVE_FACTOR,
};
use qdn_shared::eval::Rng;
use qdn_shared::job::JobStatus;
use qdn_shared::view::StoredFix;

const DEST: (f64, f64) = (53.4, -2.9);
const R: f64 = DEFAULT_GEOFENCE_M;
const M_PER_DEG: f64 = 111_195.0;

fn t0() -> DateTime<Utc> {
    qdn_shared::time::parse_timestamp("2026-06-01T08:00:00Z").unwrap()
}

/// Where the trailer truly is at a time: (seconds, metres east, metres north of the site).
type Truth = Vec<(f64, f64, f64)>;

fn dist(p: &(f64, f64, f64)) -> f64 {
    p.1.hypot(p.2)
}

/// What the tracker reports: the truth with Gaussian jitter, some fixes lost, and at most one
/// spike moved to `spike_to` (metres east, north).
fn observe(truth: &Truth, sigma: f64, drop: f64, spike: Option<(usize, (f64, f64))>, rng: &mut Rng) -> Vec<StoredFix> {
    let mut out = Vec::new();
    for (i, p) in truth.iter().enumerate() {
        if rng.next_f64() < drop {
            continue;
        }
        let (mut e, mut n) = (p.1 + sigma * rng.gauss(), p.2 + sigma * rng.gauss());
        if let Some((k, to)) = spike {
            if k % truth.len() == i {
                (e, n) = to;
            }
        }
        out.push(StoredFix {
            trailer_id: "T1".into(),
            lat: DEST.0 + n / M_PER_DEG,
            lon: DEST.1 + e / (M_PER_DEG * DEST.0.to_radians().cos()),
            recorded_at: t0() + Duration::milliseconds((p.0 * 1000.0) as i64),
            speed_mps: None,
            heading_deg: None,
            accuracy_m: None,
        });
    }
    out
}

/// How the fixes reach the Worker.
#[derive(Debug, Clone, Copy)]
enum Upload {
    /// Any order at all, in batches of up to 8.
    Shuffled,
    /// In device-time order but each fix up to `max_late_s` late, batched as they arrive.
    Late { max_late_s: f64 },
}

/// Uploads the fixes as `how` says, with resends, replays of older batches and restarts;
/// applies the status moves as the Worker would. Returns every event, in order.
fn run(fixes: &[StoredFix], how: Upload, rng: &mut Rng, job: &mut JobView) -> Vec<Event> {
    let mut order: Vec<(f64, StoredFix)> = fixes
        .iter()
        .map(|f| {
            let t = (f.recorded_at - t0()).num_milliseconds() as f64 / 1000.0;
            let arrives = match how {
                Upload::Shuffled => rng.next_f64(),
                Upload::Late { max_late_s } => t + rng.next_f64() * max_late_s,
            };
            (arrives, f.clone())
        })
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut batches: Vec<Vec<StoredFix>> = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let n = 1 + (rng.next_f64() * 8.0) as usize;
        batches.push(order[i..(i + n).min(order.len())].iter().map(|x| x.1.clone()).collect());
        i += n;
    }
    let mut state = Arrival::default();
    let mut events = Vec::new();
    let mut newest = t0();
    let mut k = 0;
    while k < batches.len() {
        let batch = if k > 0 && rng.next_f64() < 0.1 {
            // A retry of an earlier upload.
            batches[(rng.next_f64() * k as f64) as usize].clone()
        } else {
            k += 1;
            batches[k - 1].clone()
        };
        newest = batch.iter().map(|f| f.recorded_at).max().unwrap_or(newest).max(newest);
        job.now = newest;
        let ev = state.update(job, &batch, None);
        for e in &ev {
            if let Event::Status { status, .. } = e {
                job.status = *status;
            }
        }
        events.extend(ev);
        if rng.next_f64() < 0.2 {
            state = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
        }
    }
    events
}

fn job() -> JobView {
    JobView {
        status: JobStatus::EnRoute,
        destination: DEST,
        geofence_m: R,
        window_end: None,
        notify: true,
        opted_out: false,
        arriving_soon_min: DEFAULT_ARRIVING_SOON_MIN,
        now: t0(),
    }
}

fn secs(at: &DateTime<Utc>) -> f64 {
    (*at - t0()).num_milliseconds() as f64 / 1000.0
}

/// (status, when it happened, when it was confirmed), seconds from the start.
fn moves(events: &[Event]) -> Vec<(JobStatus, f64, f64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Status {
                status,
                at,
                confirmed_at,
            } => Some((*status, secs(at), secs(confirmed_at))),
            _ => None,
        })
        .collect()
}

/// A straight pass from 3 km before the site to 3 km after it, `offset` metres to the side.
fn drive_by(offset: f64, mps: f64, every: f64) -> Truth {
    let n = (6000.0 / mps / every) as usize;
    (0..=n)
        .map(|i| {
            let t = i as f64 * every;
            (t, offset, -3000.0 + mps * t)
        })
        .collect()
}

/// Parked at `d` metres (at a random bearing) for `secs`.
fn parked(d: f64, bearing: f64, secs: f64, every: f64) -> Truth {
    (0..=(secs / every) as usize)
        .map(|i| (i as f64 * every, d * bearing.sin(), d * bearing.cos()))
        .collect()
}

/// Beyond this, jitter of `sigma` puts a fix across an edge about once in 30,000 fixes.
fn margin(sigma: f64) -> f64 {
    4.0 * sigma + 5.0
}

fn upload() -> impl Strategy<Value = Upload> {
    prop_oneof![
        Just(Upload::Shuffled),
        (0.0..300.0f64).prop_map(|max_late_s| Upload::Late { max_late_s })
    ]
}

proptest! {
    /// Driving past or through the site (under half a minute inside), or waiting just outside
    /// the fence, with jitter, one spike anywhere inside, and uploads in any order: no arrival.
    #[test]
    fn no_false_arrival(
        by in any::<bool>(),
        offset in 0.0..2.0 * R,
        mps in 9.0..30.0f64,
        out in 0.0..R,
        bearing in 0.0..std::f64::consts::TAU,
        every in 3.0..60.0f64,
        sigma in 0.0..15.0f64,
        drop in 0.0..0.4f64,
        spike_at in any::<usize>(),
        spike_d in 0.0..R,
        spike_bearing in 0.0..std::f64::consts::TAU,
        how in upload(),
        seed in any::<u64>(),
    ) {
        let truth = if by {
            drive_by(offset, mps, every)
        } else {
            parked(R + margin(sigma) + out, bearing, 1800.0, every)
        };
        let spike = (spike_at, (spike_d * spike_bearing.sin(), spike_d * spike_bearing.cos()));
        let mut rng = Rng(seed | 1);
        let fixes = observe(&truth, sigma, drop, Some(spike), &mut rng);
        let mut j = job();
        let events = run(&fixes, how, &mut rng, &mut j);
        prop_assert!(moves(&events).is_empty(), "{:?}", moves(&events));
    }

    /// Arriving and parking anywhere short of twice the radius, jitter included, then maybe
    /// leaving: the status only ever moves forward, one step at a time. A trailer parked well
    /// inside arrives exactly once, never before it got there nor before it had been there a
    /// minute by the fixes; one parked in between the edges may arrive, and never leaves
    /// while parked.
    #[test]
    fn arrival_once_and_no_flapping(
        mps in 3.0..25.0f64,
        park in 0.0..1.0f64,
        bearing in 0.0..std::f64::consts::TAU,
        stay in 240.0..1200.0f64,
        leaves in any::<bool>(),
        every in 3.0..40.0f64,
        sigma in 0.0..15.0f64,
        drop in 0.0..0.3f64,
        late in 0.0..300.0f64,
        seed in any::<u64>(),
    ) {
        let d = park * (LEAVE_FACTOR * R - margin(sigma));
        let (e, n) = (d * bearing.sin(), d * bearing.cos());
        // In from 3 km south, straight to the parking spot, then (maybe) away north-east.
        let mut truth: Truth = Vec::new();
        let start = (0.0, -3000.0);
        let drive = ((e - start.0).hypot(n - start.1)) / mps;
        let mut t = 0.0;
        while t < drive {
            let f = t / drive;
            truth.push((t, start.0 + f * (e - start.0), start.1 + f * (n - start.1)));
            t += every;
        }
        let parked_from = drive;
        while t < drive + stay {
            truth.push((t, e, n));
            t += every;
        }
        if leaves {
            while t < drive + stay + 600.0 {
                let k = mps * (t - drive - stay);
                truth.push((t, e + k, n + k));
                t += every;
            }
        }
        let mut rng = Rng(seed | 1);
        let fixes = observe(&truth, sigma, drop, None, &mut rng);
        let mut j = job();
        let got = moves(&run(&fixes, Upload::Late { max_late_s: late }, &mut rng, &mut j));

        let statuses: Vec<JobStatus> = got.iter().map(|m| m.0).collect();
        prop_assert!(
            [vec![], vec![JobStatus::AtSite], vec![JobStatus::AtSite, JobStatus::EnRouteNext]].contains(&statuses),
            "{got:?}"
        );
        if let Some(&(_, at, confirmed)) = got.first() {
            // Jitter can show it inside from R + margin: not sooner, and confirmed a minute on.
            let near = truth.iter().find(|p| dist(p) <= R + margin(sigma)).map(|p| p.0);
            prop_assert!(
                near.is_some_and(|near| at >= near - 0.001 && confirmed >= at + DWELL_S as f64),
                "arrived at {at} ({confirmed}), near from {near:?}"
            );
        }
        if let Some(&(_, at, confirmed)) = got.get(1) {
            prop_assert!(
                leaves && at >= drive + stay - 0.001 && confirmed >= at + DWELL_S as f64,
                "left at {at} ({confirmed}) while parked until {}",
                drive + stay
            );
        }
        // Parked well inside, with enough fixes over the stay to show it: arrives.
        let fixes_while_parked = fixes
            .iter()
            .filter(|f| {
                let s = (f.recorded_at - t0()).num_milliseconds() as f64 / 1000.0;
                s >= parked_from && s < drive + stay
            })
            .count();
        if d <= R - margin(sigma) && fixes_while_parked >= 20 && stay / every >= 20.0 {
            prop_assert!(statuses.first() == Some(&JobStatus::AtSite), "{got:?}");
        }
    }

    /// Texts: at most one of each per job whatever the order, repeats, restarts and dispatcher
    /// changes; none while notify is off or the customer has opted out; nothing about the way
    /// there once the trailer is there.
    #[test]
    fn each_text_at_most_once(
        steps in prop::collection::vec(
            (0u8..10, 0.0..3600.0f64, 0.0..60.0f64, any::<bool>()),
            1..80
        ),
        window in prop::option::of(0.0..7200.0f64),
        seed in any::<u64>(),
    ) {
        let mut rng = Rng(seed | 1);
        let mut j = job();
        j.window_end = window.map(|w| t0() + Duration::seconds(w as i64));
        let mut state = Arrival::default();
        let mut sent: Vec<Notice> = Vec::new();
        let mut arrived = false;
        let mut inputs: Vec<(Vec<StoredFix>, Option<EtaReading>)> = Vec::new();
        for (kind, at, minutes, flag) in steps {
            let when = t0() + Duration::milliseconds((at * 1000.0) as i64);
            let (fixes, reading) = match kind {
                // A dispatcher's change, an opt-out or opt-in, notify toggled, a restart.
                0 => {
                    let next = JobStatus::ALL[(rng.next_f64() * 6.0) as usize];
                    if j.status.can_become(next) {
                        j.status = next;
                    }
                    (vec![], None)
                }
                1 => { j.opted_out = flag; (vec![], None) }
                2 => { j.notify = flag; (vec![], None) }
                3 => {
                    state = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
                    (vec![], None)
                }
                // A replay of an earlier input.
                4 if !inputs.is_empty() => inputs[(rng.next_f64() * inputs.len() as f64) as usize].clone(),
                // Fixes parked at the site for a while (an arrival, if the status allows).
                5 => {
                    let truth = parked(20.0, 1.0, 180.0, 20.0)
                        .into_iter()
                        .map(|p| (p.0 + at, p.1, p.2))
                        .collect();
                    (observe(&truth, 5.0, 0.0, None, &mut rng), None)
                }
                _ => (vec![], Some(EtaReading { at: when, seconds: minutes * 60.0 })),
            };
            inputs.push((fixes.clone(), reading));
            j.now = j.now.max(when);
            let allowed = j.notify && !j.opted_out;
            let events = state.update(&j, &fixes, reading);
            for e in &events {
                match e {
                    Event::Status { status, .. } => {
                        j.status = *status;
                        arrived |= *status == JobStatus::AtSite;
                    }
                    Event::Text { notice, .. } => {
                        prop_assert!(allowed, "{notice:?} sent with notify {} opted out {}", j.notify, j.opted_out);
                        prop_assert!(!sent.contains(notice), "{notice:?} twice");
                        if *notice != Notice::Arrived {
                            prop_assert!(!arrived && j.status.is_moving(), "{notice:?} in status {:?}", j.status);
                        }
                        if *notice == Notice::ArrivingSoon {
                            prop_assert!(reading.is_some_and(|r| r.seconds <= DEFAULT_ARRIVING_SOON_MIN * 60.0));
                        }
                        if *notice == Notice::RunningLate {
                            let r = reading.unwrap();
                            let eta = r.at + Duration::milliseconds((r.seconds * 1000.0) as i64);
                            prop_assert!(j.window_end.is_some_and(|w| eta > w + Duration::minutes(15)));
                        }
                        sent.push(*notice);
                    }
                }
            }
            if j.status == JobStatus::AtSite {
                arrived = true;
            }
        }
    }
}
