//! The error responses of the OpenAPI document, in one place: every 4xx
//! answer has the error shape of `error.rs`, and the errors the extractors
//! raise before a handler runs (authentication, JSON body, path) are declared
//! on every route that has those extractors, so no route can forget them.

use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response};

/// `{"error": {…}}`: every error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorDetail,
}

/// A stable code with its English and Malay text; some codes add details.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code (each response lists the codes it can carry).
    pub code: String,
    pub message: String,
    pub message_ms: String,
    /// `missing_field`, `wrong_type`: the field's path (never its value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `validation_failed`: every field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldProblem>>,
    /// `pin_incorrect`, `identity_mismatch`, `email_code_incorrect`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_attempts_left: Option<u32>,
    /// 429: also in `Retry-After`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// `pin_policy`: the broken rules' codes and texts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_messages: Option<Vec<RuleMessage>>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RuleMessage {
    pub code: String,
    pub message: String,
    pub message_ms: String,
}

/// What an extractor can refuse: status and the codes it uses.
type Refusal = (&'static str, &'static str);

const JSON_BODY: &[Refusal] = &[
    ("400", "invalid_json, body_unreadable"),
    ("413", "body_too_large"),
    ("415", "unsupported_media_type"),
    ("422", "missing_field, wrong_type (details.field)"),
];
const RAW_BODY: &[Refusal] = &[("400", "body_unreadable"), ("413", "body_too_large")];
const PORTAL: &[Refusal] = &[("401", "token_missing, token_invalid")];
const SIGNER: &[Refusal] = &[
    ("401", "token_missing, link_invalid"),
    ("410", "link_expired"),
];
const PATH: &[Refusal] = &[("400", "path_invalid")];

/// Declares the extractors' refusals and gives every 4xx the error schema.
pub fn declare_errors(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            for refusals in refusals(operation) {
                for &(status, codes) in refusals {
                    let response = operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::T(Response::new(codes)));
                    if let RefOr::T(r) = response
                        && r.description.is_empty()
                    {
                        r.description = codes.to_owned();
                    }
                }
            }
            for (status, response) in &mut operation.responses.responses {
                if let (true, RefOr::T(response)) = (status.starts_with('4'), response) {
                    error_content(response);
                }
            }
        }
    }
}

fn refusals(operation: &Operation) -> Vec<&'static [Refusal]> {
    let mut all = Vec::new();
    if let Some(RefOr::T(body)) = &operation.request_body {
        all.push(if body.content.contains_key("application/json") {
            JSON_BODY
        } else {
            RAW_BODY
        });
    }
    let requires = |scheme: &str| {
        let wanted = SecurityRequirement::new(scheme, Vec::<String>::new());
        operation.security.iter().flatten().any(|r| *r == wanted)
    };
    if requires("portal") {
        all.push(PORTAL);
    }
    if requires("signer_link") {
        all.push(SIGNER);
    }
    let in_path = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    if in_path {
        all.push(PATH);
    }
    all
}

fn error_content(response: &mut Response) {
    let schema = Ref::from_schema_name(ErrorResponse::name());
    response
        .content
        .entry("application/json".to_owned())
        .or_insert_with(|| RefOr::T(ContentBuilder::new().schema(Some(schema)).build()));
}

/// A domain enum's wire names as a string enum (the domain crate knows no utoipa).
pub(crate) fn wire_names<T: Serialize>(variants: &[T]) -> Object {
    let names = variants.iter().filter_map(|v| serde_json::to_value(v).ok());
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .build()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn operations() -> Vec<(String, Value)> {
        let doc = serde_json::to_value(crate::http::openapi()).unwrap_or_default();
        let mut all = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                all.push((format!("{method} {path}"), op.clone()));
            }
        }
        all
    }

    fn declares(op: &Value, status: &str) -> bool {
        op["responses"].get(status).is_some()
    }

    #[test]
    fn every_4xx_has_the_error_shape() {
        let all = operations();
        assert!(all.len() > 20, "too few operations: {}", all.len());
        for (name, op) in all {
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                if status.starts_with('4') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/ErrorResponse",
                        "{name} {status}"
                    );
                    assert_ne!(response["description"], "", "{name} {status}");
                }
            }
        }
    }

    #[test]
    fn extractor_refusals_are_declared_where_the_extractors_are() {
        for (name, op) in operations() {
            let security = op["security"].to_string();
            if security.contains("signer_link") {
                assert!(declares(&op, "401") && declares(&op, "410"), "{name}");
            }
            if security.contains("portal") {
                assert!(declares(&op, "401"), "{name}");
            }
            if op["requestBody"]["content"]
                .get("application/json")
                .is_some()
            {
                for status in ["400", "413", "415", "422"] {
                    assert!(declares(&op, status), "{name} {status}");
                }
            }
            if name.contains('{') {
                assert!(declares(&op, "400"), "{name}");
            }
        }
    }
}
