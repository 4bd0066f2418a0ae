//! Errors to HTTP, in one place: status, `{"error":{code, message, message_ms, …details}}`.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::messages;
use crate::error::{AppError, ErrorKind};

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Gone => StatusCode::GONE,
        ErrorKind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Locked => StatusCode::LOCKED,
        ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (ms, en) = messages::for_code(self.code);
        let mut body = json!({"code": self.code, "message": en, "message_ms": ms});
        if let Some(obj) = body.as_object_mut() {
            obj.extend(self.details);
        }
        let mut response = (status_of(self.kind), Json(json!({ "error": body }))).into_response();
        if self.kind == ErrorKind::TooManyRequests
            && let Some(secs) = response_retry_after(&body)
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs);
        }
        response
    }
}

fn response_retry_after(body: &serde_json::Value) -> Option<axum::http::HeaderValue> {
    let secs = body.get("retry_after_secs")?.as_u64()?;
    axum::http::HeaderValue::from_str(&secs.to_string()).ok()
}

/// Axum's JSON extractor errors, in our shape.
pub fn from_json_rejection(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            let text = e.body_text();
            let code = if text.contains("missing field") {
                "missing_field"
            } else {
                "wrong_type"
            };
            // serde's text may quote the offending value (an IC number, say):
            // return only the field's path.
            AppError::unprocessable(code).with("field", field_of(&text))
        }
        JsonRejection::MissingJsonContentType(_) => unsupported_media_type(),
        JsonRejection::BytesRejection(e) => from_bytes_rejection(e),
        _ => AppError::bad_request("invalid_json"),
    }
}

/// A body that is not (declared as) JSON where JSON is required.
pub fn unsupported_media_type() -> AppError {
    AppError::new(ErrorKind::UnsupportedMediaType, "unsupported_media_type")
}

/// A raw body's size-limit and read failures.
pub fn from_bytes_rejection(rejection: BytesRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(ErrorKind::PayloadTooLarge, "body_too_large")
    } else if is_body_timeout(&rejection) {
        body_timeout()
    } else {
        AppError::bad_request("body_unreadable")
    }
}

/// What a request body gives when it did not arrive within the server's
/// body read timeout (`hims serve`; API Gateway has its own).
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimedOut;

/// 408 `body_timeout`.
pub fn body_timeout() -> AppError {
    AppError::new(ErrorKind::RequestTimeout, "body_timeout")
}

/// Whether a body read failed because of [`BodyTimedOut`], however wrapped.
pub fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// A path segment that does not decode (not UTF-8, say).
pub fn from_path_rejection(_: PathRejection) -> AppError {
    AppError::bad_request("path_invalid")
}

/// A query string that does not fit the route's parameters.
pub fn from_query_rejection(_: QueryRejection) -> AppError {
    AppError::bad_request("query_invalid")
}

/// The field path in a serde error text such as
/// "Failed to deserialize …: parties[0].order: invalid type: …" or
/// "…: missing field `unit` at line 1 column 2".
fn field_of(text: &str) -> String {
    let detail = text
        .split_once("target type: ")
        .map_or(text, |(_, rest)| rest);
    let (path, reason) = match detail.split_once(": ") {
        Some((path, reason)) if !path.contains(' ') => (path, reason),
        _ => (".", detail),
    };
    let missing = reason
        .split('`')
        .nth(1)
        .filter(|_| reason.starts_with("missing field"));
    match (path, missing) {
        (".", Some(name)) => name.to_owned(),
        (path, Some(name)) => format!("{path}.{name}"),
        (path, None) => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn field_paths_without_values() {
        let t = "Failed to deserialize the JSON body into the target type: parties[0].order: invalid type: string \"901231-14-5678\", expected u32 at line 1 column 9";
        assert_eq!(field_of(t), "parties[0].order");
        let t = "Failed to deserialize the JSON body into the target type: missing field `unit` at line 1 column 2";
        assert_eq!(field_of(t), "unit");
        let t = "Failed to deserialize the JSON body into the target type: parties[1]: missing field `email` at line 1 column 2";
        assert_eq!(field_of(t), "parties[1].email");
    }
}
