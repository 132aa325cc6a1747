//! One error type for every handler, turned into the contract's JSON body in one place.

use qdn_shared::notify::SendAttempt;
use qdn_shared::view::ErrorBody;
use qdn_shared::ErrorCode;
use worker::Response;

#[derive(Debug)]
pub enum AppError {
    /// A 4xx the caller can act on.
    Client {
        status: u16,
        code: &'static str,
        message: String,
    },
    /// A 405, with the methods the path does take.
    Method { allow: &'static str },
    /// A 429, with when to come back.
    RateLimited { retry_after_s: u32 },
    /// A 502: Twilio refused a text from every sender number.
    NotSent { attempts: Vec<SendAttempt> },
    /// Our fault or a dependency's: logged, never detailed to the caller.
    Internal(String),
}

impl AppError {
    pub fn client(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Client {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::client(400, code, message)
    }

    pub fn job_not_found() -> Self {
        Self::client(404, "job_not_found", "no job matches this link or id")
    }

    pub fn not_found() -> Self {
        Self::client(404, "not_found", "no such endpoint")
    }

    pub fn into_response(self) -> Response {
        let mut attempts = None;
        let (status, code, message, header) = match self {
            AppError::Client { status, code, message } => (status, code, message, None),
            AppError::Method { allow } => (
                405,
                "method_not_allowed",
                format!("this path takes {allow}"),
                Some(("Allow", allow.to_string())),
            ),
            AppError::RateLimited { retry_after_s } => (
                429,
                "rate_limited",
                format!("too many requests; retry in {retry_after_s} s"),
                Some(("Retry-After", retry_after_s.to_string())),
            ),
            AppError::NotSent { attempts: a } => {
                attempts = Some(a);
                (
                    502,
                    "sms_not_sent",
                    "Twilio refused the text from every sender number".to_string(),
                    None,
                )
            }
            AppError::Internal(detail) => {
                worker::console_error!("internal error: {detail}");
                (
                    500,
                    "internal",
                    "something went wrong on our side; please retry".to_string(),
                    None,
                )
            }
        };
        let body = ErrorBody {
            error: code.to_string(),
            message,
            attempts,
        };
        let mut resp = crate::http::json(status, &body);
        if let Some((k, v)) = header {
            let _ = resp.headers_mut().set(k, &v);
        }
        resp
    }
}

impl AppError {
    /// A domain error of `qdn-shared`: it carries its code and status.
    pub fn domain(e: &impl ErrorCode) -> Self {
        AppError::client(e.status(), e.code(), e.to_string())
    }
}

/// `?` on the domain's errors (a blanket impl would overlap `From<worker::Error>`).
macro_rules! domain_errors {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for AppError {
            fn from(e: $t) -> Self {
                AppError::domain(&e)
            }
        }
    )*};
}

domain_errors!(
    qdn_shared::body::BodyError,
    qdn_shared::body::Invalid,
    qdn_shared::fix::BodyError,
    qdn_shared::fix::FixError,
    qdn_shared::ingest::IngestError,
    qdn_shared::job::JobError,
    qdn_shared::relay::roster::RosterError,
    qdn_shared::token::TokenError,
    qdn_shared::twilio::inbound::InboundError,
);

impl From<worker::Error> for AppError {
    fn from(e: worker::Error) -> Self {
        AppError::Internal(e.to_string())
    }
}

pub type AppResult<T = Response> = Result<T, AppError>;
