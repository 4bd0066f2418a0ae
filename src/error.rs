//! The one error type of the use cases. Each error has a kind (which HTTP maps
//! to a status in `http::error`) and a stable snake_case code (which the
//! message catalogue turns into Malay and English text). Details never carry
//! secrets or identity numbers.

use serde_json::{Map, Value};

use crate::domain::{DomainError, FieldError};
use crate::ports::{BlobError, KeyError, MailError, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    Gone,
    RequestTimeout,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unprocessable,
    Locked,
    TooManyRequests,
    Unavailable,
    Internal,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub details: Map<String, Value>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(kind: ErrorKind, code: &'static str) -> Self {
        Self {
            kind,
            code,
            details: Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    pub fn bad_request(code: &'static str) -> Self {
        Self::new(ErrorKind::BadRequest, code)
    }
    pub fn unauthorized(code: &'static str) -> Self {
        Self::new(ErrorKind::Unauthorized, code)
    }
    pub fn not_found(code: &'static str) -> Self {
        Self::new(ErrorKind::NotFound, code)
    }
    pub fn conflict(code: &'static str) -> Self {
        Self::new(ErrorKind::Conflict, code)
    }
    pub fn unprocessable(code: &'static str) -> Self {
        Self::new(ErrorKind::Unprocessable, code)
    }
    pub fn internal(code: &'static str) -> Self {
        Self::new(ErrorKind::Internal, code)
    }

    /// Validation problems, every one of them, as `details.fields`.
    pub fn invalid_fields(errors: &[FieldError]) -> Self {
        let fields: Vec<Value> = errors
            .iter()
            .map(|e| serde_json::json!({"field": e.field, "code": e.code}))
            .collect();
        Self::new(ErrorKind::Unprocessable, "validation_failed").with("fields", fields)
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        if let DomainError::InvalidAgreement(fields) = &e {
            return Self::invalid_fields(fields);
        }
        let kind = match e.code() {
            "unknown_party" => ErrorKind::NotFound,
            "deadline_passed" => ErrorKind::Gone,
            _ => ErrorKind::Conflict,
        };
        Self::new(kind, e.code())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ConditionFailed { .. } | StoreError::Conflict => {
                Self::conflict("concurrent_update")
            }
            StoreError::Invalid(reason) => {
                tracing::warn!(%reason, "store refused the request");
                Self::bad_request("request_invalid")
            }
            StoreError::Unavailable(reason) => {
                tracing::error!(%reason, "store unavailable");
                Self::new(ErrorKind::Unavailable, "service_unavailable")
            }
        }
    }
}

impl From<BlobError> for AppError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::NotFound => Self::not_found("document_not_found"),
            BlobError::AlreadyExists => Self::conflict("concurrent_update"),
            BlobError::Unavailable(reason) => {
                tracing::error!(%reason, "blob store unavailable");
                Self::new(ErrorKind::Unavailable, "service_unavailable")
            }
        }
    }
}

impl From<KeyError> for AppError {
    fn from(e: KeyError) -> Self {
        tracing::error!(error = %e, "key service failed");
        Self::new(ErrorKind::Unavailable, "service_unavailable")
    }
}

impl From<MailError> for AppError {
    fn from(e: MailError) -> Self {
        tracing::warn!(error = %e, "mailer failed");
        Self::new(ErrorKind::Unavailable, "service_unavailable")
    }
}
