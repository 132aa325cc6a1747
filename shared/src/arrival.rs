//! Geofence automation and the customer texts it triggers: one job's pure state machine.
//!
//! The Worker keeps an [`Arrival`] per job (it serialises to JSON, for a Durable Object or a D1
//! row) and calls [`Arrival::update`] with the job as stored now, the fixes just received and
//! the ETA just computed. It gets back [`Event`]s: status moves to record (`history` source
//! `geofence`) and texts to send.
//!
//! Fixes may come late, twice, or out of order; decisions follow device time. The recent fixes
//! of each trailer are kept, sorted, and every update re-reads that timeline, so a late fix takes
//! its place among the others instead of being judged on its own. A move needs the evidence of
//! [`DWELL_S`] of consecutive fixes on one side of the fence, even leaving out the first or the
//! last of them, so no single fix (a spike, a duplicate, one late upload) can make one; and the
//! fence is left only beyond twice its radius, so jitter at either edge cannot flap the status.
//! Each text is decided once per job, and the decision is part of the state: replaying the same
//! inputs after a restart sends nothing new.
//!
//! To keep that promise the Worker must store the new state before it acts on the events (a
//! crash in between loses a text rather than sending it twice), and must not run two updates of
//! one job at once (a Durable Object, or a compare-and-swap on the stored state).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::eta::{self, distance_m};
use crate::job::JobStatus;
use crate::view::StoredFix;

/// `geofence_m` when a job has none.
pub const DEFAULT_GEOFENCE_M: f64 = 150.0;
/// How long a trailer must stay inside the fence to arrive, and beyond twice its radius to
/// leave: longer than a drive-by or a stop at lights beside the site.
pub const DWELL_S: i64 = 60;
/// Leaving takes this multiple of the radius: the gap between the two edges is the hysteresis
/// that keeps a trailer parked near the fence from flapping between statuses.
pub const LEAVE_FACTOR: f64 = 2.0;
/// `ARRIVING_SOON_MIN` when unset.
pub const DEFAULT_ARRIVING_SOON_MIN: f64 = 10.0;
/// "Running late" when the estimated arrival is more than this past `window_end`.
pub const LATE_BY_S: i64 = 15 * 60;
/// A text about now needs a position from about now: an ETA computed from a fix older than this
/// by the server's clock (a backlog uploaded late, newest first) decides no text. A trailer whose
/// backlog shows it 1 km out may well have been at the site since.
pub const MAX_ETA_AGE_S: i64 = 180;
/// Fixes kept per trailer, by device time behind its newest: how late a fix may come and still
/// be placed in order. Older ones change nothing (the decisions of their time are made).
pub const KEEP_S: i64 = 10 * 60;
/// Fixes within one slot of this many seconds count once (a 1 Hz tracker would otherwise fill
/// the state); the earliest in the slot is kept, whatever the upload order.
const SLOT_MS: i64 = 5_000;
/// However old, the last few fixes of a trailer are kept: a tracker that reports every 15
/// minutes still needs two fixes to show a dwell.
const KEEP_LAST: usize = 3;

/// The job as stored when the update runs.
#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    pub status: JobStatus,
    /// (lat, lon) of the current stop.
    pub destination: (f64, f64),
    pub geofence_m: f64,
    pub window_end: Option<DateTime<Utc>>,
    /// The job's `notify` flag: `false` means no automatic texts at all.
    pub notify: bool,
    /// The customer has texted STOP (and not START since).
    pub opted_out: bool,
    /// `ARRIVING_SOON_MIN`.
    pub arriving_soon_min: f64,
    /// The server's clock: the time a status change made elsewhere is taken to have happened.
    pub now: DateTime<Utc>,
}

/// An ETA the Worker computed, as of the device time of the fix it was computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EtaReading {
    pub at: DateTime<Utc>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    ArrivingSoon,
    Arrived,
    RunningLate,
}

impl Notice {
    pub const ALL: [Notice; 3] = [Notice::ArrivingSoon, Notice::Arrived, Notice::RunningLate];

    pub fn as_str(self) -> &'static str {
        match self {
            Notice::ArrivingSoon => "arriving_soon",
            Notice::Arrived => "arrived",
            Notice::RunningLate => "running_late",
        }
    }

    /// One key per job and text, for a unique index on sent messages: a second send of the same
    /// text (two updates racing past the state) then fails to insert.
    pub fn idempotency_key(self, job_id: &str) -> String {
        format!("{job_id}:{}", self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The job's status becomes `status` (a geofence move): record it in `history` with
    /// `source: "geofence"`. `at` is when it happened by the fixes (the first fix of the stay
    /// inside, or beyond twice the radius); `confirmed_at` the device time of the fix that
    /// completed the dwell, when it became known.
    Status {
        status: JobStatus,
        at: DateTime<Utc>,
        confirmed_at: DateTime<Utc>,
    },
    /// Send this text to the customer now (after storing the state).
    Text { notice: Notice, at: DateTime<Utc> },
}

/// What became of a text, once decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Sent,
    /// The job has `notify: false`.
    NotifyOff,
    /// The customer opted out.
    OptedOut,
    /// Its moment passed: the trailer arrived, or the job ended, before it was due.
    Moot,
    /// A dispatcher set the status, and their change sends the customer its own text.
    Dispatcher,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub at: DateTime<Utc>,
    pub outcome: Outcome,
}

/// One fix as kept: milliseconds since the epoch, lat, lon.
type Sample = (i64, f64, f64);

/// One job's geofence and texts. Serialise it between updates; a new job starts from
/// [`Arrival::default`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Arrival {
    /// The status as last seen or set here.
    #[serde(default)]
    status: Option<JobStatus>,
    /// Only fixes from this device time on (ms) count toward the next move: the time of the
    /// last move, so no evidence counts twice and a dispatcher's change is not undone by fixes
    /// from before it.
    #[serde(default)]
    since_ms: Option<i64>,
    /// The stop the evidence is about.
    #[serde(default)]
    stop: Option<(f64, f64)>,
    /// The stop last left: no arriving there again (a trailer turning round outside it).
    #[serde(default)]
    left: Option<(f64, f64)>,
    /// Trailers seen at the site since `at_site`: the ones whose leaving counts.
    #[serde(default)]
    present: BTreeSet<String>,
    #[serde(default)]
    tracks: BTreeMap<String, Vec<Sample>>,
    /// Device time (ms) of the newest ETA reading used: older ones come too late to count.
    #[serde(default)]
    eta_at_ms: Option<i64>,
    #[serde(default)]
    notices: BTreeMap<Notice, Decision>,
}

impl Arrival {
    /// The state of a job first seen in `status`, which it took at `changed_at`. Fixes count
    /// from `evidence_from` on: the status change, when a dispatcher moved the job (a trailer
    /// parked at the site while the job was scheduled has not arrived); `None` when every fix
    /// stored for the job counts (it was created in this status, so they were all sent for it).
    /// A job found at the site was put there by a dispatcher, whose change sent its own text.
    pub fn starting(status: JobStatus, changed_at: DateTime<Utc>, evidence_from: Option<DateTime<Utc>>) -> Arrival {
        let mut a = Arrival::default();
        let ms = changed_at.timestamp_millis();
        a.follow_status(JobStatus::Scheduled, ms, changed_at);
        a.follow_status(status, ms, changed_at);
        a.since_ms = evidence_from.map(|t| t.timestamp_millis());
        a
    }

    pub fn status(&self) -> Option<JobStatus> {
        self.status
    }

    /// What must be stored between updates: everything but the kept fixes, which the Worker
    /// reads back from its stored fixes on every update (so a fix costs no write of the state).
    pub fn durable(&self) -> Arrival {
        Arrival {
            tracks: BTreeMap::new(),
            ..self.clone()
        }
    }

    /// Whether `other` decided anything differently: a status, the evidence window, a stop, a
    /// text. The newest ETA's time alone is no reason to store the state (ETA readings come from
    /// the stored fixes, newest first, so an older one cannot come back).
    pub fn decides_like(&self, other: &Arrival) -> bool {
        let strip = |a: &Arrival| Arrival {
            tracks: BTreeMap::new(),
            eta_at_ms: None,
            ..a.clone()
        };
        strip(self) == strip(other)
    }

    /// Whether an ETA could still decide a text: heading for the stop with "arriving soon" (or,
    /// with a window, "running late") undecided. Otherwise the Worker need not compute one.
    pub fn wants_eta(&self, job: &JobView) -> bool {
        let heading_here = match self.status.unwrap_or(job.status) {
            JobStatus::EnRoute => true,
            JobStatus::EnRouteNext => self.left.is_none() || self.left != Some(job.destination),
            _ => false,
        };
        heading_here
            && (!self.notices.contains_key(&Notice::ArrivingSoon)
                || (job.window_end.is_some() && !self.notices.contains_key(&Notice::RunningLate)))
    }

    /// Whether a text could still be decided (the opt-out needs reading only then).
    pub fn texts_pending(&self) -> bool {
        Notice::ALL.iter().any(|n| !self.notices.contains_key(n))
    }

    /// What was decided about a text, if it has been.
    pub fn decision(&self, notice: Notice) -> Option<Decision> {
        self.notices.get(&notice).copied()
    }

    /// Takes in the job as stored now, new fixes (any order, any of the job's trailers, repeats
    /// welcome) and the ETA computed after storing them; returns what to record and send.
    pub fn update(&mut self, job: &JobView, fixes: &[StoredFix], eta: Option<EtaReading>) -> Vec<Event> {
        let mut events = Vec::new();
        let now = job.now.timestamp_millis();
        let radius = if job.geofence_m.is_finite() && job.geofence_m > 0.0 {
            job.geofence_m
        } else {
            DEFAULT_GEOFENCE_M
        };
        self.follow_status(job.status, now, job.now);
        if self.stop != Some(job.destination) {
            self.stop = Some(job.destination);
            self.present.clear();
        }
        // Oldest first, so that how far back a fix may be placed depends on the fixes, not on
        // the order of the upload.
        let mut fixes: Vec<&StoredFix> = fixes.iter().collect();
        fixes.sort_by_key(|f| f.recorded_at);
        for f in fixes {
            self.keep(f, radius);
        }
        while let Some((status, Proof { from, at })) = self.next_move(radius) {
            let (at, confirmed_at) = (to_time(from), to_time(at));
            events.push(Event::Status {
                status,
                at,
                confirmed_at,
            });
            self.status = Some(status);
            self.since_ms = Some(confirmed_at.timestamp_millis());
            match status {
                JobStatus::AtSite => {
                    events.extend(self.decide(Notice::Arrived, confirmed_at, job));
                    self.settle_pending(confirmed_at, Outcome::Moot);
                }
                _ => {
                    self.left = self.stop;
                    self.present.clear();
                }
            }
        }
        if let Some(reading) = eta {
            events.extend(self.read_eta(reading, job));
        }
        self.note_presence(radius);
        self.prune();
        events
    }

    /// Adopts a status set elsewhere (a dispatcher's PATCH always wins).
    fn follow_status(&mut self, status: JobStatus, now_ms: i64, now: DateTime<Utc>) {
        let Some(known) = self.status else {
            self.status = Some(status);
            return;
        };
        if known == status {
            return;
        }
        self.status = Some(status);
        self.since_ms = Some(now_ms);
        self.present.clear();
        match status {
            JobStatus::AtSite => {
                self.notices.entry(Notice::Arrived).or_insert(Decision {
                    at: now,
                    outcome: Outcome::Dispatcher,
                });
                self.settle_pending(now, Outcome::Moot);
            }
            JobStatus::EnRouteNext => self.left = self.stop,
            JobStatus::Completed | JobStatus::Cancelled => {
                for n in Notice::ALL {
                    self.notices.entry(n).or_insert(Decision {
                        at: now,
                        outcome: Outcome::Moot,
                    });
                }
            }
            JobStatus::Scheduled | JobStatus::EnRoute => self.left = None,
        }
    }

    fn keep(&mut self, f: &StoredFix, radius: f64) {
        let usable = f.lat.is_finite()
            && f.lon.is_finite()
            && (-90.0..=90.0).contains(&f.lat)
            && (-180.0..=180.0).contains(&f.lon)
            // A fix vaguer than the fence cannot say which side of it the trailer is on.
            && f.accuracy_m.is_none_or(|a| a <= radius);
        if !usable {
            return;
        }
        let s: Sample = (f.recorded_at.timestamp_millis(), f.lat, f.lon);
        let track = self.tracks.entry(f.trailer_id.clone()).or_default();
        if track.last().is_some_and(|newest| s.0 < newest.0 - KEEP_S * 1000) && track.len() >= KEEP_LAST {
            return;
        }
        let slot = |x: &Sample| x.0.div_euclid(SLOT_MS);
        let i = track.partition_point(|x| slot(x) < slot(&s));
        match track.get(i) {
            // Same slot: the earliest fix (then the lowest coordinates) stays, whichever came first.
            Some(x) if slot(x) == slot(&s) => {
                if (s.0, s.1, s.2) < (x.0, x.1, x.2) {
                    track[i] = s;
                }
            }
            _ => track.insert(i, s),
        }
    }

    /// The next geofence move the kept fixes prove, and its proof.
    fn next_move(&self, radius: f64) -> Option<(JobStatus, Proof)> {
        let stop = self.stop?;
        match self.status? {
            JobStatus::EnRoute => self.dwell_inside(stop, radius).map(|t| (JobStatus::AtSite, t)),
            JobStatus::EnRouteNext if self.left != Some(stop) => {
                self.dwell_inside(stop, radius).map(|t| (JobStatus::AtSite, t))
            }
            JobStatus::AtSite => self.gone(stop, radius).map(|t| (JobStatus::EnRouteNext, t)),
            _ => None,
        }
    }

    /// The trailers' plausible fixes from `since` on, in device-time order.
    fn timelines(&self) -> impl Iterator<Item = (&String, Vec<Sample>)> + '_ {
        let since = self.since_ms.unwrap_or(i64::MIN);
        self.tracks.iter().map(move |(id, track)| {
            let points: Vec<eta::Point> = track
                .iter()
                .map(|s| eta::Point {
                    t: s.0 as f64 / 1000.0,
                    lat: s.1,
                    lon: s.2,
                })
                .collect();
            let clean = eta::plausible(&points)
                .into_iter()
                .map(|p| ((p.t * 1000.0).round() as i64, p.lat, p.lon))
                .filter(|s| s.0 >= since)
                .collect();
            (id, clean)
        })
    }

    /// The first trailer's proven dwell inside the fence.
    fn dwell_inside(&self, stop: (f64, f64), radius: f64) -> Option<Proof> {
        self.timelines()
            .filter_map(|(_, samples)| {
                let mut run = Run::default();
                samples.iter().find_map(|s| {
                    if distance_m((s.1, s.2), stop) <= radius {
                        run.push(s.0)
                    } else {
                        run = Run::default();
                        None
                    }
                })
            })
            .min_by_key(|p| p.at)
    }

    /// When the last trailer seen at the site proved a dwell beyond [`LEAVE_FACTOR`] times the
    /// radius, after being seen within it.
    fn gone(&self, stop: (f64, f64), radius: f64) -> Option<Proof> {
        let outer = radius * LEAVE_FACTOR;
        let mut latest: Option<Proof> = None;
        for (id, samples) in self.timelines() {
            let mut near = self.present.contains(id);
            let mut run = Run::default();
            let mut left_at = None;
            for s in &samples {
                if distance_m((s.1, s.2), stop) <= outer {
                    near = true;
                    run = Run::default();
                } else if near {
                    left_at = run.push(s.0);
                    if left_at.is_some() {
                        break;
                    }
                }
            }
            match (near, left_at) {
                (false, _) => continue,
                (true, None) => return None,
                (true, Some(p)) => {
                    latest = Some(latest.map_or(p, |l| Proof {
                        from: l.from.max(p.from),
                        at: l.at.max(p.at),
                    }))
                }
            }
        }
        latest
    }

    /// At the site, trailers seen near it are remembered, so their leaving is still noticed
    /// once the fixes that showed them there are dropped.
    fn note_presence(&mut self, radius: f64) {
        if self.status != Some(JobStatus::AtSite) {
            return;
        }
        let Some(stop) = self.stop else { return };
        let near: Vec<String> = self
            .timelines()
            .filter(|(_, samples)| {
                samples
                    .iter()
                    .any(|s| distance_m((s.1, s.2), stop) <= radius * LEAVE_FACTOR)
            })
            .map(|(id, _)| id.clone())
            .collect();
        self.present.extend(near);
    }

    fn read_eta(&mut self, reading: EtaReading, job: &JobView) -> Vec<Event> {
        let at_ms = reading.at.timestamp_millis();
        let fresh = self.eta_at_ms.is_none_or(|t| at_ms >= t)
            && at_ms >= self.since_ms.unwrap_or(i64::MIN)
            && job.now - reading.at <= Duration::seconds(MAX_ETA_AGE_S);
        if !fresh || !reading.seconds.is_finite() || reading.seconds < 0.0 {
            return Vec::new();
        }
        self.eta_at_ms = Some(at_ms);
        let heading_here = match self.status {
            Some(JobStatus::EnRoute) => true,
            Some(JobStatus::EnRouteNext) => self.left != self.stop,
            _ => false,
        };
        if !heading_here {
            return Vec::new();
        }
        let mut events = Vec::new();
        let soon_min = if job.arriving_soon_min.is_finite() && job.arriving_soon_min >= 0.0 {
            job.arriving_soon_min
        } else {
            DEFAULT_ARRIVING_SOON_MIN
        };
        if reading.seconds <= soon_min * 60.0 {
            events.extend(self.decide(Notice::ArrivingSoon, reading.at, job));
        }
        let arrive_at = reading.at + Duration::milliseconds((reading.seconds * 1000.0) as i64);
        if job
            .window_end
            .is_some_and(|end| arrive_at > end + Duration::seconds(LATE_BY_S))
        {
            events.extend(self.decide(Notice::RunningLate, reading.at, job));
        }
        events
    }

    /// Decides a text once: sent, or held back (and then never sent).
    fn decide(&mut self, notice: Notice, at: DateTime<Utc>, job: &JobView) -> Option<Event> {
        if self.notices.contains_key(&notice) {
            return None;
        }
        let outcome = if !job.notify {
            Outcome::NotifyOff
        } else if job.opted_out {
            Outcome::OptedOut
        } else {
            Outcome::Sent
        };
        self.notices.insert(notice, Decision { at, outcome });
        (outcome == Outcome::Sent).then_some(Event::Text { notice, at })
    }

    /// Texts about the way there that were never due, once the trailer is there.
    fn settle_pending(&mut self, at: DateTime<Utc>, outcome: Outcome) {
        for n in [Notice::ArrivingSoon, Notice::RunningLate] {
            self.notices.entry(n).or_insert(Decision { at, outcome });
        }
    }

    fn prune(&mut self) {
        for track in self.tracks.values_mut() {
            let Some(newest) = track.last().map(|s| s.0) else {
                continue;
            };
            let old = track.partition_point(|s| s.0 < newest - KEEP_S * 1000);
            track.drain(..old.min(track.len().saturating_sub(KEEP_LAST)));
        }
    }
}

/// A dwell shown by the fixes: since when (ms), and the fix that completed the proof.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Proof {
    from: i64,
    at: i64,
}

/// Consecutive fixes on one side of a fence. They prove a dwell once they span [`DWELL_S`] even
/// without their first fix and without their last: no single fix (a spike, or the one fix of a
/// drive-by whose neighbours have not come yet) can make or complete a dwell. The price is one
/// fix interval of delay.
#[derive(Default)]
struct Run {
    first: Option<i64>,
    second: Option<i64>,
    newest: Option<i64>,
}

impl Run {
    /// Adds the next fix's time (ms); the proof when the run proves a dwell with it.
    fn push(&mut self, t: i64) -> Option<Proof> {
        let proven = match (self.first, self.second, self.newest) {
            (Some(first), Some(second), Some(before)) => {
                t - second >= DWELL_S * 1000 && before - first >= DWELL_S * 1000
            }
            _ => false,
        };
        if self.first.is_none() {
            self.first = Some(t);
        } else if self.second.is_none() {
            self.second = Some(t);
        }
        self.newest = Some(t);
        proven.then(|| Proof {
            from: self.first.unwrap_or(t),
            at: t,
        })
    }
}

fn to_time(ms: i64) -> DateTime<Utc> {
    crate::time::from_ms(ms).unwrap_or_default()
}

/// Checkpoints of [`eta_outcomes`]: one per this many seconds of the trip.
pub const OUTCOME_EVERY_S: i64 = 300;
/// Fixes within one slot of this many seconds count once in [`eta_outcomes`]'s replay: the ETA
/// does not need a 1 Hz track, and the Worker's CPU time stays bounded (a two-hour trip replays
/// at most 240 fixes at 24 checkpoints).
const REPLAY_SLOT_MS: i64 = 30_000;
/// Only the last this-many seconds of a trip are replayed.
pub const REPLAY_MAX_S: i64 = 2 * 3600;

/// How the ETA did on a finished trip to `dest`, reached at `arrived_at`: the ETA computed from
/// the fixes known at each [`OUTCOME_EVERY_S`] checkpoint of the trip (as the Worker computed it
/// then, given the fixes had come in order), against the time it really took. Returns
/// (predicted, actual) seconds to go.
pub fn eta_outcomes(
    fixes: &[StoredFix],
    dest: (f64, f64),
    past: &[eta::PastTrip],
    arrived_at: DateTime<Utc>,
) -> Vec<(f64, f64)> {
    let end = arrived_at.timestamp_millis();
    let start = end - REPLAY_MAX_S * 1000;
    let mut kept: Vec<&StoredFix> = fixes
        .iter()
        .filter(|f| (start..end).contains(&f.recorded_at.timestamp_millis()))
        .collect();
    kept.sort_by_key(|f| (f.recorded_at, f.trailer_id.clone()));
    kept.dedup_by_key(|f| {
        (
            f.trailer_id.clone(),
            f.recorded_at.timestamp_millis().div_euclid(REPLAY_SLOT_MS),
        )
    });
    let Some(first) = kept.first().map(|f| f.recorded_at.timestamp_millis()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut at = first;
    while at < end {
        let known: Vec<StoredFix> = kept
            .iter()
            .take_while(|f| f.recorded_at.timestamp_millis() <= at)
            .map(|f| (*f).clone())
            .collect();
        if let Some(r) = eta_reading(&known, dest, past) {
            let actual = (end - r.at.timestamp_millis()) as f64 / 1000.0;
            if actual > 0.0 && r.seconds.is_finite() {
                out.push((r.seconds, actual));
            }
        }
        at += OUTCOME_EVERY_S * 1000;
    }
    out
}

#[cfg(test)]
mod tests;

/// The ETA the texts go by: the trailer expected first, from its fixes (any order, any
/// trailers) and the past trips, as of the device time of its newest fix.
pub fn eta_reading(fixes: &[StoredFix], dest: (f64, f64), past: &[eta::PastTrip]) -> Option<EtaReading> {
    let mut by_trailer: BTreeMap<&str, Vec<eta::Point>> = BTreeMap::new();
    for f in fixes {
        by_trailer
            .entry(f.trailer_id.as_str())
            .or_default()
            .push(eta::Point::new(f.recorded_at, f.lat, f.lon));
    }
    by_trailer
        .into_values()
        .filter_map(|mut track| {
            track.sort_by(|a, b| a.t.total_cmp(&b.t));
            let newest = track.last()?.t;
            let e = eta::estimate_learned(&track, dest, past)?;
            Some(EtaReading {
                at: to_time((newest * 1000.0).round() as i64),
                seconds: e.seconds,
            })
        })
        .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
}
