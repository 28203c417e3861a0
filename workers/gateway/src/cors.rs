//! CORS for the dashboard and the CSRF check for cookie-authenticated writes.
//!
//! Allowed origins come from the `ALLOWED_ORIGINS` variable (comma-separated). Credentials are
//! only ever allowed for those exact origins; there is no `*`.

use crow_common::ApiError;
use crow_edge::header;
use worker::{Env, Request, Response};

use crate::config;

const ALLOW_HEADERS: &str = "Authorization, Content-Type, X-API-Key, X-Request-Id, Idempotency-Key";
const EXPOSE_HEADERS: &str =
    "X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, RateLimit, RateLimit-Policy";

fn allowed(env: &Env, origin: &str) -> bool {
    config::var(env, "ALLOWED_ORIGINS", "")
        .split(',')
        .map(str::trim)
        .any(|o| !o.is_empty() && o.eq_ignore_ascii_case(origin))
}

/// The request's `Origin` if it is on the allowlist.
pub fn allowed_origin(env: &Env, req: &Request) -> Option<String> {
    header(req, "Origin").filter(|o| allowed(env, o))
}

/// `OPTIONS` preflight: 204 with the CORS grant for an allowed origin, 403 otherwise.
pub fn preflight(env: &Env, req: &Request) -> Result<Response, ApiError> {
    let origin =
        allowed_origin(env, req).ok_or_else(|| ApiError::forbidden("Origin not allowed"))?;
    let resp = crow_edge::empty(204)?;
    let h = resp.headers();
    let _ = h.set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    let _ = h.set("Access-Control-Allow-Headers", ALLOW_HEADERS);
    let _ = h.set("Access-Control-Max-Age", "600");
    let _ = h.set("Access-Control-Allow-Origin", &origin);
    Ok(resp)
}

/// Adds the CORS grant to a finished response when the origin is allowed.
pub fn decorate(resp: &mut Response, origin: Option<&str>) {
    let h = resp.headers_mut();
    let _ = h.append("Vary", "Origin");
    if let Some(origin) = origin {
        let _ = h.set("Access-Control-Allow-Origin", origin);
        let _ = h.set("Access-Control-Allow-Credentials", "true");
        let _ = h.set("Access-Control-Expose-Headers", EXPOSE_HEADERS);
    }
}

fn request_origin(req: &Request) -> Option<String> {
    req.url().ok().map(|u| u.origin().ascii_serialization())
}

/// CSRF defence for cookie sessions: a state-changing request must come from an allowed origin
/// or from the API's own origin (`Origin`, or failing that `Referer`). Requests with no origin
/// information at all are refused, since a browser always sends one on cross-site writes.
pub fn check_csrf(env: &Env, req: &Request) -> Result<(), ApiError> {
    let origin = header(req, "Origin").or_else(|| {
        header(req, "Referer")
            .and_then(|r| worker::Url::parse(&r).ok())
            .map(|u| u.origin().ascii_serialization())
    });
    match origin {
        Some(o) if allowed(env, &o) || request_origin(req).as_deref() == Some(o.as_str()) => Ok(()),
        Some(o) => Err(ApiError::forbidden("Cross-site request refused: origin not allowed")
            .detail("origin", o)),
        None => Err(ApiError::forbidden("Cookie-authenticated writes need an Origin header")),
    }
}

/// For sign-in and sign-up (no session yet): refuse a browser request from a foreign origin
/// (login CSRF). Requests without `Origin` (server-side clients) pass.
pub fn check_login_origin(env: &Env, req: &Request) -> Result<(), ApiError> {
    match header(req, "Origin") {
        None => Ok(()),
        Some(_) => check_csrf(env, req),
    }
}
