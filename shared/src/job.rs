//! Jobs: a customer, a destination, the trailers hauled, and where the job stands.

use serde::{Deserialize, Serialize};

use crate::body::{Field, Object, RequestBody};
use crate::ErrorCode;

pub mod details;

pub use details::{Details, DetailsPatch, Stop, StopKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Scheduled,
    EnRoute,
    AtSite,
    EnRouteNext,
    Completed,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Scheduled,
        JobStatus::EnRoute,
        JobStatus::AtSite,
        JobStatus::EnRouteNext,
        JobStatus::Completed,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Scheduled => "scheduled",
            JobStatus::EnRoute => "en_route",
            JobStatus::AtSite => "at_site",
            JobStatus::EnRouteNext => "en_route_next",
            JobStatus::Completed => "completed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// A finished job takes no more fixes and its page stops polling.
    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Cancelled)
    }

    /// A trailer is moving toward the job's destination: the only time an ETA means something.
    pub fn is_moving(self) -> bool {
        matches!(self, JobStatus::EnRoute | JobStatus::EnRouteNext)
    }

    /// The transitions a dispatcher may make. Staying put is allowed (and changes nothing);
    /// `en_route` may fall back to `scheduled` (the driver turned back); a finished job is final.
    pub fn can_become(self, to: JobStatus) -> bool {
        use JobStatus::*;
        if self == to {
            return true;
        }
        match self {
            Scheduled => matches!(to, EnRoute | AtSite | Cancelled),
            EnRoute => matches!(to, Scheduled | AtSite | Cancelled),
            AtSite => matches!(to, EnRouteNext | Completed | Cancelled),
            EnRouteNext => matches!(to, AtSite | Completed | Cancelled),
            Completed | Cancelled => false,
        }
    }

    /// The customer's words for it, used in status SMS.
    pub fn customer_phrase(self) -> &'static str {
        match self {
            JobStatus::Scheduled => "is scheduled",
            JobStatus::EnRoute => "is on its way",
            JobStatus::AtSite => "has arrived",
            JobStatus::EnRouteNext => "is heading to its next stop",
            JobStatus::Completed => "is complete",
            JobStatus::Cancelled => "has been cancelled",
        }
    }
}

/// Who moved a job to a status, as its `history` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusSource {
    /// A dispatcher (the API or the console); always wins over the geofence.
    Dispatch,
    /// The arrival geofence.
    Geofence,
}

impl StatusSource {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusSource::Dispatch => "dispatch",
            StatusSource::Geofence => "geofence",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [StatusSource::Dispatch, StatusSource::Geofence]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Destination {
    pub lat: f64,
    pub lon: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JobError {
    #[error("{0}")]
    Invalid(&'static str, String),
    #[error("a job cannot go from {} to {}", .0.as_str(), .1.as_str())]
    Transition(JobStatus, JobStatus),
}

impl ErrorCode for JobError {
    fn code(&self) -> &'static str {
        match self {
            JobError::Invalid(code, _) => code,
            JobError::Transition(..) => "invalid_transition",
        }
    }

    fn status(&self) -> u16 {
        match self {
            JobError::Invalid(..) => 400,
            JobError::Transition(..) => 409,
        }
    }
}

fn invalid(code: &'static str, msg: impl Into<String>) -> JobError {
    JobError::Invalid(code, msg.into())
}

/// Ids of jobs, trailers and dispatchers: short, URL-safe, no surprises in logs or SQL.
pub fn valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Destination {
    fn check(self) -> Result<Destination, JobError> {
        if !(self.lat.is_finite() && (-90.0..=90.0).contains(&self.lat)) {
            return Err(invalid("invalid_destination", "destination.lat must be within -90..90"));
        }
        if !(self.lon.is_finite() && (-180.0..=180.0).contains(&self.lon)) {
            return Err(invalid(
                "invalid_destination",
                "destination.lon must be within -180..180",
            ));
        }
        if self.address.as_ref().is_some_and(|a| a.chars().count() > 300) {
            return Err(invalid(
                "invalid_destination",
                "destination.address is longer than 300 characters",
            ));
        }
        Ok(self)
    }
}

fn destination(f: Field<Object<Destination>>) -> Result<Option<Destination>, JobError> {
    let shape = || {
        invalid(
            "invalid_destination",
            "destination must be {\"lat\", \"lon\", \"address\"?}",
        )
    };
    f.absent_or(shape)?.map(|Object(d)| d.check()).transpose()
}

fn trailer_ids(f: Field<Vec<String>>) -> Result<Option<Vec<String>>, JobError> {
    let bad = || {
        invalid(
            "invalid_trailer_ids",
            "trailer_ids must be a list of up to 16 ids (letters, digits, - and _)",
        )
    };
    let Some(list) = f.absent_or(bad)? else {
        return Ok(None);
    };
    if list.len() > 16 || !list.iter().all(|t| valid_id(t)) {
        return Err(bad());
    }
    let mut ids: Vec<String> = Vec::with_capacity(list.len());
    for t in list {
        if !ids.contains(&t) {
            ids.push(t);
        }
    }
    Ok(Some(ids))
}

fn status(f: Field<JobStatus>) -> Result<Option<JobStatus>, JobError> {
    f.absent_or(|| {
        invalid(
            "invalid_status",
            "status must be one of scheduled, en_route, at_site, en_route_next, completed, cancelled",
        )
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub job_id: Option<String>,
    pub customer_name: String,
    pub customer_phone: String,
    pub destination: Destination,
    pub trailer_ids: Vec<String>,
    pub status: JobStatus,
    pub details: Details,
}

/// `POST /api/jobs`. `job_id` is an addition to the contract: a caller may choose the id
/// (letters, digits, `-`, `_`) so that seeding and retries are idempotent.
#[derive(Debug, Deserialize)]
pub struct NewJobBody {
    #[serde(default)]
    pub job_id: Field<String>,
    #[serde(default)]
    pub customer_name: Field<String>,
    #[serde(default)]
    pub customer_phone: Field<String>,
    #[serde(default)]
    pub destination: Field<Object<Destination>>,
    #[serde(default)]
    pub trailer_ids: Field<Vec<String>>,
    #[serde(default)]
    pub status: Field<JobStatus>,
    #[serde(flatten)]
    pub details: details::DetailsBody,
}

impl RequestBody for NewJobBody {}

impl NewJobBody {
    pub fn validate(self) -> Result<NewJob, JobError> {
        let bad_id = || invalid("invalid_job_id", "job_id must be 1-64 letters, digits, - or _");
        let job_id = match self.job_id.optional(bad_id)? {
            Some(id) if !valid_id(&id) => return Err(bad_id()),
            id => id,
        };
        let customer_name = match self.customer_name {
            Field::Value(s) if !s.trim().is_empty() && s.chars().count() <= 120 => s.trim().to_string(),
            _ => {
                return Err(invalid(
                    "invalid_customer_name",
                    "customer_name must be a non-empty string of at most 120 characters",
                ))
            }
        };
        let customer_phone = match self.customer_phone {
            Field::Value(s) if crate::phone::is_e164(&s) => s,
            _ => {
                return Err(invalid(
                    "invalid_phone",
                    "customer_phone must be an E.164 number such as +15551234567",
                ))
            }
        };
        let details = self.details.validate()?.apply(&Details::default());
        let destination = destination(self.destination)?;
        details::check_destination(&details.stops, 0, destination.as_ref())?;
        let destination = destination
            .or_else(|| details.stops.first().map(Stop::destination))
            .ok_or_else(|| invalid("invalid_destination", "destination (or stops) is required"))?;
        // `null` is as good as absent for the optional fields of a new job.
        let trailer_ids = trailer_ids(null_as_absent(self.trailer_ids))?.unwrap_or_default();
        let status = status(null_as_absent(self.status))?.unwrap_or(JobStatus::Scheduled);
        Ok(NewJob {
            job_id,
            customer_name,
            customer_phone,
            destination,
            trailer_ids,
            status,
            details,
        })
    }
}

fn null_as_absent<T>(f: Field<T>) -> Field<T> {
    match f {
        Field::Null => Field::Absent,
        f => f,
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobPatch {
    pub status: Option<JobStatus>,
    pub destination: Option<Destination>,
    pub trailer_ids: Option<Vec<String>>,
    pub details: DetailsPatch,
}

const PATCHABLE: &str = "status, destination, trailer_ids, dispatcher_id, window_end, notify, geofence_m, stops";

/// `PATCH /api/jobs/{job_id}`: only what may change; `null` is not a value, except for
/// `dispatcher_id` and `window_end`, which it clears.
#[derive(Debug, Deserialize)]
pub struct JobPatchBody {
    #[serde(default)]
    pub status: Field<JobStatus>,
    #[serde(default)]
    pub destination: Field<Object<Destination>>,
    #[serde(default)]
    pub trailer_ids: Field<Vec<String>>,
    #[serde(flatten)]
    pub details: details::DetailsBody,
    #[serde(flatten)]
    pub unknown: std::collections::BTreeMap<String, serde_json::Value>,
}

impl RequestBody for JobPatchBody {}

impl JobPatchBody {
    pub fn validate(self) -> Result<JobPatch, JobError> {
        if let Some(k) = self.unknown.keys().next() {
            return Err(invalid(
                "unknown_field",
                format!("{k} cannot be changed; use {PATCHABLE}"),
            ));
        }
        let patch = JobPatch {
            status: status(self.status)?,
            destination: destination(self.destination)?,
            trailer_ids: trailer_ids(self.trailer_ids)?,
            details: self.details.validate()?,
        };
        if patch == JobPatch::default() {
            return Err(invalid("empty_patch", format!("give at least one of {PATCHABLE}")));
        }
        Ok(patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn validate_new_job(v: &Value) -> Result<NewJob, String> {
        crate::body::parse::<NewJobBody>(v.to_string().as_bytes())
            .map_err(|e| e.code().to_string())
            .and_then(|b| b.validate().map_err(|e| e.code().to_string()))
    }

    fn validate_patch(v: &Value) -> Result<JobPatch, String> {
        crate::body::parse::<JobPatchBody>(v.to_string().as_bytes())
            .map_err(|e| e.code().to_string())
            .and_then(|b| b.validate().map_err(|e| e.code().to_string()))
    }

    fn validate_destination(v: &Value) -> Result<Destination, String> {
        validate_patch(&json!({ "destination": v })).map(|p| p.destination.unwrap())
    }

    #[test]
    fn transitions_follow_the_job() {
        use JobStatus::*;
        assert!(Scheduled.can_become(EnRoute));
        assert!(EnRoute.can_become(AtSite));
        assert!(AtSite.can_become(EnRouteNext));
        assert!(EnRouteNext.can_become(Completed));
        assert!(!Completed.can_become(EnRoute));
        assert!(!Cancelled.can_become(Scheduled));
        assert!(!Scheduled.can_become(Completed));
        assert!(!AtSite.can_become(Scheduled));
        for s in JobStatus::ALL {
            assert!(s.can_become(s));
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn new_job_validation_names_the_field() {
        let ok = json!({"customer_name": "Ann", "customer_phone": "+15551234567",
            "destination": {"lat": 53.4, "lon": -2.9}, "trailer_ids": ["T1", "T1", "T2"]});
        let j = validate_new_job(&ok).unwrap();
        assert_eq!(j.trailer_ids, vec!["T1", "T2"]);
        assert_eq!(j.status, JobStatus::Scheduled);
        let cases = [
            (json!([]), "invalid_body"),
            (
                json!({"customer_name": "", "customer_phone": "+15551234567", "destination": {"lat": 1, "lon": 1}}),
                "invalid_customer_name",
            ),
            (
                json!({"customer_name": "A", "customer_phone": "555", "destination": {"lat": 1, "lon": 1}}),
                "invalid_phone",
            ),
            (
                json!({"customer_name": "A", "customer_phone": "+15551234567", "destination": {"lat": 91, "lon": 1}}),
                "invalid_destination",
            ),
            (
                json!({"customer_name": "A", "customer_phone": "+15551234567"}),
                "invalid_destination",
            ),
            (
                json!({"customer_name": "A", "customer_phone": "+15551234567", "destination": {"lat": 1, "lon": 1}, "status": "flying"}),
                "invalid_status",
            ),
            (
                json!({"customer_name": "A", "customer_phone": "+15551234567", "destination": {"lat": 1, "lon": 1}, "trailer_ids": ["../x"]}),
                "invalid_trailer_ids",
            ),
        ];
        for (v, code) in cases {
            assert_eq!(validate_new_job(&v).unwrap_err(), code, "{v}");
        }
    }

    #[test]
    fn a_destination_must_be_an_object() {
        // serde alone would read [lat, lon] into the struct.
        assert_eq!(validate_destination(&json!([1, 2])).unwrap_err(), "invalid_destination");
        assert_eq!(validate_destination(&json!({"lat": 1, "lon": 2})).unwrap().lon, 2.0);
    }

    #[test]
    fn patches_need_something_known() {
        assert_eq!(validate_patch(&json!({})).unwrap_err(), "empty_patch");
        assert_eq!(
            validate_patch(&json!({"customer_phone": "+1"})).unwrap_err(),
            "unknown_field"
        );
        assert_eq!(
            validate_patch(&json!({"status": "at_site"})).unwrap().status,
            Some(JobStatus::AtSite)
        );
    }

    #[test]
    fn a_job_with_stops_heads_for_the_first() {
        let v = json!({"customer_name": "Ann", "customer_phone": "+15551234567", "dispatcher_id": "dana",
            "stops": [{"kind": "pickup", "lat": 1, "lon": 2, "address": "Yard"},
                      {"kind": "dropoff", "lat": 3, "lon": 4}]});
        let j = validate_new_job(&v).unwrap();
        assert_eq!(
            (j.destination.lat, j.destination.address.as_deref()),
            (1.0, Some("Yard"))
        );
        assert_eq!(j.details.stops.len(), 2);
        assert_eq!(j.details.dispatcher_id.as_deref(), Some("dana"));
        assert!(j.details.notify);
        let mut elsewhere = v.clone();
        elsewhere["destination"] = json!({"lat": 3, "lon": 4});
        assert_eq!(validate_new_job(&elsewhere).unwrap_err(), "invalid_stops");
        assert_eq!(
            validate_patch(&json!({"notify": false})).unwrap().details.notify,
            Some(false)
        );
    }
}
