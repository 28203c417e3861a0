//! Applying rate limits: which subject and policy a request counts against, the call to that
//! subject's `RateLimiter` Durable Object, and the response headers.
//!
//! - API keys count per key, session users per user, anonymous callers per client IP
//!   (`CF-Connecting-IP`, which Cloudflare sets and clients cannot override in production).
//! - The tier comes from the organization's plan (the key's organization, or the user's active
//!   one); Enterprise organizations carry their own limits.
//! - Requests from the MCP and A2A workers (internal key) are not counted again: those workers
//!   count their callers at entry through `POST /api/v1/auth/api-key/verify` with `consume`.
//! - A 401/403 answer gives the request back to the key or user it named.

use crow_common::ratelimit::{Decision, Policy, Tier};
use crow_common::{ApiError, ErrorCode};
use crow_edge::{header, now_ms};
use serde_json::json;
use worker::{console_error, Env, Request, Response};

use crate::config;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Key(String),
    User(String),
    Ip(String),
}

impl Subject {
    /// The Durable Object name: ids and addresses only, never a secret.
    pub fn object_name(&self) -> String {
        match self {
            Subject::Key(id) => format!("key:{id}"),
            Subject::User(id) => format!("user:{id}"),
            Subject::Ip(ip) => format!("ip:{ip}"),
        }
    }

    /// Whether a 401/403 should give the request back (not for anonymous callers, whose failed
    /// attempts are exactly what the per-IP budget is for).
    fn refundable(&self) -> bool {
        !matches!(self, Subject::Ip(_))
    }
}

pub fn client_ip(req: &Request) -> String {
    header(req, "CF-Connecting-IP")
        .filter(|ip| !ip.is_empty() && ip.len() <= 45)
        .unwrap_or_else(|| "unknown".into())
}

pub fn public_policy() -> Policy {
    Policy::for_tier(Tier::Public, None)
}

/// Whether limiting is on. Only a local configuration may switch it off (for benchmarks that
/// measure what the limiter costs); production always limits.
pub fn enabled(env: &Env) -> bool {
    config::var(env, "RATE_LIMITS", "on") != "off" || config::environment(env) == "production"
}

/// A limit that was checked for this request.
pub struct Applied {
    pub subject: Subject,
    pub policy: Policy,
    pub decision: Decision,
    checked_at: u64,
}

impl Applied {
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        self.decision.headers(&self.policy, self.checked_at)
    }

    /// Sets the rate-limit headers on a response (allowed or refused).
    pub fn apply(&self, resp: &mut Response) {
        let h = resp.headers_mut();
        for (k, v) in self.headers() {
            let _ = h.set(k, &v);
        }
    }

    /// The 429 for a refused request: the envelope with the policy in `details`.
    pub fn too_many(&self) -> ApiError {
        let r = &self.decision.reported;
        ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "Rate limit exceeded: {} allows {} requests per {}",
                self.decision.tier.as_str(),
                r.limit,
                r.name
            ),
        )
        .detail("policy", self.policy.name.clone())
        .detail("tier", self.decision.tier.as_str())
        .detail("window", r.name.clone())
        .detail("limit", r.limit)
        .detail("remaining", r.remaining)
        .detail("reset", self.decision.reset_secs())
        .detail("retry_after", self.decision.retry_after_secs())
    }

    /// JSON form for the MCP and A2A workers (from the verify endpoint).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "allowed": self.decision.allowed,
            "policy": self.policy.name,
            "tier": self.decision.tier.as_str(),
            "window": self.decision.reported.name,
            "limit": self.decision.reported.limit,
            "remaining": self.decision.reported.remaining,
            "reset": self.decision.reset_secs(),
            "retryAfter": self.decision.retry_after_secs(),
            "headers": self.headers().into_iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        })
    }
}

/// Checks and counts one request against the subject's object. The object being unreachable is a
/// 503: failing open would let an outage lift every limit.
pub async fn check(
    env: &Env,
    meter: &crow_edge::Meter,
    subject: Subject,
    policy: Policy,
) -> Result<Applied> {
    let now = now_ms();
    let ns = env
        .durable_object("RATE_LIMITER")
        .map_err(|source| Error::Dependency { dependency: "rate limiter", source })?;
    let stub = ns
        .id_from_name(&subject.object_name())
        .and_then(|id| id.get_stub())
        .map_err(|source| Error::Dependency { dependency: "rate limiter", source })?;
    let body = json!({ "policy": policy, "cost": 1, "now_ms": now }).to_string();
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post).with_body(Some(body.into()));
    let req =
        Request::new_with_init("https://rate-limiter/check", &init).map_err(Error::Internal)?;
    let _span = meter.span("do");
    let mut resp = stub
        .fetch_with_request(req)
        .await
        .map_err(|source| Error::Dependency { dependency: "rate limiter", source })?;
    if resp.status_code() != 200 {
        console_error!("rate limiter answered {}", resp.status_code());
        return Err(ApiError::unavailable("rate limiter").into());
    }
    let decision: Decision = resp
        .json()
        .await
        .map_err(|source| Error::Dependency { dependency: "rate limiter", source })?;
    Ok(Applied { subject, policy, decision, checked_at: now })
}

/// Gives the request back (after a 401/403), without delaying the response.
pub fn refund_later(env: &Env, wctx: &worker::Context, applied: &Applied) {
    if !applied.subject.refundable() || !applied.decision.allowed {
        return;
    }
    let name = applied.subject.object_name();
    let stub = env
        .durable_object("RATE_LIMITER")
        .and_then(|ns| ns.id_from_name(&name).and_then(|id| id.get_stub()));
    let body = json!({ "policy": applied.policy.name, "cost": 1 }).to_string();
    wctx.wait_until(async move {
        let result = async {
            let mut init = worker::RequestInit::new();
            init.with_method(worker::Method::Post).with_body(Some(body.into()));
            let req = Request::new_with_init("https://rate-limiter/refund", &init)?;
            stub?.fetch_with_request(req).await
        }
        .await;
        if let Err(e) = result {
            console_error!("rate-limit refund failed: {e}");
        }
    });
}
