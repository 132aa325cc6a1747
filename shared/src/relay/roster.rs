//! The relay roster: ordered tiers of dispatchers, and who may be tried now.

use chrono::{DateTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::ErrorCode;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnCall {
    /// IANA time zone, e.g. `America/Chicago`.
    pub tz: String,
    /// Days the window starts on (`mon`..`sun`); every day when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<String>>,
    /// `HH:MM`, local; a window whose `to` is before `from` runs overnight.
    pub from: String,
    pub to: String,
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

    pub fn by_phone(&self, phone: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.phone == phone)
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
    if let Some(hb) = last_heartbeat {
        if (now - hb).num_seconds() > roster.heartbeat_stale_s as i64 {
            return Err(Skip::StaleHeartbeat);
        }
    }
    match &tier.on_call {
        Some(oc) if !on_call(oc, now, clock) => Err(Skip::OffCall),
        _ => Ok(()),
    }
}

fn on_call(oc: &OnCall, now: DateTime<Utc>, clock: &dyn LocalTime) -> bool {
    let (Some(from), Some(to)) = (hhmm(&oc.from), hhmm(&oc.to)) else {
        return true;
    };
    let Some((day, minute)) = clock.local(&oc.tz, now) else {
        return true;
    };
    let starts_on = |d: Weekday| {
        oc.days
            .as_ref()
            .is_none_or(|days| days.iter().any(|x| weekday(x) == Some(d)))
    };
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

/// Checks a roster from `PUT /api/relay/roster`; `valid_tz` says whether a zone name exists.
pub fn validate(v: &serde_json::Value, valid_tz: &dyn Fn(&str) -> bool) -> Result<Roster, RosterError> {
    let bad = |code, msg: String| RosterError(code, msg);
    // Objects only: serde would read a struct from an array too.
    let tiers_are_objects = v
        .get("tiers")
        .and_then(|t| t.as_array())
        .is_none_or(|t| t.iter().all(|x| x.is_object()));
    if !v.is_object() || !tiers_are_objects {
        return Err(bad(
            "invalid_roster",
            "the roster must be {\"tiers\": [{...}, ...], ...}".into(),
        ));
    }
    let r: Roster = serde_json::from_value(v.clone())
        .map_err(|e| bad("invalid_roster", format!("the roster does not match its shape: {e}")))?;
    if r.tiers.is_empty() {
        return Err(bad("empty_roster", "a roster needs at least one tier".into()));
    }
    if r.tiers.len() > 10 {
        return Err(bad("invalid_roster", "a roster has at most 10 tiers".into()));
    }
    for (i, t) in r.tiers.iter().enumerate() {
        if !crate::job::valid_id(&t.dispatcher_id) {
            return Err(bad(
                "invalid_dispatcher_id",
                format!("tiers[{i}].dispatcher_id must be 1-64 letters, digits, - or _"),
            ));
        }
        if r.tiers[..i]
            .iter()
            .any(|o| o.dispatcher_id == t.dispatcher_id || o.phone == t.phone)
        {
            return Err(bad(
                "duplicate_tier",
                format!("tiers[{i}] repeats a dispatcher or phone"),
            ));
        }
        if !crate::phone::is_e164(&t.phone) {
            return Err(bad(
                "invalid_phone",
                format!("tiers[{i}].phone must be E.164, e.g. +15551234567"),
            ));
        }
        if t.name.chars().count() > 80 {
            return Err(bad(
                "invalid_roster",
                format!("tiers[{i}].name is longer than 80 characters"),
            ));
        }
        if let Some(oc) = &t.on_call {
            if hhmm(&oc.from).is_none() || hhmm(&oc.to).is_none() {
                return Err(bad(
                    "invalid_on_call",
                    format!("tiers[{i}].on_call from/to must be HH:MM"),
                ));
            }
            if oc
                .days
                .as_ref()
                .is_some_and(|d| d.is_empty() || d.iter().any(|x| weekday(x).is_none()))
            {
                return Err(bad(
                    "invalid_on_call",
                    format!("tiers[{i}].on_call.days must list mon..sun"),
                ));
            }
            if !valid_tz(&oc.tz) {
                return Err(bad(
                    "invalid_time_zone",
                    format!("tiers[{i}].on_call.tz is not an IANA time zone"),
                ));
            }
        }
    }
    if !(5..=3600).contains(&r.ack_timeout_s) {
        return Err(bad("invalid_roster", "ack_timeout_s must be 5..3600".into()));
    }
    if r.backoff_s.is_empty() || r.backoff_s.len() > 10 || r.backoff_s.iter().any(|b| *b > 600) {
        return Err(bad(
            "invalid_roster",
            "backoff_s must be 1-10 delays of at most 600 s".into(),
        ));
    }
    if !(30..=86_400).contains(&r.heartbeat_stale_s) {
        return Err(bad("invalid_roster", "heartbeat_stale_s must be 30..86400".into()));
    }
    Ok(r)
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

    fn utc(s: &str) -> DateTime<Utc> {
        crate::time::parse_timestamp(s).unwrap()
    }

    #[test]
    fn on_call_hours_in_the_dispatchers_zone() {
        let r = Roster::from_phones(&[]);
        let mut t = tier("a", "+15550100101");
        t.on_call = Some(OnCall {
            tz: "America/Chicago".into(),
            days: Some(vec!["mon".into(), "tue".into()]),
            from: "08:00".into(),
            to: "17:00".into(),
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
            days: Some(vec!["mon".into()]),
            from: "22:00".into(),
            to: "06:00".into(),
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
