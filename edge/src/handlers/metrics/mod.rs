//! `/api/metrics/*` (dispatch): figures computed from the audit log.

pub mod relay;
