//! The one error envelope every CROW Edge HTTP response uses:
//!
//! ```json
//! {"error":{"code":"VALIDATION_ERROR","message":"…","details":{…},"request_id":"req_…"}}
//! ```
//!
//! `code` is a stable SCREAMING_SNAKE identifier (documented in the OpenAPI document), the HTTP
//! status always follows from it, `message` is for humans and never carries internals, and
//! `details` is machine-readable (clients must ignore keys they do not know).

use serde::Serialize;
use serde_json::{json, Map, Value};

/// Stable error codes. The HTTP status is a function of the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// 400: the request is malformed or a field is invalid (`details.field` names it).
    ValidationError,
    /// 401: no credential, or one that does not verify.
    Unauthorized,
    /// 403: authenticated, but the role or the origin does not allow the action.
    Forbidden,
    /// 404: no such route or no such resource *for this caller* (other tenants' ids included).
    NotFound,
    /// 405: the route exists but not for this method (`Allow` lists the methods).
    MethodNotAllowed,
    /// 406: the client does not accept any representation we can produce.
    NotAcceptable,
    /// 409: the request conflicts with the current state (duplicate, wrong state).
    Conflict,
    /// 413: the body is larger than this route accepts.
    PayloadTooLarge,
    /// 415: the body is not `application/json` where JSON is required.
    UnsupportedMediaType,
    /// 429: a rate limit or quota is exhausted (`Retry-After` says when to come back).
    RateLimited,
    /// 500: a bug or an unexpected state; details are logged, never returned.
    InternalError,
    /// 502: a dependency (another worker, Stripe, a crawled site) answered badly.
    BadGateway,
    /// 503: a dependency is unavailable or timed out.
    ServiceUnavailable,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::ValidationError => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::NotAcceptable => 406,
            ErrorCode::Conflict => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::RateLimited => 429,
            ErrorCode::InternalError => 500,
            ErrorCode::BadGateway => 502,
            ErrorCode::ServiceUnavailable => 503,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::NotAcceptable => "NOT_ACCEPTABLE",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::InternalError => "INTERNAL_ERROR",
            ErrorCode::BadGateway => "BAD_GATEWAY",
            ErrorCode::ServiceUnavailable => "SERVICE_UNAVAILABLE",
        }
    }

    /// Every code, for documentation and tests.
    pub const ALL: [ErrorCode; 13] = [
        ErrorCode::ValidationError,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::NotAcceptable,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::RateLimited,
        ErrorCode::InternalError,
        ErrorCode::BadGateway,
        ErrorCode::ServiceUnavailable,
    ];
}

/// A client-facing error: what goes into the envelope, plus the extra response headers it needs
/// (`Allow` on 405, `Retry-After` on 429/503, `WWW-Authenticate` on 401).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Map<String, Value>,
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), details: Map::new(), headers: Vec::new() }
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// Adds one `details` member.
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// 400 naming the offending field: `details = {"field": field, "issue": issue}`.
    pub fn invalid_field(field: &str, issue: impl Into<String>) -> Self {
        let issue = issue.into();
        ApiError::new(ErrorCode::ValidationError, format!("Invalid field `{field}`: {issue}"))
            .detail("field", field)
            .detail("issue", issue)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::ValidationError, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Forbidden, message)
    }

    /// 404 for a resource. Used identically for "does not exist" and "belongs to another
    /// organization", so that ids of other tenants cannot be probed.
    pub fn not_found(what: &str) -> Self {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn route_not_found(method: &str, path: &str) -> Self {
        ApiError::new(ErrorCode::NotFound, format!("No route for {method} {path}"))
            .detail("method", method)
            .detail("path", path)
    }

    pub fn method_not_allowed(method: &str, allow: &[&str]) -> Self {
        let allow_header = allow.join(", ");
        ApiError::new(ErrorCode::MethodNotAllowed, format!("Method {method} is not allowed here"))
            .detail("method", method)
            .detail("allow", allow.iter().map(|m| Value::from(*m)).collect::<Vec<_>>())
            .header("Allow", allow_header)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Conflict, message)
    }

    pub fn payload_too_large(limit_bytes: usize) -> Self {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("Request body exceeds the limit of {limit_bytes} bytes"),
        )
        .detail("limit_bytes", limit_bytes as u64)
    }

    /// 500 with a fixed, internals-free message. The cause belongs in the log, not here.
    pub fn internal() -> Self {
        ApiError::new(
            ErrorCode::InternalError,
            "Internal error. Quote the request id when reporting it.",
        )
    }

    pub fn bad_gateway(dependency: &str) -> Self {
        ApiError::new(ErrorCode::BadGateway, format!("The {dependency} answered with an error"))
            .detail("dependency", dependency)
    }

    pub fn unavailable(dependency: &str) -> Self {
        ApiError::new(ErrorCode::ServiceUnavailable, format!("The {dependency} is unavailable"))
            .detail("dependency", dependency)
    }

    /// The envelope body, with the request id inside `error` as well as in `X-Request-Id`.
    pub fn envelope(&self, request_id: &str) -> Value {
        json!({
            "error": {
                "code": self.code.as_str(),
                "message": self.message,
                "details": Value::Object(self.details.clone()),
                "request_id": request_id,
            }
        })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_the_documented_shape() {
        let e = ApiError::invalid_field("date_from", "expected ISO 8601");
        let v = e.envelope("req_1");
        assert_eq!(v["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(v["error"]["details"]["field"], "date_from");
        assert_eq!(v["error"]["request_id"], "req_1");
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn method_not_allowed_carries_allow_header() {
        let e = ApiError::method_not_allowed("DELETE", &["GET", "POST"]);
        assert_eq!(e.status(), 405);
        assert_eq!(e.headers, vec![("Allow", "GET, POST".to_string())]);
        assert_eq!(e.envelope("r")["error"]["details"]["allow"], json!(["GET", "POST"]));
    }

    #[test]
    fn codes_serialize_as_their_names() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), Value::from(code.as_str()));
            assert!((400..600).contains(&code.status()));
        }
    }

    #[test]
    fn internal_error_says_nothing_about_internals() {
        let v = ApiError::internal().envelope("r");
        assert_eq!(v["error"]["details"], json!({}));
        assert!(!v.to_string().to_lowercase().contains("sql"));
    }
}
