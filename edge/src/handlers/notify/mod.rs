//! `/notify/*` (dispatch): messages to a job's customer.

pub mod sms;
pub mod voice;
