//! One module per resource, one function per endpoint.

pub mod devices;
pub mod dispatch_page;
pub mod health;
pub mod ingest;
pub mod jobs;
pub mod maintenance;
pub mod metrics;
pub mod notify;
pub mod relay;
pub mod session;
pub mod sms;
pub mod tokens;
pub mod track_page;
pub mod trailers;
pub mod trailers_list;
pub mod voice;
