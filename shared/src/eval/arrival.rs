//! The arrival automation replayed on real trips: each trip's fixes go to an [`Arrival`] as a
//! tracker would upload them (degraded like the ETA evaluation's, and in one more variant also
//! late and out of order), with the ETA the Worker would compute from the fixes so far and the
//! trips that had arrived before. Each trip ends at its last fix; the vehicle is then taken to
//! stay parked there for [`PARKED_S`], reporting as often as before.
//!
//! Ground truth comes from the clean track. The arrival is when the vehicle reached its last
//! fix: the first fix from which it stayed within [`REACHED_M`] of it. For most trips that is
//! the last fix itself; a few buses stood at the terminus for two or three minutes before their
//! last fix, and timing their arrival from that last fix would call a correct detection early.
//! Figures against the last fix are given too.

use chrono::{DateTime, Utc};

use super::{degrade, Rng, Trip, Variant, VARIANTS};
use crate::arrival::{Arrival, EtaReading, Event, JobView, Notice, DEFAULT_ARRIVING_SOON_MIN, DEFAULT_GEOFENCE_M};
use crate::eta::{distance_m, estimate_learned, PastTrip, Point};
use crate::job::JobStatus;
use crate::view::StoredFix;

/// How long the vehicle is taken to stay at its destination after its last fix.
pub const PARKED_S: f64 = 300.0;
/// The vehicle has reached its destination once it stays this close to it: well inside the
/// fence, about a bus's length plus GPS error from the spot.
pub const REACHED_M: f64 = 100.0;
/// An arrival counts as detected within this of the true one.
pub const DETECTED_WITHIN_S: f64 = 90.0;
/// "Arriving soon" is on time between these many minutes before the arrival.
pub const SOON_WINDOW_MIN: (f64, f64) = (7.0, 13.0);
/// The late-upload variant: each fix arrives up to this late, in batches every half minute.
pub const MAX_LATE_S: f64 = 120.0;
const BATCH_S: f64 = 30.0;

/// One way of uploading: the degradation and whether fixes come late and out of order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scenario {
    pub variant: Variant,
    pub late: bool,
}

/// The four degradations of the ETA evaluation, uploaded live, then the worst of them also
/// uploaded late and out of order.
pub fn scenarios() -> Vec<Scenario> {
    let mut all: Vec<Scenario> = VARIANTS
        .iter()
        .map(|v| Scenario {
            variant: *v,
            late: false,
        })
        .collect();
    all.push(Scenario {
        variant: VARIANTS[3],
        late: true,
    });
    all
}

impl Scenario {
    pub fn name(&self) -> String {
        if self.late {
            format!("{}, ≤{MAX_LATE_S:.0} s late", self.variant.name)
        } else {
            self.variant.name.to_string()
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ArrivalFigures {
    pub scenario: String,
    pub trips: usize,
    /// Arrivals detected, and their time (`history`'s `at`) within [`DETECTED_WITHIN_S`] of the
    /// vehicle reaching its destination.
    pub detected: usize,
    /// The same, timed from each trip's last fix.
    pub detected_last_fix: usize,
    /// Seconds from reaching the destination to the fix that confirmed the arrival (when the
    /// "arrived" text goes), per detected trip.
    pub confirmed_after_s: Vec<f64>,
    /// `at_site` while the vehicle was in truth outside the fence.
    pub false_arrivals: usize,
    /// `at_site` more than once, or `en_route_next`, while it stayed parked.
    pub flaps: usize,
    /// Trips long enough for an "arriving soon" in the window (at least its far end).
    pub soon_eligible: usize,
    /// Of those, texts sent within [`SOON_WINDOW_MIN`] before the arrival.
    pub soon_on_time: usize,
    /// The same, timed from the last fix.
    pub soon_on_time_last_fix: usize,
    /// Minutes before the arrival each "arriving soon" went (eligible trips; NaN: none sent).
    pub soon_leads_min: Vec<f64>,
}

impl ArrivalFigures {
    pub fn detected_share(&self) -> f64 {
        self.detected as f64 / self.trips as f64
    }

    pub fn soon_share(&self) -> f64 {
        self.soon_on_time as f64 / self.soon_eligible as f64
    }
}

/// When the clean trip reached its destination (seconds since the epoch).
pub fn reached_at(trip: &Trip) -> f64 {
    let dest = trip.dest();
    let mut at = trip.arrived_at();
    for p in trip.points.iter().rev() {
        if distance_m((p.lat, p.lon), dest) > REACHED_M {
            break;
        }
        at = p.t;
    }
    at
}

fn time(t: f64) -> DateTime<Utc> {
    crate::time::from_ms((t * 1000.0).round() as i64).unwrap_or_default()
}

fn stored(p: &Point) -> StoredFix {
    StoredFix {
        trailer_id: "bus".into(),
        lat: p.lat,
        lon: p.lon,
        recorded_at: time(p.t),
        speed_mps: None,
        heading_deg: None,
        accuracy_m: None,
    }
}

/// The whole track a tracker would send: the trip, then parked at its end.
fn with_parking(trip: &Trip) -> Vec<Point> {
    let mut gaps: Vec<f64> = trip.points.windows(2).map(|w| w[1].t - w[0].t).collect();
    gaps.sort_by(f64::total_cmp);
    let every = gaps.get(gaps.len() / 2).copied().unwrap_or(30.0).max(1.0);
    let end = trip.points[trip.points.len() - 1];
    let mut all = trip.points.clone();
    let mut t = end.t + every;
    while t <= end.t + PARKED_S {
        all.push(Point { t, ..end });
        t += every;
    }
    all
}

pub fn arrival_figures(trips: &[Trip], scenario: &Scenario, seed: u64) -> ArrivalFigures {
    let mut rng = Rng(seed);
    let observed: Vec<Vec<Point>> = trips
        .iter()
        .map(|trip| degrade(&with_parking(trip), &scenario.variant, &mut rng))
        .collect();
    let uploads: Vec<Vec<(f64, Vec<Point>)>> = observed
        .iter()
        .map(|seen| uploads(seen, scenario.late, &mut rng))
        .collect();
    let replayed = replay_in_arrival_order(trips, &observed, &uploads);
    let mut f = ArrivalFigures {
        scenario: scenario.name(),
        trips: trips.len(),
        detected: 0,
        detected_last_fix: 0,
        confirmed_after_s: Vec::new(),
        false_arrivals: 0,
        flaps: 0,
        soon_eligible: 0,
        soon_on_time: 0,
        soon_on_time_last_fix: 0,
        soon_leads_min: Vec::new(),
    };
    for (trip, events) in trips.iter().zip(&replayed) {
        score(&mut f, trip, events);
    }
    f
}

/// Replays each trip's uploads through the automation, trips in the order they arrived, each
/// learning from those whose arrival had been confirmed (as the Worker would keep them: the
/// fixes up to the recorded arrival).
fn replay_in_arrival_order(
    trips: &[Trip],
    observed: &[Vec<Point>],
    uploads: &[Vec<(f64, Vec<Point>)>],
) -> Vec<Vec<(Event, f64)>> {
    let mut order: Vec<usize> = (0..trips.len()).collect();
    order.sort_by(|a, b| trips[*a].arrived_at().total_cmp(&trips[*b].arrived_at()));
    let mut past: Vec<(f64, PastTrip)> = Vec::new();
    let mut replayed: Vec<Vec<(Event, f64)>> = vec![Vec::new(); trips.len()];
    for i in order {
        let events = replay(&trips[i], &uploads[i], &past);
        let arrival = events.iter().find_map(|(e, _)| match e {
            Event::Status {
                status: JobStatus::AtSite,
                at,
                confirmed_at,
            } => Some((*at, *confirmed_at)),
            _ => None,
        });
        if let Some((at, confirmed_at)) = arrival {
            let before: Vec<Point> = observed[i].iter().copied().filter(|p| time(p.t) < at).collect();
            if let Some(trip) = PastTrip::new(&before, trips[i].dest(), at) {
                past.push((confirmed_at.timestamp_millis() as f64 / 1000.0, trip));
            }
        }
        replayed[i] = events;
    }
    replayed
}

/// Adds one trip's outcome to the figures.
fn score(f: &mut ArrivalFigures, trip: &Trip, events: &[(Event, f64)]) {
    let (reached, last_fix) = (reached_at(trip), trip.arrived_at());
    let secs = |t: &DateTime<Utc>| t.timestamp_millis() as f64 / 1000.0;
    let moves: Vec<(JobStatus, f64, f64)> = events
        .iter()
        .filter_map(|(e, _)| match e {
            Event::Status {
                status,
                at,
                confirmed_at,
            } => Some((*status, secs(at), secs(confirmed_at))),
            _ => None,
        })
        .collect();
    if let Some(&(_, at, confirmed)) = moves.iter().find(|m| m.0 == JobStatus::AtSite) {
        f.detected += usize::from((at - reached).abs() <= DETECTED_WITHIN_S);
        f.detected_last_fix += usize::from((at - last_fix).abs() <= DETECTED_WITHIN_S);
        f.confirmed_after_s.push(confirmed - reached);
        // Where the vehicle truly was when the arrival was decided.
        let truth = trip
            .points
            .iter()
            .rev()
            .find(|p| p.t <= confirmed)
            .unwrap_or(&trip.points[0]);
        f.false_arrivals += usize::from(distance_m((truth.lat, truth.lon), trip.dest()) > DEFAULT_GEOFENCE_M);
    }
    f.flaps += usize::from(moves.len() > 1);
    if reached - trip.points[0].t >= SOON_WINDOW_MIN.1 * 60.0 {
        f.soon_eligible += 1;
        let soon = events.iter().find_map(|(e, _)| match e {
            Event::Text {
                notice: Notice::ArrivingSoon,
                at,
            } => Some(at.timestamp_millis() as f64 / 1000.0),
            _ => None,
        });
        let lead = soon.map_or(f64::NAN, |at| (reached - at) / 60.0);
        let on_time = |lead: f64| (SOON_WINDOW_MIN.0..=SOON_WINDOW_MIN.1).contains(&lead);
        f.soon_on_time += usize::from(on_time(lead));
        f.soon_on_time_last_fix += usize::from(soon.is_some_and(|at| on_time((last_fix - at) / 60.0)));
        f.soon_leads_min.push(lead);
    }
}

/// (server time, fixes) in upload order: one fix at a time as recorded, or late and shuffled
/// in batches.
fn uploads(seen: &[Point], late: bool, rng: &mut Rng) -> Vec<(f64, Vec<Point>)> {
    if !late {
        return seen.iter().map(|p| (p.t, vec![*p])).collect();
    }
    let mut arriving: Vec<(f64, Point)> = seen.iter().map(|p| (p.t + rng.next_f64() * MAX_LATE_S, *p)).collect();
    arriving.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut batches: Vec<(f64, Vec<Point>)> = Vec::new();
    for (at, p) in arriving {
        let slot = (at / BATCH_S).ceil() * BATCH_S;
        match batches.last_mut() {
            Some((t, batch)) if *t == slot => batch.push(p),
            _ => batches.push((slot, vec![p])),
        }
    }
    // Within a batch, the order is the tracker's: newest first, say.
    for (_, batch) in &mut batches {
        batch.reverse();
    }
    batches
}

/// Feeds the uploads to a fresh [`Arrival`] as the Worker would: store, estimate from the
/// fixes so far, update, apply the moves. Returns the events with the server time they came.
fn replay(trip: &Trip, uploads: &[(f64, Vec<Point>)], past: &[(f64, PastTrip)]) -> Vec<(Event, f64)> {
    let dest = trip.dest();
    let mut job = JobView {
        status: JobStatus::EnRoute,
        destination: dest,
        geofence_m: DEFAULT_GEOFENCE_M,
        window_end: None,
        notify: true,
        opted_out: false,
        arriving_soon_min: DEFAULT_ARRIVING_SOON_MIN,
        now: time(trip.points[0].t),
    };
    let mut state = Arrival::default();
    let mut known: Vec<Point> = Vec::new();
    let mut events = Vec::new();
    for (now, batch) in uploads {
        known.extend(batch.iter().copied());
        known.sort_by(|a, b| a.t.total_cmp(&b.t));
        let newest = known[known.len() - 1];
        let learned: Vec<PastTrip> = past
            .iter()
            .filter(|(known_from, _)| *known_from < newest.t)
            .map(|(_, p)| p.clone())
            .collect();
        let reading = job.status.is_moving().then(|| {
            let e = estimate_learned(&known, dest, &learned).expect("a fix is known");
            EtaReading {
                at: time(newest.t),
                seconds: e.seconds,
            }
        });
        job.now = time(*now);
        let fixes: Vec<StoredFix> = batch.iter().map(stored).collect();
        for e in state.update(&job, &fixes, reading) {
            if let Event::Status { status, .. } = e {
                job.status = status;
            }
            events.push((e, *now));
        }
    }
    events
}

/// The figures as a table, one row per scenario.
pub fn table(figures: &[ArrivalFigures]) -> String {
    let mut out = format!(
        "{:<40} {:>15} {:>10} {:>16} {:>6} {:>6} {:>16} {:>10}\n",
        "arrival on the real trips",
        "arrival ≤90 s",
        "last fix",
        "confirmed +s p50/max",
        "false",
        "flaps",
        "soon 7-13 min",
        "last fix"
    );
    for f in figures {
        let mut after = f.confirmed_after_s.clone();
        after.sort_by(f64::total_cmp);
        let (median, max) = (super::median(after.clone()), after.last().copied().unwrap_or(f64::NAN));
        out += &format!(
            "{:<40} {:>7}/{} {:>4.0}% {:>7}/{} {:>13.0}/{:<6.0} {:>6} {:>6} {:>6}/{} {:>4.0}% {:>7}/{}\n",
            f.scenario,
            f.detected,
            f.trips,
            f.detected_share() * 100.0,
            f.detected_last_fix,
            f.trips,
            median,
            max,
            f.false_arrivals,
            f.flaps,
            f.soon_on_time,
            f.soon_eligible,
            f.soon_share() * 100.0,
            f.soon_on_time_last_fix,
            f.soon_eligible
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{bus_trips, SEED};

    /// The targets: arrivals detected within 90 s in at least 95 % of the trips, none
    /// false, and "arriving soon" 7-13 minutes ahead in at least 80 % of the long trips: 11 of
    /// 13 (85 %) in every scenario at this seed, and at five others but for the late uploads
    /// (10-11 of 13). The two misses are ETA errors of 30-40 % at the ten-minute mark (one text
    /// 14 minutes ahead, one 6), each with its own cause (BENCHMARKS.md § ETA and "arriving
    /// soon").
    const SOON_ON_TIME: f64 = 0.8;

    #[test]
    fn arrivals_and_texts_on_the_real_trips() {
        let trips = bus_trips();
        let figures: Vec<ArrivalFigures> = scenarios().iter().map(|s| arrival_figures(&trips, s, SEED)).collect();
        print!("{}", table(&figures));
        for f in &figures {
            println!("{}: arriving soon, minutes ahead: {:.1?}", f.scenario, f.soon_leads_min);
        }
        for f in &figures {
            assert!(
                f.detected_share() >= 0.95,
                "{}: detected {}/{}",
                f.scenario,
                f.detected,
                f.trips
            );
            assert_eq!(f.false_arrivals, 0, "{}", f.scenario);
            assert_eq!(f.flaps, 0, "{}", f.scenario);
            assert!(f.soon_eligible >= 10, "{}: {} long trips", f.scenario, f.soon_eligible);
            assert!(
                f.soon_share() >= SOON_ON_TIME,
                "{}: arriving soon on time {}/{}",
                f.scenario,
                f.soon_on_time,
                f.soon_eligible
            );
        }
    }

    #[test]
    fn the_arrival_is_when_the_vehicle_stays_near_its_last_fix() {
        let p = |t: f64, north_m: f64| Point {
            t,
            lat: 53.0 + north_m / 111_195.0,
            lon: -2.0,
        };
        let trip = Trip {
            id: "t".into(),
            points: vec![
                p(0.0, -900.0),
                p(30.0, -300.0),
                p(60.0, -90.0),
                p(90.0, -95.0),
                p(120.0, -200.0),
                p(150.0, -60.0),
                p(180.0, 0.0),
            ],
        };
        assert_eq!(reached_at(&trip), 150.0);
    }
}
