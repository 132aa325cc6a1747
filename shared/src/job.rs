//! Jobs: a customer, a destination, the trailers hauled, and where the job stands.

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

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
}

fn invalid(code: &'static str, msg: impl Into<String>) -> JobError {
    JobError::Invalid(code, msg.into())
}

/// Ids of jobs, trailers and dispatchers: short, URL-safe, no surprises in logs or SQL.
pub fn valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn validate_destination(v: &serde_json::Value) -> Result<Destination, JobError> {
    let shape = || {
        invalid(
            "invalid_destination",
            "destination must be {\"lat\", \"lon\", \"address\"?}",
        )
    };
    // Objects only: serde would read a struct from an array too ([1, 2] as lat, lon).
    if !v.is_object() {
        return Err(shape());
    }
    let d: Destination = serde_json::from_value(v.clone()).map_err(|_| shape())?;
    if !(d.lat.is_finite() && (-90.0..=90.0).contains(&d.lat)) {
        return Err(invalid("invalid_destination", "destination.lat must be within -90..90"));
    }
    if !(d.lon.is_finite() && (-180.0..=180.0).contains(&d.lon)) {
        return Err(invalid(
            "invalid_destination",
            "destination.lon must be within -180..180",
        ));
    }
    if d.address.as_ref().is_some_and(|a| a.chars().count() > 300) {
        return Err(invalid(
            "invalid_destination",
            "destination.address is longer than 300 characters",
        ));
    }
    Ok(d)
}

pub fn validate_trailer_ids(v: &serde_json::Value) -> Result<Vec<String>, JobError> {
    let msg = "trailer_ids must be a list of up to 16 ids (letters, digits, - and _)";
    let list = v.as_array().ok_or_else(|| invalid("invalid_trailer_ids", msg))?;
    if list.len() > 16 {
        return Err(invalid("invalid_trailer_ids", msg));
    }
    let mut ids = Vec::with_capacity(list.len());
    for t in list {
        match t.as_str() {
            Some(s) if valid_id(s) => {
                if !ids.iter().any(|x| x == s) {
                    ids.push(s.to_string());
                }
            }
            _ => return Err(invalid("invalid_trailer_ids", msg)),
        }
    }
    Ok(ids)
}

pub fn validate_status(v: &serde_json::Value) -> Result<JobStatus, JobError> {
    v.as_str().and_then(JobStatus::parse).ok_or_else(|| {
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
}

fn object(v: &serde_json::Value) -> Result<&serde_json::Map<String, serde_json::Value>, JobError> {
    v.as_object()
        .ok_or_else(|| invalid("invalid_body", "the body must be a JSON object"))
}

/// `POST /api/jobs`. `job_id` is an addition to the contract: a caller may choose the id
/// (letters, digits, `-`, `_`) so that seeding and retries are idempotent.
pub fn validate_new_job(v: &serde_json::Value) -> Result<NewJob, JobError> {
    let o = object(v)?;
    let job_id = match o.get("job_id") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if valid_id(s) => Some(s.clone()),
        Some(_) => return Err(invalid("invalid_job_id", "job_id must be 1-64 letters, digits, - or _")),
    };
    let customer_name = match o.get("customer_name").and_then(|x| x.as_str()) {
        Some(s) if !s.trim().is_empty() && s.chars().count() <= 120 => s.trim().to_string(),
        _ => {
            return Err(invalid(
                "invalid_customer_name",
                "customer_name must be a non-empty string of at most 120 characters",
            ))
        }
    };
    let customer_phone = match o.get("customer_phone").and_then(|x| x.as_str()) {
        Some(s) if crate::phone::is_e164(s) => s.to_string(),
        _ => {
            return Err(invalid(
                "invalid_phone",
                "customer_phone must be an E.164 number such as +15551234567",
            ))
        }
    };
    let destination = validate_destination(
        o.get("destination")
            .ok_or_else(|| invalid("invalid_destination", "destination is required"))?,
    )?;
    let trailer_ids = match o.get("trailer_ids") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(v) => validate_trailer_ids(v)?,
    };
    let status = match o.get("status") {
        None | Some(serde_json::Value::Null) => JobStatus::Scheduled,
        Some(v) => validate_status(v)?,
    };
    Ok(NewJob {
        job_id,
        customer_name,
        customer_phone,
        destination,
        trailer_ids,
        status,
    })
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobPatch {
    pub status: Option<JobStatus>,
    pub destination: Option<Destination>,
    pub trailer_ids: Option<Vec<String>>,
}

pub fn validate_patch(v: &serde_json::Value) -> Result<JobPatch, JobError> {
    let o = object(v)?;
    if let Some(k) = o
        .keys()
        .find(|k| !matches!(k.as_str(), "status" | "destination" | "trailer_ids"))
    {
        return Err(invalid(
            "unknown_field",
            format!("{k} cannot be changed; use status, destination or trailer_ids"),
        ));
    }
    let patch = JobPatch {
        status: o.get("status").map(validate_status).transpose()?,
        destination: o.get("destination").map(validate_destination).transpose()?,
        trailer_ids: o.get("trailer_ids").map(validate_trailer_ids).transpose()?,
    };
    if patch == JobPatch::default() {
        return Err(invalid(
            "empty_patch",
            "give at least one of status, destination, trailer_ids",
        ));
    }
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
            assert_eq!(validate_new_job(&v).unwrap_err().code(), code, "{v}");
        }
    }

    #[test]
    fn a_destination_must_be_an_object() {
        // serde alone would read [lat, lon] into the struct.
        assert_eq!(
            validate_destination(&json!([1, 2])).unwrap_err().code(),
            "invalid_destination"
        );
        assert_eq!(validate_destination(&json!({"lat": 1, "lon": 2})).unwrap().lon, 2.0);
    }

    #[test]
    fn patches_need_something_known() {
        assert_eq!(validate_patch(&json!({})).unwrap_err().code(), "empty_patch");
        assert_eq!(
            validate_patch(&json!({"customer_phone": "+1"})).unwrap_err().code(),
            "unknown_field"
        );
        assert_eq!(
            validate_patch(&json!({"status": "at_site"})).unwrap().status,
            Some(JobStatus::AtSite)
        );
    }
}
