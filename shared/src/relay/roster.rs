//! The relay roster: ordered tiers of dispatchers, and who may be tried now.

use chrono::{DateTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::body::{Object, RequestBody};
use crate::ErrorCode;

/// An on-call window, parsed once when the roster is set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnCall {
    /// IANA time zone, e.g. `America/Chicago`.
    pub tz: String,
    /// Days the window starts on; every day when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<Day>>,
    /// Local; a window whose `to` is before `from` runs overnight.
    pub from: ClockTime,
    pub to: ClockTime,
}

/// A weekday, written `mon`..`sun` (any case when read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Day(pub Weekday);

impl TryFrom<String> for Day {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        weekday(&s).map(Day).ok_or("days are mon..sun")
    }
}

impl From<Day> for String {
    fn from(d: Day) -> String {
        d.0.to_string().to_ascii_lowercase()
    }
}

/// Minutes since local midnight, written `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClockTime(pub u32);

impl TryFrom<String> for ClockTime {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        hhmm(&s).map(ClockTime).ok_or("times are HH:MM")
    }
}

impl From<ClockTime> for String {
    fn from(t: ClockTime) -> String {
        format!("{:02}:{:02}", t.0 / 60, t.0 % 60)
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tier {
    pub dispatcher_id: String,
    #[serde(default)]
    pub name: String,
    pub phone: String,
    #[serde(default = "yes")]
    pub available: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_call: Option<OnCall>,
}

fn ack_timeout() -> u32 {
    30
}
fn backoff() -> Vec<u32> {
    vec![2, 4, 8]
}
fn stale() -> u32 {
    600
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roster {
    pub tiers: Vec<Tier>,
    #[serde(default = "ack_timeout")]
    pub ack_timeout_s: u32,
    #[serde(default = "backoff")]
    pub backoff_s: Vec<u32>,
    #[serde(default = "stale")]
    pub heartbeat_stale_s: u32,
}

impl Roster {
    /// The default roster from the `*_HANDLER_PHONE` settings (those that are set).
    pub fn from_phones(phones: &[(&str, Option<String>)]) -> Roster {
        let tiers = phones
            .iter()
            .filter_map(|(id, p)| {
                p.as_ref().filter(|p| crate::phone::is_e164(p)).map(|p| Tier {
                    dispatcher_id: id.to_string(),
                    name: id.to_string(),
                    phone: p.clone(),
                    available: true,
                    on_call: None,
                })
            })
            .collect();
        Roster {
            tiers,
            ack_timeout_s: ack_timeout(),
            backoff_s: backoff(),
            heartbeat_stale_s: stale(),
        }
    }

    /// Seconds to wait before the attempt after `failovers` failures.
    pub fn backoff_after(&self, failovers: u32) -> u32 {
        let i = (failovers.max(1) as usize - 1).min(self.backoff_s.len().saturating_sub(1));
        self.backoff_s.get(i).copied().unwrap_or(0)
    }

    /// A tier whose last heartbeat is older than `heartbeat_stale_s` is skipped (and alerted on).
    pub fn heartbeat_is_stale(&self, last: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        (now - last).num_seconds() > self.heartbeat_stale_s as i64
    }

    /// The tiers in the order a job's message tries them: its assigned dispatcher (when on the
    /// roster) first, then every other tier in roster order, each once.
    pub fn in_order_for<'a>(&'a self, assigned: Option<&'a str>) -> impl Iterator<Item = &'a Tier> + 'a {
        let first = assigned.and_then(|id| self.tiers.iter().find(|t| t.dispatcher_id == id));
        first.into_iter().chain(
            self.tiers
                .iter()
                .filter(move |t| Some(t.dispatcher_id.as_str()) != first.map(|f| f.dispatcher_id.as_str())),
        )
    }

    /// Roster positions in [`Roster::in_order_for`] order (the call path dials by position).
    pub fn positions_for(&self, assigned: Option<&str>) -> Vec<usize> {
        let first = assigned.and_then(|id| self.tiers.iter().position(|t| t.dispatcher_id == id));
        first
            .into_iter()
            .chain((0..self.tiers.len()).filter(|i| Some(*i) != first))
            .collect()
    }

    pub fn by_phone(&self, phone: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.phone == phone)
    }
}

/// Each dispatcher's last heartbeat.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Heartbeats(pub Vec<(String, DateTime<Utc>)>);

impl Heartbeats {
    pub fn last(&self, dispatcher_id: &str) -> Option<DateTime<Utc>> {
        self.0.iter().find(|(d, _)| d == dispatcher_id).map(|(_, at)| *at)
    }
}

/// One tier as the relay sees it now.
pub struct TierNow<'a> {
    /// Its position in the roster.
    pub index: usize,
    pub tier: &'a Tier,
    pub last_heartbeat: Option<DateTime<Utc>>,
    pub eligibility: Result<(), Skip>,
}

impl Roster {
    /// Every tier in order, with whether it may be tried at `now`.
    pub fn tiers_now<'a>(
        &'a self,
        beats: &'a Heartbeats,
        now: DateTime<Utc>,
        clock: &'a dyn LocalTime,
    ) -> impl Iterator<Item = TierNow<'a>> + 'a {
        self.tiers.iter().enumerate().map(move |(index, tier)| {
            let last_heartbeat = beats.last(&tier.dispatcher_id);
            TierNow {
                index,
                tier,
                last_heartbeat,
                eligibility: eligibility(self, tier, last_heartbeat, now, clock),
            }
        })
    }
}

/// Local wall-clock time in a time zone: supplied by the caller (the Worker uses `Intl`, tests
/// use chrono-tz), so this crate carries no time zone database.
pub trait LocalTime {
    /// The weekday and minutes since local midnight at `at` in `tz`; `None` for an unknown zone.
    fn local(&self, tz: &str, at: DateTime<Utc>) -> Option<(Weekday, u32)>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    Unavailable,
    OffCall,
    StaleHeartbeat,
}

impl Skip {
    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Unavailable => "unavailable",
            Skip::OffCall => "off call",
            Skip::StaleHeartbeat => "stale heartbeat",
        }
    }
}

/// Whether `tier` may be tried at `now`. A dispatcher who never sent a heartbeat is not stale;
/// an on-call window in an unknown zone counts as on call (a message is never dropped for it).
pub fn eligibility(
    roster: &Roster,
    tier: &Tier,
    last_heartbeat: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    clock: &dyn LocalTime,
) -> Result<(), Skip> {
    if !tier.available {
        return Err(Skip::Unavailable);
    }
    if last_heartbeat.is_some_and(|hb| roster.heartbeat_is_stale(hb, now)) {
        return Err(Skip::StaleHeartbeat);
    }
    match &tier.on_call {
        Some(oc) if !on_call(oc, now, clock) => Err(Skip::OffCall),
        _ => Ok(()),
    }
}

fn on_call(oc: &OnCall, now: DateTime<Utc>, clock: &dyn LocalTime) -> bool {
    let Some((day, minute)) = clock.local(&oc.tz, now) else {
        return true;
    };
    let starts_on = |d: Weekday| oc.days.as_ref().is_none_or(|days| days.contains(&Day(d)));
    let (from, to) = (oc.from.0, oc.to.0);
    if from <= to {
        starts_on(day) && (from..to).contains(&minute)
    } else {
        // Overnight: the evening part starts today, the morning part started yesterday.
        (minute >= from && starts_on(day)) || (minute < to && starts_on(day.pred()))
    }
}

pub fn hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && s.len() == 5).then_some(h * 60 + m)
}

pub fn weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_lowercase().as_str() {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{1}")]
pub struct RosterError(pub &'static str, pub String);

impl ErrorCode for RosterError {
    fn code(&self) -> &'static str {
        self.0
    }
}

/// `PUT /api/relay/roster` as sent; [`RosterBody::validate`] makes it a [`Roster`].
#[derive(Debug, Deserialize)]
pub struct RosterBody {
    pub tiers: Vec<Object<TierBody>>,
    #[serde(default = "ack_timeout")]
    pub ack_timeout_s: u32,
    #[serde(default = "backoff")]
    pub backoff_s: Vec<u32>,
    #[serde(default = "stale")]
    pub heartbeat_stale_s: u32,
}

impl RequestBody for RosterBody {
    const SHAPE_CODE: &'static str = "invalid_roster";
    const SHAPE: &'static str = "the roster must be {\"tiers\": [{...}, ...], ...}";
}

#[derive(Debug, Deserialize)]
pub struct TierBody {
    pub dispatcher_id: String,
    #[serde(default)]
    pub name: String,
    pub phone: String,
    #[serde(default = "yes")]
    pub available: bool,
    #[serde(default)]
    pub on_call: Option<Object<OnCallBody>>,
}

#[derive(Debug, Deserialize)]
pub struct OnCallBody {
    pub tz: String,
    #[serde(default)]
    pub days: Option<Vec<String>>,
    pub from: String,
    pub to: String,
}

impl RosterBody {
    /// Checks the roster; `valid_tz` says whether a zone name exists.
    pub fn validate(self, valid_tz: &dyn Fn(&str) -> bool) -> Result<Roster, RosterError> {
        let bad = |code, msg: String| RosterError(code, msg);
        if self.tiers.is_empty() {
            return Err(bad("empty_roster", "a roster needs at least one tier".into()));
        }
        if self.tiers.len() > 10 {
            return Err(bad("invalid_roster", "a roster has at most 10 tiers".into()));
        }
        let mut tiers: Vec<Tier> = Vec::with_capacity(self.tiers.len());
        for (i, Object(t)) in self.tiers.into_iter().enumerate() {
            let tier = t.validate(i, valid_tz)?;
            if tiers
                .iter()
                .any(|o| o.dispatcher_id == tier.dispatcher_id || o.phone == tier.phone)
            {
                return Err(bad(
                    "duplicate_tier",
                    format!("tiers[{i}] repeats a dispatcher or phone"),
                ));
            }
            tiers.push(tier);
        }
        if !(5..=3600).contains(&self.ack_timeout_s) {
            return Err(bad("invalid_roster", "ack_timeout_s must be 5..3600".into()));
        }
        if self.backoff_s.is_empty() || self.backoff_s.len() > 10 || self.backoff_s.iter().any(|b| *b > 600) {
            return Err(bad(
                "invalid_roster",
                "backoff_s must be 1-10 delays of at most 600 s".into(),
            ));
        }
        if !(30..=86_400).contains(&self.heartbeat_stale_s) {
            return Err(bad("invalid_roster", "heartbeat_stale_s must be 30..86400".into()));
        }
        Ok(Roster {
            tiers,
            ack_timeout_s: self.ack_timeout_s,
            backoff_s: self.backoff_s,
            heartbeat_stale_s: self.heartbeat_stale_s,
        })
    }
}

impl TierBody {
    fn validate(self, i: usize, valid_tz: &dyn Fn(&str) -> bool) -> Result<Tier, RosterError> {
        let bad = |code, msg: String| RosterError(code, msg);
        if !crate::job::valid_id(&self.dispatcher_id) {
            return Err(bad(
                "invalid_dispatcher_id",
                format!("tiers[{i}].dispatcher_id must be 1-64 letters, digits, - or _"),
            ));
        }
        if !crate::phone::is_e164(&self.phone) {
            return Err(bad(
                "invalid_phone",
                format!("tiers[{i}].phone must be E.164, e.g. +15551234567"),
            ));
        }
        if self.name.chars().count() > 80 {
            return Err(bad(
                "invalid_roster",
                format!("tiers[{i}].name is longer than 80 characters"),
            ));
        }
        let on_call = self.on_call.map(|Object(oc)| oc.validate(i, valid_tz)).transpose()?;
        Ok(Tier {
            dispatcher_id: self.dispatcher_id,
            name: self.name,
            phone: self.phone,
            available: self.available,
            on_call,
        })
    }
}

impl OnCallBody {
    fn validate(self, i: usize, valid_tz: &dyn Fn(&str) -> bool) -> Result<OnCall, RosterError> {
        let (Some(from), Some(to)) = (hhmm(&self.from), hhmm(&self.to)) else {
            return Err(RosterError(
                "invalid_on_call",
                format!("tiers[{i}].on_call from/to must be HH:MM"),
            ));
        };
        let days = match self.days {
            None => None,
            Some(d) => Some(
                d.iter()
                    .map(|x| weekday(x).map(Day))
                    .collect::<Option<Vec<Day>>>()
                    .filter(|d| !d.is_empty())
                    .ok_or_else(|| {
                        RosterError("invalid_on_call", format!("tiers[{i}].on_call.days must list mon..sun"))
                    })?,
            ),
        };
        if !valid_tz(&self.tz) {
            return Err(RosterError(
                "invalid_time_zone",
                format!("tiers[{i}].on_call.tz is not an IANA time zone"),
            ));
        }
        Ok(OnCall {
            tz: self.tz,
            days,
            from: ClockTime(from),
            to: ClockTime(to),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Timelike};

    pub struct Tz;
    impl LocalTime for Tz {
        fn local(&self, tz: &str, at: DateTime<Utc>) -> Option<(Weekday, u32)> {
            let tz: chrono_tz::Tz = tz.parse().ok()?;
            let l = at.with_timezone(&tz);
            Some((l.weekday(), l.hour() * 60 + l.minute()))
        }
    }

    pub fn tier(id: &str, phone: &str) -> Tier {
        Tier {
            dispatcher_id: id.into(),
            name: id.into(),
            phone: phone.into(),
            available: true,
            on_call: None,
        }
    }

    #[test]
    fn a_jobs_dispatcher_comes_first_then_everyone_else_once_in_roster_order() {
        let mut r = Roster::from_phones(&[]);
        r.tiers = ["a", "b", "c", "d"]
            .iter()
            .enumerate()
            .map(|(i, id)| tier(id, &format!("+1555010020{i}")))
            .collect();
        let ids = |assigned| {
            r.in_order_for(assigned)
                .map(|t| t.dispatcher_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(Some("c")), ["c", "a", "b", "d"]);
        assert_eq!(ids(Some("a")), ["a", "b", "c", "d"]);
        assert_eq!(
            ids(Some("zz")),
            ["a", "b", "c", "d"],
            "not on the roster: the plain order"
        );
        assert_eq!(ids(None), ["a", "b", "c", "d"]);
        assert_eq!(r.positions_for(Some("c")), [2, 0, 1, 3]);
        assert_eq!(r.positions_for(None), [0, 1, 2, 3]);
    }

    fn utc(s: &str) -> DateTime<Utc> {
        crate::time::parse_timestamp(s).unwrap()
    }

    #[test]
    fn on_call_hours_in_the_dispatchers_zone() {
        let r = Roster::from_phones(&[]);
        let mut t = tier("a", "+15550100101");
        t.on_call = Some(OnCall {
            tz: "America/Chicago".into(),
            days: Some(vec![Day(Weekday::Mon), Day(Weekday::Tue)]),
            from: ClockTime(8 * 60),
            to: ClockTime(17 * 60),
        });
        // Monday 2026-06-01 09:00 in Chicago is 14:00 UTC.
        assert_eq!(eligibility(&r, &t, None, utc("2026-06-01T14:00:00Z"), &Tz), Ok(()));
        assert_eq!(
            eligibility(&r, &t, None, utc("2026-06-01T12:00:00Z"), &Tz),
            Err(Skip::OffCall)
        );
        assert_eq!(
            eligibility(&r, &t, None, utc("2026-06-03T14:00:00Z"), &Tz),
            Err(Skip::OffCall),
            "wednesday"
        );
        // Overnight window starting Monday 22:00 covers Tuesday 02:00 but not Monday 02:00.
        t.on_call = Some(OnCall {
            tz: "Europe/London".into(),
            days: Some(vec![Day(Weekday::Mon)]),
            from: ClockTime(22 * 60),
            to: ClockTime(6 * 60),
        });
        assert_eq!(eligibility(&r, &t, None, utc("2026-06-02T01:00:00Z"), &Tz), Ok(()));
        assert_eq!(
            eligibility(&r, &t, None, utc("2026-06-01T01:00:00Z"), &Tz),
            Err(Skip::OffCall)
        );
        let _ = Utc.timestamp_opt(0, 0);
    }

    #[test]
    fn heartbeats_and_availability() {
        let r = Roster::from_phones(&[]);
        let now = utc("2026-06-01T12:00:00Z");
        let mut t = tier("a", "+15550100101");
        assert_eq!(eligibility(&r, &t, None, now, &Tz), Ok(()), "never sent one: not stale");
        assert_eq!(
            eligibility(&r, &t, Some(now - chrono::Duration::seconds(599)), now, &Tz),
            Ok(())
        );
        assert_eq!(
            eligibility(&r, &t, Some(now - chrono::Duration::seconds(601)), now, &Tz),
            Err(Skip::StaleHeartbeat)
        );
        t.available = false;
        assert_eq!(eligibility(&r, &t, None, now, &Tz), Err(Skip::Unavailable));
    }

    fn validate(v: &serde_json::Value, valid_tz: &dyn Fn(&str) -> bool) -> Result<Roster, RosterError> {
        crate::body::parse::<RosterBody>(v.to_string().as_bytes())
            .map_err(|e| RosterError(e.code(), e.to_string()))?
            .validate(valid_tz)
    }

    #[test]
    fn stored_on_call_windows_read_back_as_written() {
        let v = serde_json::json!({"tiers": [{"dispatcher_id": "a", "phone": "+15550100101",
            "on_call": {"tz": "Europe/London", "days": ["MON", "fri"], "from": "08:30", "to": "17:05"}}]});
        let r = validate(&v, &|_| true).unwrap();
        let oc = r.tiers[0].on_call.clone().unwrap();
        assert_eq!((oc.from, oc.to), (ClockTime(8 * 60 + 30), ClockTime(17 * 60 + 5)));
        let stored = serde_json::to_value(&r).unwrap();
        assert_eq!(stored["tiers"][0]["on_call"]["days"], serde_json::json!(["mon", "fri"]));
        assert_eq!(stored["tiers"][0]["on_call"]["from"], "08:30");
        assert_eq!(serde_json::from_value::<Roster>(stored).unwrap(), r);
    }

    #[test]
    fn validation() {
        let ok = |_: &str| true;
        let v = serde_json::json!({"tiers": [{"dispatcher_id": "a", "name": "A", "phone": "+15550100101"}]});
        let r = validate(&v, &ok).unwrap();
        assert_eq!(
            (r.ack_timeout_s, r.backoff_s.clone(), r.heartbeat_stale_s),
            (30, vec![2, 4, 8], 600)
        );
        assert!(r.tiers[0].available);
        let code = |v: serde_json::Value| validate(&v, &|tz: &str| tz == "Europe/London").unwrap_err().0;
        assert_eq!(code(serde_json::json!({"tiers": []})), "empty_roster");
        assert_eq!(
            code(serde_json::json!({"tiers": [{"dispatcher_id": "a", "phone": "555"}]})),
            "invalid_phone"
        );
        assert_eq!(
            code(
                serde_json::json!({"tiers": [{"dispatcher_id": "a", "phone": "+15550100101"}, {"dispatcher_id": "a", "phone": "+15550100102"}]})
            ),
            "duplicate_tier"
        );
        assert_eq!(
            code(
                serde_json::json!({"tiers": [{"dispatcher_id": "a", "phone": "+15550100101", "on_call": {"tz": "Mars/Base", "from": "08:00", "to": "17:00"}}]})
            ),
            "invalid_time_zone"
        );
        assert_eq!(
            code(
                serde_json::json!({"tiers": [{"dispatcher_id": "a", "phone": "+15550100101", "on_call": {"tz": "Europe/London", "from": "8am", "to": "17:00"}}]})
            ),
            "invalid_on_call"
        );
        assert_eq!(code(serde_json::json!({"tiers": "x"})), "invalid_roster");
        assert_eq!(
            code(serde_json::json!({"tiers": [["a", "A", "+15550100101"]]})),
            "invalid_roster"
        );
        assert_eq!(
            code(serde_json::json!([[{"dispatcher_id": "a", "phone": "+15550100101"}]])),
            "invalid_roster"
        );
    }

    #[test]
    fn backoff_steps_then_holds() {
        let r = Roster::from_phones(&[]);
        assert_eq!(
            (1..=5).map(|f| r.backoff_after(f)).collect::<Vec<_>>(),
            vec![2, 4, 8, 8, 8]
        );
    }
}
