//! One error type for every handler, turned into the contract's JSON body in one place.

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

    /// A domain error from `qdn-shared`, as the given status.
    pub fn from_code(status: u16, e: &impl ErrorCode) -> Self {
        Self::client(status, e.code(), e.to_string())
    }

    pub fn job_not_found() -> Self {
        Self::client(404, "job_not_found", "no job matches this link or id")
    }

    pub fn into_response(self) -> Response {
        let (status, code, message, extra) = match self {
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
        let body = serde_json::json!({ "error": code, "message": message });
        let mut resp = crate::http::json(status, &body);
        if let Some((k, v)) = extra {
            let _ = resp.headers_mut().set(k, &v);
        }
        resp
    }
}

impl From<worker::Error> for AppError {
    fn from(e: worker::Error) -> Self {
        AppError::Internal(e.to_string())
    }
}

pub type AppResult<T = Response> = Result<T, AppError>;
