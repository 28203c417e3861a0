//! Authentication and rate limiting at the MCP and A2A entry points. The caller's API key is
//! verified by the gateway (`POST /api/v1/auth/api-key/verify`, internal key, `consume: true`)
//! over the `GATEWAY` service binding: one round trip both resolves the organization and counts
//! the request against the key's budget, the same budget the key has on the REST API.

use crow_common::credentials::{self, Presented};
use crow_common::ApiError;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{console_error, Env, Method, Request};

use crate::{header, Ctx, ServiceCall};

/// A verified caller.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The caller's key. A2A tool calls pass it on (a task that outlives its request must stop
    /// when the key is revoked); MCP tool calls, inside the verifying request, name `key_id`.
    pub key: String,
    pub key_id: String,
    pub org_id: String,
    pub user_id: Option<String>,
    pub tier: String,
    /// Rate-limit headers to put on the response.
    pub rate_headers: Vec<(String, String)>,
}

/// Why a request was refused at the door.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// 401: no key, a malformed one, or one that does not verify.
    Unauthorized(String),
    /// 429 with the limiter's headers and details.
    RateLimited { message: String, headers: Vec<(String, String)>, details: Value },
    /// 5xx: the gateway could not be asked.
    Unavailable(ApiError),
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Unauthorized(_) => 401,
            Refusal::RateLimited { .. } => 429,
            Refusal::Unavailable(e) => e.status(),
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::Unauthorized(m) => m.clone(),
            Refusal::RateLimited { message, .. } => message.clone(),
            Refusal::Unavailable(e) => e.message.clone(),
        }
    }

    /// Headers for the refusal: a Bearer challenge on 401, the limiter's headers on 429.
    pub fn headers(&self, realm: &str) -> Vec<(String, String)> {
        match self {
            Refusal::Unauthorized(_) => {
                vec![("WWW-Authenticate".into(), format!("Bearer realm=\"{realm}\""))]
            }
            Refusal::RateLimited { headers, .. } => headers.clone(),
            Refusal::Unavailable(e) => {
                e.headers.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
            }
        }
    }

    pub fn details(&self) -> Option<Value> {
        match self {
            Refusal::RateLimited { details, .. } => Some(details.clone()),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Verified {
    valid: bool,
    key_id: Option<String>,
    organization_id: Option<String>,
    user_id: Option<String>,
    tier: Option<String>,
    rate_limit: Option<RateLimit>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RateLimit {
    allowed: bool,
    tier: String,
    window: String,
    limit: u64,
    remaining: u64,
    reset: u64,
    retry_after: u64,
    policy: String,
    headers: Vec<(String, String)>,
}

/// The internal key, or a 503 if the worker is misconfigured.
pub fn internal_key(env: &Env) -> Result<String, ApiError> {
    env.secret("INTERNAL_API_KEY")
        .map(|s| s.to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::unavailable("internal key configuration"))
}

/// Verifies the request's API key through the gateway and counts it against the key's budget.
pub async fn authenticate(env: &Env, req: &Request, ctx: &Ctx) -> Result<Entry, Refusal> {
    let presented = credentials::presented(
        header(req, "Authorization").as_deref(),
        header(req, "X-API-Key").as_deref(),
        None,
    )
    .map_err(|e| Refusal::Unauthorized(e.to_string()))?;
    let Some(Presented::ApiKey(key)) = presented else {
        return Err(Refusal::Unauthorized(
            "An API key is required: send `Authorization: Bearer <key>` or `X-API-Key`".into(),
        ));
    };
    let gateway = env
        .service("GATEWAY")
        .map_err(|_| Refusal::Unavailable(ApiError::unavailable("gateway")))?;
    let internal = internal_key(env).map_err(Refusal::Unavailable)?;
    let client_ip = header(req, "CF-Connecting-IP").unwrap_or_default();
    let call = ServiceCall::new(Method::Post, "/api/v1/auth/api-key/verify")
        .header("X-Internal-Key", internal)
        .json_body(&json!({ "key": key, "consume": true, "clientIp": client_ip }))
        .map_err(Refusal::Unavailable)?;
    let mut resp = call.send(&gateway, ctx, "gateway").await.map_err(Refusal::Unavailable)?;
    if resp.status_code() != 200 {
        console_error!("key verification answered {}", resp.status_code());
        return Err(Refusal::Unavailable(ApiError::bad_gateway("gateway")));
    }
    let v: Verified = resp.json().await.map_err(|e| {
        console_error!("key verification sent unreadable JSON: {e}");
        Refusal::Unavailable(ApiError::bad_gateway("gateway"))
    })?;
    if let Some(rl) = &v.rate_limit {
        if !rl.allowed {
            return Err(Refusal::RateLimited {
                message: format!(
                    "Rate limit exceeded: {} allows {} requests per {}",
                    rl.tier, rl.limit, rl.window
                ),
                headers: rl.headers.clone(),
                details: json!({
                    "policy": rl.policy, "tier": rl.tier, "window": rl.window, "limit": rl.limit,
                    "remaining": rl.remaining, "reset": rl.reset, "retry_after": rl.retry_after,
                }),
            });
        }
    }
    match (v.valid, v.key_id, v.organization_id) {
        (true, Some(key_id), Some(org_id)) => Ok(Entry {
            key,
            key_id,
            org_id,
            user_id: v.user_id,
            tier: v.tier.unwrap_or_else(|| "free".into()),
            rate_headers: v.rate_limit.map(|r| r.headers).unwrap_or_default(),
        }),
        _ => Err(Refusal::Unauthorized("Invalid or unauthorized API key.".into())),
    }
}

/// The JSON-RPC answer for a refused request: the refusal's HTTP status and headers, and an
/// error object carrying the request's id when the body is readable. Codes: -32600 for a
/// missing or invalid key (as the product description shows), -32000 for a rate limit (with the
/// policy in `data`), -32603 when the gateway could not be asked.
pub fn refusal_reply(
    refusal: &Refusal,
    body: &[u8],
    realm: &str,
) -> Result<worker::Response, ApiError> {
    use crow_common::jsonrpc::{self, Id, RpcError};
    let id = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| match v.get("id") {
            Some(Value::String(s)) => Some(Id::Str(s.clone())),
            Some(Value::Number(n)) => Some(Id::Num(n.clone())),
            _ => None,
        })
        .unwrap_or(Id::Null);
    let error = match refusal {
        Refusal::Unauthorized(m) => RpcError::new(jsonrpc::INVALID_REQUEST, m.clone()),
        Refusal::RateLimited { message, details, .. } => {
            RpcError::new(-32000, message.clone()).with_data(details.clone())
        }
        Refusal::Unavailable(e) => RpcError::new(jsonrpc::INTERNAL_ERROR, e.message.clone()),
    };
    let resp = crate::rpc_reply(refusal.status(), &jsonrpc::failure(&id, &error))?;
    for (k, v) in refusal.headers(realm) {
        let _ = resp.headers().set(&k, &v);
    }
    Ok(resp)
}

/// Puts the entry's rate-limit headers on a response.
pub fn with_rate_headers(resp: worker::Response, entry: &Entry) -> worker::Response {
    for (k, v) in &entry.rate_headers {
        let _ = resp.headers().set(k, v);
    }
    resp
}
