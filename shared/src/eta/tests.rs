//! The estimator against real bus trips (`testdata/liverpool_bus_route14_outbound.csv`, a copy
//! of `../shared/data/`), through [`crate::eval::eta`]: each trip's last fix is its destination;
//! we predict at 20/40/60/80 % of the trip and compare with the real remaining time, clean and
//! degraded (GPS jitter, 30 % of fixes dropped), against a constant 30 km/h straight-line
//! baseline.

use super::*;
use crate::eval::eta::{eta_figures, eta_figures_with};
use crate::eval::{bus_trips, SEED, VARIANTS};

/// Learned from past trips where they exist, the estimate is within this of the truth half the
/// time, whatever the degradation: 0.114-0.125 at this seed, at worst 0.137 over ten others.
/// (The target is 0.10; these trips vary too much from one to the next for that: even
/// with every other trip as history, `eval::eta::learned_ceiling`, it scores 0.11-0.14. What
/// was tried: BENCHMARKS.md § ETA and "arriving soon".)
const LEARNED_MDAPE: f64 = 0.14;

#[test]
fn beats_half_the_baseline_error_on_real_trips() {
    let trips = bus_trips();
    for v in VARIANTS {
        let s = eta_figures(&trips, &v, SEED);
        println!(
            "ETA {:>26}: ours MdAPE {:5.1}% (live only {:5.1}%)  baseline {:5.1}%  ratio {:.2}  ({} predictions)",
            v.name,
            s.learned * 100.0,
            s.live * 100.0,
            s.baseline * 100.0,
            s.learned / s.baseline,
            s.predictions
        );
        assert!(
            s.live <= 0.5 * s.baseline,
            "{}: live {:.3} vs baseline {:.3}",
            v.name,
            s.live,
            s.baseline
        );
        assert!(s.learned <= LEARNED_MDAPE, "{}: learned {:.3}", v.name, s.learned);
        assert!(
            s.learned < s.live,
            "{}: learned {:.3} vs live {:.3}",
            v.name,
            s.learned,
            s.live
        );
    }
}

#[test]
fn arrival_and_edge_cases() {
    assert!(estimate(&[], (0.0, 0.0)).is_none());
    let at = Point {
        t: 0.0,
        lat: 53.0,
        lon: -2.0,
    };
    assert_eq!(estimate(&[at], (53.0, -2.0)).unwrap().seconds, 0.0);
    // One fix 4 km away: the prior alone.
    let one = estimate(&[at], (53.0 + 4000.0 / 111_195.0, -2.0)).unwrap();
    assert!((one.seconds - 1000.0).abs() < 5.0, "{}", one.seconds);
}

#[test]
fn a_parked_trailer_gets_a_long_but_finite_estimate() {
    let track: Vec<Point> = (0..60)
        .map(|i| Point {
            t: i as f64 * 10.0,
            lat: 53.0,
            lon: -2.0,
        })
        .collect();
    let e = estimate(&track, (53.1, -2.0)).unwrap();
    assert!(e.seconds.is_finite() && e.seconds > e.distance_m / PRIOR_CLOSURE_MPS);
}

/// `n` fixes 10 s apart, each ~55 m north of the last (5.6 m/s).
fn northbound(n: usize) -> Vec<Point> {
    (0..n)
        .map(|i| Point {
            t: i as f64 * 10.0,
            lat: 53.0 + i as f64 * 0.0005,
            lon: -2.0,
        })
        .collect()
}

#[test]
fn a_real_jump_is_followed() {
    // Reporting resumes 3 km further on: the newest fix is the truth, not a glitch.
    let mut track = northbound(10);
    track.push(Point {
        t: 120.0,
        lat: 53.03,
        lon: -2.0,
    });
    let e = estimate(&track, (53.04, -2.0)).unwrap();
    assert!((e.distance_m - 1112.0).abs() < 5.0, "{}", e.distance_m);
    track.push(Point {
        t: 130.0,
        lat: 53.0305,
        lon: -2.0,
    });
    let e = estimate(&track, (53.04, -2.0)).unwrap();
    assert!((e.distance_m - 1056.0).abs() < 5.0, "{}", e.distance_m);
}

#[test]
fn a_teleporting_fix_is_ignored() {
    let mut track = northbound(30);
    let clean = estimate(&track, (53.1, -2.0)).unwrap();
    track.insert(
        15,
        Point {
            t: 145.0,
            lat: 54.0,
            lon: -2.0,
        },
    );
    let glitch = estimate(&track, (53.1, -2.0)).unwrap();
    assert!((clean.seconds - glitch.seconds).abs() < 1.0);
}

/// The figures over ten other seeds, to tell a change from luck:
/// `cargo test -p qdn-shared figures_over_seeds -- --ignored --nocapture`.
#[test]
#[ignore]
fn figures_over_seeds() {
    let trips = bus_trips();
    for v in VARIANTS {
        let runs: Vec<_> = (1..=10u64).map(|s| eta_figures(&trips, &v, 0x5eed_0000 + s)).collect();
        let mean = |f: fn(&crate::eval::eta::EtaFigures) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
        let worst = runs.iter().map(|r| r.learned).fold(0.0, f64::max);
        println!(
            "{:>26}: learned mean {:.3} worst {worst:.3}, live mean {:.3}",
            v.name,
            mean(|r| r.learned),
            mean(|r| r.live)
        );
    }
}

/// Tuning aid: `cargo test -p qdn-shared --release tune_parameters -- --ignored --nocapture`.
#[test]
#[ignore]
fn tune_parameters() {
    let trips = bus_trips();
    let grid = [0.1, 0.2, 0.3].into_iter().flat_map(|cv| {
        [3.5, 4.0, 5.0].into_iter().flat_map(move |prior| {
            [180.0, 300.0, 600.0]
                .into_iter()
                .flat_map(move |window| [300.0, 600.0, 1200.0].map(|ht| (cv, prior, window, ht)))
        })
    });
    for (cv, prior, window, ht) in grid {
        let p = Params {
            prior_mps: prior,
            window_s: window,
            half_trust_s: ht,
            steady_cv: cv,
        };
        let (mut worst, mut learned, mut live) = (0.0f64, 0.0, 0.0);
        for v in VARIANTS {
            for seed in [1u64, 2, 3] {
                let s = eta_figures_with(&trips, &v, 0x5eed_0000 + seed, &p);
                worst = worst.max(s.learned);
                learned += s.learned / 12.0;
                live += s.live / 12.0;
            }
        }
        println!(
            "cv {cv} prior {prior} window {window} ht {ht}: learned {learned:.3} (worst {worst:.3}), live {live:.3}"
        );
    }
}

/// A truck heading north on a highway at 25 m/s, a fix every 30 s for `mins` minutes.
fn highway(t0: f64, mins: usize) -> Vec<Point> {
    (0..mins * 2)
        .map(|i| Point {
            t: t0 + i as f64 * 30.0,
            lat: 52.0 + i as f64 * 750.0 / 111_195.0,
            lon: -1.5,
        })
        .collect()
}

#[test]
fn a_highway_truck_is_not_estimated_at_city_speed() {
    // 40 minutes in, 100 km to go: the live closure speed wins over the city prior.
    let track = highway(0.0, 40);
    let dest = (track.last().unwrap().lat + 100_000.0 / 111_195.0, -1.5);
    let e = estimate(&track, dest).unwrap();
    assert!((e.seconds - 4000.0).abs() < 200.0, "{}", e.seconds);
    // Past trips on other roads change nothing.
    let elsewhere: Vec<PastTrip> = (0..5)
        .map(|d| {
            let t0 = d as f64 * 86_400.0;
            let other: Vec<Point> = highway(t0, 60).iter().map(|p| Point { lon: -3.0, ..*p }).collect();
            let end = *other.last().unwrap();
            PastTrip::new(&other, (end.lat, end.lon), at(end.t + 30.0)).unwrap()
        })
        .collect();
    let learned = estimate_learned(&track, dest, &elsewhere);
    assert_eq!(learned, estimate_learned(&track, dest, &[]));
    // At a steady speed the estimate keeps to itself, so the texts' estimate is the live one.
    let learned = learned.unwrap();
    assert!(
        (learned.seconds - e.seconds).abs() < 0.01 * e.seconds,
        "{learned:?} vs {e:?}"
    );
}

fn at(t: f64) -> chrono::DateTime<chrono::Utc> {
    crate::time::from_ms((t * 1000.0) as i64).unwrap()
}

#[test]
fn past_trips_on_the_same_road_pull_the_estimate_toward_their_times() {
    // On six earlier days, trucks took 3000 s for the last 100 km (the road ahead is faster
    // than the stretch before it). Today's truck is 40 minutes in at 25 m/s.
    let track = highway(86_400.0 * 10.0, 40);
    let dest = (track.last().unwrap().lat + 100_000.0 / 111_195.0, -1.5);
    let live = estimate(&track, dest).unwrap().seconds;
    let past: Vec<PastTrip> = (0..6)
        .map(|d| {
            let mut pts = highway(86_400.0 * d as f64, 40);
            let last = *pts.last().unwrap();
            // Then 100 km at ~33 m/s to the same destination.
            pts.extend((1..=100).map(|i| Point {
                t: last.t + i as f64 * 30.0,
                lat: last.lat + i as f64 * 1000.0 / 111_195.0,
                lon: -1.5,
            }));
            PastTrip::new(&pts, dest, at(last.t + 3000.0)).unwrap()
        })
        .collect();
    let learned = estimate_learned(&track, dest, &past).unwrap().seconds;
    // Six trips weigh 1.5 against the live estimate's 1, in log time.
    let expected = ((1.5 * 3000f64.ln() + live.ln()) / 2.5).exp();
    assert!(
        (learned - expected).abs() < 30.0,
        "{learned} vs {expected} (live {live})"
    );
    assert!(learned < live - 300.0);
}

/// A bus-like approach: 5 m/s north, a fix every 10 s for `secs`, toward a stop 3 km past where
/// the track ends, then `stand_s` standing still.
fn approach_then_stand(secs: usize, stand_s: usize) -> (Vec<Point>, (f64, f64)) {
    let mut track: Vec<Point> = (0..=secs / 10)
        .map(|i| Point {
            t: i as f64 * 10.0,
            lat: 53.0 + i as f64 * 50.0 / 111_195.0,
            lon: -2.0,
        })
        .collect();
    let stop = *track.last().unwrap();
    track.extend((1..=stand_s / 10).map(|i| Point {
        t: stop.t + i as f64 * 10.0,
        ..stop
    }));
    (track, (stop.lat + 3000.0 / 111_195.0, -2.0))
}

#[test]
fn a_stop_moves_the_texts_estimate_half_as_far_as_the_live_one() {
    let (moving, dest) = approach_then_stand(1200, 0);
    let before = estimate(&moving, dest).unwrap().seconds;
    // Driving steadily, the estimate keeps to itself and nothing is damped.
    let steady = estimate_learned(&moving, dest, &[]).unwrap().seconds;
    assert!((steady - before).abs() < 0.01 * before, "{steady} vs {before}");
    // Three minutes standing ten minutes out: the live estimate jumps by half, the texts'
    // estimate rises by a fraction of that, so a stop does not hold "arriving soon" back.
    let (stood, dest) = approach_then_stand(1200, 180);
    let live = estimate(&stood, dest).unwrap().seconds;
    let learned = estimate_learned(&stood, dest, &[]).unwrap().seconds;
    assert!(live > 1.5 * before, "live {live} vs {before} before the stop");
    assert!(
        learned > before && learned < 1.25 * before,
        "learned {learned} vs {before}"
    );
    let share = (learned / before).ln() / (live / before).ln();
    assert!(
        (0.3..0.6).contains(&share),
        "rose {share} as far (in log time) as the live estimate"
    );
}

#[test]
fn after_a_gap_in_reporting_the_new_estimate_stands() {
    // Fifteen minutes without fixes, then the trailer reports again much closer: the estimate
    // from before the gap is stale, so the texts' estimate is the live one.
    let mut track = northbound(30);
    let last = *track.last().unwrap();
    track.extend((1..=10).map(|i| Point {
        t: last.t + 900.0 + i as f64 * 10.0,
        lat: 53.05 + i as f64 * 0.0005,
        lon: -2.0,
    }));
    let dest = (53.07, -2.0);
    assert_eq!(estimate_learned(&track, dest, &[]), estimate(&track, dest));
}
