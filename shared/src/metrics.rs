//! The relay's figures per day (`GET /api/metrics/relay`), and when a dispatcher is on call:
//! pure functions over the audit rows and the roster, so the Worker and the console share them.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::relay::roster::{eligibility, LocalTime, Roster, Tier};

pub mod eta;

/// The most days one request may ask for (the audit log keeps 90).
pub const MAX_DAYS: u32 = 90;
/// Availability is sampled this often through a day.
const SAMPLE_MIN: i64 = 5;

/// One relayed message, as the metrics need it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageFact {
    pub created_at: DateTime<Utc>,
    /// `open`, `acked` or `exhausted`.
    pub state: String,
    pub failovers: u32,
    /// When a dispatcher acknowledged it (the acked attempt's last change).
    pub acked_at: Option<DateTime<Utc>>,
}

/// One attempt whose text Twilio reported delivered: sent at `sent_at`, delivered at `delivered_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryFact {
    pub sent_at: DateTime<Utc>,
    pub delivered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub dispatcher_id: String,
    /// 0..1 of the day (so far, for today) the dispatcher could be relayed to.
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayDay {
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    pub relayed: u32,
    pub failovers: u32,
    pub exhausted: u32,
    pub acknowledged: u32,
    pub ack_p50_s: Option<f64>,
    pub ack_p90_s: Option<f64>,
    pub delivery_p50_s: Option<f64>,
    pub availability: Vec<Share>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayMetrics {
    pub days: Vec<RelayDay>,
}

/// The `days` query parameter: 1 to [`MAX_DAYS`], 7 when absent.
pub fn days_param(raw: Option<&str>) -> Result<u32, crate::body::Invalid> {
    let Some(raw) = raw else {
        return Ok(7);
    };
    raw.parse::<u32>()
        .ok()
        .filter(|d| (1..=MAX_DAYS).contains(d))
        .ok_or_else(|| crate::body::Invalid::new("invalid_days", format!("days must be 1 to {MAX_DAYS}")))
}

/// Midnight UTC of the first of the `days` days ending today.
pub fn window_start(days: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = now.date_naive();
    let first = today - Duration::days(days.max(1) as i64 - 1);
    Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The `p`-th percentile (0..=100) by nearest rank; `None` of nothing.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v.get(rank.min(v.len()) - 1).copied()
}

/// The roster as it stood from `since` until the next version: the metrics judge each moment of a
/// past day by the roster of that moment, so a day a dispatcher switched off shows as such.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterVersion {
    pub since: DateTime<Utc>,
    pub roster: Roster,
}

impl RosterVersion {
    /// One roster for all time (no history kept: the settings' roster).
    pub fn always(roster: Roster) -> Vec<RosterVersion> {
        vec![RosterVersion {
            since: DateTime::<Utc>::MIN_UTC,
            roster,
        }]
    }
}

/// The version in effect at `t` (`versions` oldest first); before the first, the first: what
/// came before it was never recorded, and it is the best guess.
fn version_at(versions: &[RosterVersion], t: DateTime<Utc>) -> Option<&RosterVersion> {
    let after = versions.partition_point(|v| v.since <= t);
    versions.get(after.saturating_sub(1))
}

/// The share of `[from, to)` that `dispatcher_id` could be relayed to (on the roster, available
/// and on call in its zone), sampled every 5 minutes, each sample by the roster of its moment.
/// Heartbeats are left out: a past day's are not kept.
pub fn available_share(
    versions: &[RosterVersion],
    dispatcher_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    clock: &dyn LocalTime,
) -> f64 {
    let (mut t, mut total, mut on) = (from, 0u32, 0u32);
    while t < to {
        total += 1;
        let on_call = version_at(versions, t).is_some_and(|v| {
            v.roster
                .tiers
                .iter()
                .find(|tier| tier.dispatcher_id == dispatcher_id)
                .is_some_and(|tier| eligibility(&v.roster, tier, None, t, clock).is_ok())
        });
        if on_call {
            on += 1;
        }
        t += Duration::minutes(SAMPLE_MIN);
    }
    if total == 0 {
        0.0
    } else {
        on as f64 / total as f64
    }
}

/// The dispatchers on the roster at any moment of `[from, to)`: the newest version's order
/// first, then anyone only an older version had.
fn dispatchers_during(versions: &[RosterVersion], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<String> {
    let first = versions.partition_point(|v| v.since <= from).saturating_sub(1);
    let last = versions.partition_point(|v| v.since < to);
    let mut ids: Vec<String> = Vec::new();
    for v in versions[first..last.max(first + 1).min(versions.len())].iter().rev() {
        for t in &v.roster.tiers {
            if !ids.contains(&t.dispatcher_id) {
                ids.push(t.dispatcher_id.clone());
            }
        }
    }
    ids
}

/// Whether `tier` is on call at `now`, else the first minute within `horizon` it will be
/// (`Never`: unavailable, or no window in that time). Times are tried in UTC through the zone's
/// clock, so a window that a DST change shifts is found where it really starts; a window
/// shorter than 5 minutes may be missed.
pub fn next_on_call(
    roster: &Roster,
    tier: &Tier,
    now: DateTime<Utc>,
    horizon: Duration,
    clock: &dyn LocalTime,
) -> OnCallNow {
    let ok = |t| eligibility(roster, tier, None, t, clock).is_ok();
    if ok(now) {
        return OnCallNow::Now;
    }
    if !tier.available {
        return OnCallNow::Never;
    }
    // Whole minutes from the next one (windows are written in minutes), five at a time, then
    // back minute by minute to where the window starts: a browser asks `Intl` for each step.
    let start = now + Duration::seconds(60 - now.timestamp().rem_euclid(60));
    let mut t = start;
    while t < now + horizon {
        if ok(t) {
            let mut first = t;
            while first > start && ok(first - Duration::minutes(1)) {
                first -= Duration::minutes(1);
            }
            return OnCallNow::At(first);
        }
        t += Duration::minutes(SAMPLE_MIN);
    }
    OnCallNow::Never
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnCallNow {
    Now,
    At(DateTime<Utc>),
    Never,
}

/// The figures of each of the `days` UTC days ending on `now`'s day, oldest first.
pub fn relay_days(
    days: u32,
    now: DateTime<Utc>,
    messages: &[MessageFact],
    deliveries: &[DeliveryFact],
    roster: &[RosterVersion],
    clock: &dyn LocalTime,
) -> RelayMetrics {
    let start = window_start(days, now);
    let out = (0..days.max(1) as i64)
        .map(|i| {
            let from = start + Duration::days(i);
            let to = from + Duration::days(1);
            let in_day = |t: DateTime<Utc>| t >= from && t < to;
            let msgs: Vec<&MessageFact> = messages.iter().filter(|m| in_day(m.created_at)).collect();
            let acks: Vec<f64> = msgs
                .iter()
                .filter_map(|m| {
                    m.acked_at
                        .map(|a| (a - m.created_at).num_milliseconds() as f64 / 1000.0)
                })
                .collect();
            let delivered: Vec<f64> = deliveries
                .iter()
                .filter(|d| in_day(d.sent_at))
                .map(|d| (d.delivered_at - d.sent_at).num_milliseconds() as f64 / 1000.0)
                .collect();
            let until = to.min(now);
            RelayDay {
                day: day_name(from.date_naive()),
                relayed: msgs.len() as u32,
                failovers: msgs.iter().map(|m| m.failovers).sum(),
                exhausted: msgs.iter().filter(|m| m.state == "exhausted").count() as u32,
                acknowledged: msgs.iter().filter(|m| m.state == "acked").count() as u32,
                ack_p50_s: percentile(&acks, 50.0),
                ack_p90_s: percentile(&acks, 90.0),
                delivery_p50_s: percentile(&delivered, 50.0),
                availability: dispatchers_during(roster, from, until)
                    .into_iter()
                    .map(|id| Share {
                        share: (available_share(roster, &id, from, until, clock) * 1000.0).round() / 1000.0,
                        dispatcher_id: id,
                    })
                    .collect(),
            }
        })
        .collect();
    RelayMetrics { days: out }
}

fn day_name(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relay::roster::tests::{tier, Tz};
    use crate::relay::roster::{ClockTime, OnCall};

    fn utc(s: &str) -> DateTime<Utc> {
        crate::time::parse_timestamp(s).unwrap()
    }

    fn roster(tiers: Vec<Tier>) -> Roster {
        let mut r = Roster::from_phones(&[]);
        r.tiers = tiers;
        r
    }

    fn nine_to_five(id: &str) -> Tier {
        let mut t = tier(id, "+15550100101");
        t.on_call = Some(OnCall {
            tz: "America/Chicago".into(),
            days: None,
            from: ClockTime(9 * 60),
            to: ClockTime(17 * 60),
        });
        t
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[7.0], 90.0), Some(7.0));
        let v: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(5.0));
        assert_eq!(percentile(&v, 90.0), Some(9.0));
        assert_eq!(percentile(&v, 100.0), Some(10.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
    }

    #[test]
    fn days_parameter_is_bounded() {
        assert_eq!(days_param(None).unwrap(), 7);
        assert_eq!(days_param(Some("30")).unwrap(), 30);
        for bad in ["0", "91", "-1", "x", ""] {
            assert_eq!(days_param(Some(bad)).unwrap_err().code, "invalid_days", "{bad}");
        }
    }

    #[test]
    fn messages_fall_into_their_utc_day_with_their_figures() {
        let now = utc("2026-11-22T12:00:00Z");
        let m = |at: &str, state: &str, failovers, ack_after_s: Option<i64>| MessageFact {
            created_at: utc(at),
            state: state.into(),
            failovers,
            acked_at: ack_after_s.map(|s| utc(at) + Duration::seconds(s)),
        };
        let messages = vec![
            m("2026-11-21T23:59:59Z", "acked", 0, Some(100)),
            m("2026-11-22T00:00:00Z", "acked", 1, Some(10)),
            m("2026-11-22T08:00:00Z", "acked", 0, Some(20)),
            m("2026-11-22T09:00:00Z", "acked", 2, Some(60)),
            m("2026-11-22T10:00:00Z", "exhausted", 3, None),
            m("2026-11-20T10:00:00Z", "acked", 0, Some(5)), // outside a 2-day window
        ];
        let deliveries = vec![DeliveryFact {
            sent_at: utc("2026-11-22T08:00:01Z"),
            delivered_at: utc("2026-11-22T08:00:04Z"),
        }];
        let r = roster(vec![tier("ann", "+15550100101")]);
        let got = relay_days(2, now, &messages, &deliveries, &RosterVersion::always(r), &Tz);
        assert_eq!(got.days.len(), 2);
        let (y, t) = (&got.days[0], &got.days[1]);
        assert_eq!(y.day, "2026-11-21");
        assert_eq!((y.relayed, y.acknowledged, y.ack_p50_s), (1, 1, Some(100.0)));
        assert_eq!(y.delivery_p50_s, None);
        assert_eq!(t.day, "2026-11-22");
        assert_eq!((t.relayed, t.failovers, t.exhausted, t.acknowledged), (4, 6, 1, 3));
        assert_eq!((t.ack_p50_s, t.ack_p90_s), (Some(20.0), Some(60.0)));
        assert_eq!(t.delivery_p50_s, Some(3.0));
        assert_eq!(t.availability[0].share, 1.0, "always on call, always available");
    }

    #[test]
    fn availability_is_the_share_of_the_day_on_call() {
        let mut off = nine_to_five("bob");
        off.available = false;
        let r = RosterVersion::always(roster(vec![nine_to_five("ann"), off]));
        // 8 of 24 hours on a day without a DST change.
        let share = available_share(&r, "ann", utc("2026-06-01T00:00:00Z"), utc("2026-06-02T00:00:00Z"), &Tz);
        assert!((share - 8.0 / 24.0).abs() < 0.01, "{share}");
        assert_eq!(
            available_share(&r, "bob", utc("2026-06-01T00:00:00Z"), utc("2026-06-02T00:00:00Z"), &Tz),
            0.0
        );
        // Today so far: up to now only.
        let m = relay_days(1, utc("2026-06-01T18:00:00Z"), &[], &[], &r, &Tz);
        // 00:00-18:00 UTC is 19:00-13:00 Chicago (CDT): on call 09:00-13:00 = 4 of 18 hours.
        assert!(
            (m.days[0].availability[0].share - 4.0 / 18.0).abs() < 0.01,
            "{:?}",
            m.days[0]
        );
    }

    #[test]
    fn each_day_is_judged_by_the_roster_of_its_moments() {
        // Ann always on call; at noon UTC on the 20th she switched herself off until the same
        // time on the 21st, when Bob joined; on the 22nd at 06:00 Ann left the roster.
        let ann = tier("ann", "+15550100101");
        let mut ann_off = ann.clone();
        ann_off.available = false;
        let bob = tier("bob", "+15550100102");
        let versions = vec![
            RosterVersion {
                since: utc("2026-11-01T00:00:00Z"),
                roster: roster(vec![ann.clone()]),
            },
            RosterVersion {
                since: utc("2026-11-20T12:00:00Z"),
                roster: roster(vec![ann_off]),
            },
            RosterVersion {
                since: utc("2026-11-21T12:00:00Z"),
                roster: roster(vec![ann, bob.clone()]),
            },
            RosterVersion {
                since: utc("2026-11-22T06:00:00Z"),
                roster: roster(vec![bob]),
            },
        ];
        let m = relay_days(4, utc("2026-11-22T18:00:00Z"), &[], &[], &versions, &Tz);
        let share = |day: usize, id: &str| {
            m.days[day]
                .availability
                .iter()
                .find(|s| s.dispatcher_id == id)
                .map(|s| s.share)
        };
        assert_eq!(m.days[0].day, "2026-11-19");
        assert_eq!(
            (share(0, "ann"), share(0, "bob")),
            (Some(1.0), None),
            "before any change"
        );
        assert_eq!(share(1, "ann"), Some(0.5), "off from noon");
        assert_eq!(
            (share(2, "ann"), share(2, "bob")),
            (Some(0.5), Some(0.5)),
            "back, and Bob joined, at noon"
        );
        // Today so far (18 h): Ann for the first 6 h, then gone from the roster; Bob throughout.
        assert_eq!((share(3, "bob"), share(3, "ann")), (Some(1.0), Some(0.333)));
        assert_eq!(
            m.days[3].availability[0].dispatcher_id, "bob",
            "the current roster's order first"
        );
        // No history kept at all: the one roster judges every day.
        let flat = relay_days(
            2,
            utc("2026-11-22T18:00:00Z"),
            &[],
            &[],
            &RosterVersion::always(roster(vec![tier("cy", "+15550100103")])),
            &Tz,
        );
        assert!(flat.days.iter().all(|d| d.availability[0].share == 1.0));
    }

    #[test]
    fn next_on_call_across_a_dst_change() {
        let r = roster(vec![nine_to_five("ann")]);
        let t = &r.tiers[0];
        // Chicago leaves DST on Sunday 2026-11-01: 09:00 CDT was 14:00 UTC the day before,
        // 09:00 CST is 15:00 UTC that day.
        assert_eq!(
            next_on_call(&r, t, utc("2026-10-31T20:30:00Z"), Duration::days(2), &Tz),
            OnCallNow::Now,
            "15:30 CDT"
        );
        assert_eq!(
            next_on_call(&r, t, utc("2026-11-01T03:00:00Z"), Duration::days(2), &Tz),
            OnCallNow::At(utc("2026-11-01T15:00:00Z"))
        );
        // And into DST in March: 09:00 CDT on Sunday 2026-03-08 is 14:00 UTC.
        assert_eq!(
            next_on_call(&r, t, utc("2026-03-08T05:00:00Z"), Duration::days(2), &Tz),
            OnCallNow::At(utc("2026-03-08T14:00:00Z"))
        );
        let mut off = nine_to_five("bob");
        off.available = false;
        assert_eq!(
            next_on_call(&r, &off, utc("2026-03-08T05:00:00Z"), Duration::days(2), &Tz),
            OnCallNow::Never
        );
    }
}
