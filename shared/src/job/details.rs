//! What a dispatcher sets on a job beside its customer, destination, trailers and status: the
//! assigned dispatcher, the promised window, whether the customer gets automatic texts, the
//! arrival geofence, and the ordered stops of a job with more than one.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{invalid, valid_id, Destination, JobError, JobStatus};
use crate::body::{Field, Object};

/// `geofence_m` when none is given.
pub const DEFAULT_GEOFENCE_M: f64 = crate::arrival::DEFAULT_GEOFENCE_M;
/// A fence smaller than a phone's GPS error would never be entered; one larger than a small
/// town would call a trailer arrived while it is still driving.
pub const GEOFENCE_RANGE_M: std::ops::RangeInclusive<f64> = 25.0..=5_000.0;
pub const MAX_STOPS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopKind {
    Pickup,
    Dropoff,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    pub kind: StopKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub lat: f64,
    pub lon: f64,
}

impl Stop {
    pub fn destination(&self) -> Destination {
        Destination {
            lat: self.lat,
            lon: self.lon,
            address: self.address.clone(),
        }
    }

    /// The same place: a destination sent beside the stops must be the current one.
    fn is_at(&self, d: &Destination) -> bool {
        (self.lat - d.lat).abs() < 1e-7 && (self.lon - d.lon).abs() < 1e-7
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Details {
    pub dispatcher_id: Option<String>,
    pub window_end: Option<DateTime<Utc>>,
    pub notify: bool,
    pub geofence_m: f64,
    /// Empty for a job with a single destination.
    pub stops: Vec<Stop>,
}

impl Default for Details {
    fn default() -> Self {
        Details {
            dispatcher_id: None,
            window_end: None,
            notify: true,
            geofence_m: DEFAULT_GEOFENCE_M,
            stops: Vec::new(),
        }
    }
}

/// A change to [`Details`]: `None` leaves a field alone; `Some(None)` clears the dispatcher or
/// the window (`null` in the PATCH body); `Some(vec![])` turns stops back into one destination.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DetailsPatch {
    pub dispatcher_id: Option<Option<String>>,
    pub window_end: Option<Option<DateTime<Utc>>>,
    pub notify: Option<bool>,
    pub geofence_m: Option<f64>,
    pub stops: Option<Vec<Stop>>,
}

impl DetailsPatch {
    pub fn is_empty(&self) -> bool {
        *self == DetailsPatch::default()
    }

    pub fn apply(&self, d: &Details) -> Details {
        Details {
            dispatcher_id: self.dispatcher_id.clone().unwrap_or_else(|| d.dispatcher_id.clone()),
            window_end: self.window_end.unwrap_or(d.window_end),
            notify: self.notify.unwrap_or(d.notify),
            geofence_m: self.geofence_m.unwrap_or(d.geofence_m),
            stops: self.stops.clone().unwrap_or_else(|| d.stops.clone()),
        }
    }
}

/// The fields as sent, shared by `POST /api/jobs` and `PATCH /api/jobs/{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct DetailsBody {
    #[serde(default)]
    pub dispatcher_id: Field<String>,
    #[serde(default)]
    pub window_end: Field<String>,
    #[serde(default)]
    pub notify: Field<bool>,
    #[serde(default)]
    pub geofence_m: Field<f64>,
    #[serde(default)]
    pub stops: Field<Vec<Object<Stop>>>,
}

impl DetailsBody {
    pub fn validate(self) -> Result<DetailsPatch, JobError> {
        let bad_dispatcher = || {
            invalid(
                "invalid_dispatcher_id",
                "dispatcher_id must be a roster dispatcher_id (letters, digits, - and _) or null",
            )
        };
        let dispatcher_id = clearable(self.dispatcher_id, bad_dispatcher)?;
        if dispatcher_id
            .as_ref()
            .is_some_and(|d| d.as_ref().is_some_and(|d| !valid_id(d)))
        {
            return Err(bad_dispatcher());
        }
        let bad_window = || invalid("invalid_window_end", "window_end must be an RFC 3339 time or null");
        let window_end = clearable(self.window_end, bad_window)?
            .map(|w| w.map(|s| parse_rfc3339(&s).ok_or_else(bad_window)).transpose())
            .transpose()?;
        let notify = self
            .notify
            .absent_or(|| invalid("invalid_notify", "notify must be true or false"))?;
        let bad_fence = || {
            invalid(
                "invalid_geofence",
                format!(
                    "geofence_m must be a number of metres from {} to {}",
                    GEOFENCE_RANGE_M.start(),
                    GEOFENCE_RANGE_M.end()
                ),
            )
        };
        let geofence_m = match self.geofence_m.absent_or(bad_fence)? {
            Some(m) if !GEOFENCE_RANGE_M.contains(&m) => return Err(bad_fence()),
            m => m,
        };
        let stops = stops(self.stops)?;
        Ok(DetailsPatch {
            dispatcher_id,
            window_end,
            notify,
            geofence_m,
            stops,
        })
    }
}

/// Absent: `None`; `null`: `Some(None)`; a value: `Some(Some(v))`.
fn clearable<T>(f: Field<T>, err: impl FnOnce() -> JobError) -> Result<Option<Option<T>>, JobError> {
    match f {
        Field::Absent => Ok(None),
        Field::Null => Ok(Some(None)),
        Field::Value(v) => Ok(Some(Some(v))),
        Field::Wrong => Err(err()),
    }
}

fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn stops(f: Field<Vec<Object<Stop>>>) -> Result<Option<Vec<Stop>>, JobError> {
    let shape = || {
        invalid(
            "invalid_stops",
            format!(
                "stops must be a list of up to {MAX_STOPS} {{\"kind\": \"pickup\"|\"dropoff\", \"address\", \"lat\", \"lon\"}}"
            ),
        )
    };
    let Some(list) = f.absent_or(shape)? else {
        return Ok(None);
    };
    if list.len() > MAX_STOPS {
        return Err(shape());
    }
    list.into_iter()
        .enumerate()
        .map(|(i, Object(stop))| {
            stop.destination()
                .check()
                .map(|_| stop)
                .map_err(|e| invalid("invalid_stops", format!("stops[{i}]: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Where a job is heading: the stop at `index` when it has stops, else its destination.
pub fn current_stop(stops: &[Stop], index: usize) -> Option<&Stop> {
    stops.get(index.min(stops.len().saturating_sub(1)))
}

/// The stop a status change leaves the job heading for: leaving a site (`en_route_next`) moves
/// on to the next stop, when there is one; every other change keeps the current stop.
pub fn stop_after(from: JobStatus, to: JobStatus, stops: &[Stop], index: usize) -> usize {
    let leaving = from == JobStatus::AtSite && to == JobStatus::EnRouteNext;
    if leaving && index + 1 < stops.len() {
        index + 1
    } else {
        index.min(stops.len().saturating_sub(1))
    }
}

/// A destination sent together with stops must be the current stop: two answers to "where is
/// it going" would leave the page and the ETA to guess.
pub fn check_destination(stops: &[Stop], index: usize, destination: Option<&Destination>) -> Result<(), JobError> {
    match (current_stop(stops, index), destination) {
        (Some(stop), Some(d)) if !stop.is_at(d) => Err(invalid(
            "invalid_stops",
            "destination must be the current stop when stops are given; send stops alone",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn details(v: serde_json::Value) -> Result<DetailsPatch, String> {
        serde_json::from_value::<DetailsBody>(v)
            .map_err(|e| e.to_string())?
            .validate()
            .map_err(|e| crate::ErrorCode::code(&e).to_string())
    }

    fn stop(kind: StopKind, lat: f64) -> Stop {
        Stop {
            kind,
            address: None,
            lat,
            lon: 0.0,
        }
    }

    #[test]
    fn each_field_has_its_code() {
        assert_eq!(
            details(json!({"dispatcher_id": "a b"})).unwrap_err(),
            "invalid_dispatcher_id"
        );
        assert_eq!(
            details(json!({"window_end": "tomorrow"})).unwrap_err(),
            "invalid_window_end"
        );
        assert_eq!(details(json!({"notify": "no"})).unwrap_err(), "invalid_notify");
        assert_eq!(details(json!({"geofence_m": 5})).unwrap_err(), "invalid_geofence");
        assert_eq!(details(json!({"geofence_m": null})).unwrap_err(), "invalid_geofence");
        assert_eq!(
            details(json!({"stops": [{"kind": "detour", "lat": 1, "lon": 1}]})).unwrap_err(),
            "invalid_stops"
        );
        assert_eq!(
            details(json!({"stops": [{"kind": "pickup", "lat": 91, "lon": 1}]})).unwrap_err(),
            "invalid_stops"
        );
        assert_eq!(details(json!({"stops": [[1, 2]]})).unwrap_err(), "invalid_stops");
    }

    #[test]
    fn null_clears_the_dispatcher_and_the_window() {
        let p = details(json!({"dispatcher_id": null, "window_end": null})).unwrap();
        let before = Details {
            dispatcher_id: Some("dana".into()),
            window_end: parse_rfc3339("2026-11-22T10:00:00Z"),
            ..Details::default()
        };
        let after = p.apply(&before);
        assert_eq!((after.dispatcher_id, after.window_end), (None, None));
        assert!(details(json!({})).unwrap().is_empty());
    }

    #[test]
    fn window_end_takes_any_offset() {
        let p = details(json!({"window_end": "2026-11-22T10:00:00-05:00", "geofence_m": 200})).unwrap();
        assert_eq!(p.window_end, Some(parse_rfc3339("2026-11-22T15:00:00Z")));
        assert_eq!(p.geofence_m, Some(200.0));
    }

    #[test]
    fn leaving_a_site_heads_for_the_next_stop_and_stays_at_the_last() {
        use JobStatus::*;
        let stops = [stop(StopKind::Pickup, 1.0), stop(StopKind::Dropoff, 2.0)];
        assert_eq!(stop_after(AtSite, EnRouteNext, &stops, 0), 1);
        assert_eq!(stop_after(AtSite, EnRouteNext, &stops, 1), 1);
        assert_eq!(stop_after(EnRoute, AtSite, &stops, 0), 0);
        assert_eq!(stop_after(AtSite, EnRouteNext, &[], 0), 0);
        assert_eq!(current_stop(&stops, 5).map(|s| s.lat), Some(2.0));
    }

    #[test]
    fn a_destination_beside_stops_must_be_the_current_one() {
        let stops = [stop(StopKind::Pickup, 1.0), stop(StopKind::Dropoff, 2.0)];
        let at = |lat| Destination {
            lat,
            lon: 0.0,
            address: None,
        };
        assert!(check_destination(&stops, 0, Some(&at(1.0))).is_ok());
        assert!(check_destination(&stops, 1, Some(&at(1.0))).is_err());
        assert!(check_destination(&[], 0, Some(&at(1.0))).is_ok());
    }
}
