//! Worker glue shared by the gateway, the MCP server and the A2A service: the per-request
//! context, turning results into responses in the one error envelope, capped body reads, and
//! calls over service bindings. Protocol and business logic live in `crow-common` and friends;
//! this crate only adapts them to the Workers runtime.

pub mod ai;
pub mod d1;
pub mod entry;
pub mod meter;

pub use meter::Meter;

/// The crate's one error type: binding failures the workers map into their own errors (and so
/// into the one envelope: a 503 naming the dependency).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// D1 refused or failed a statement.
    #[error("D1 failed while {op}: {source}")]
    D1 {
        op: &'static str,
        #[source]
        source: worker::Error,
    },
}

use crow_common::body::parse_json;
use crow_common::router::Resolution;
use crow_common::{ids, ApiError, SECURITY_HEADERS};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{
    console_error, console_log, Fetcher, Headers, Method, Request, RequestInit, Response,
};

/// Runs `fut` for at most `limit`: `None` when the time ran out first (the future is dropped,
/// so nothing it would still have done happens).
pub async fn deadline<T>(
    fut: impl std::future::Future<Output = T>,
    limit: std::time::Duration,
) -> Option<T> {
    use futures::future::{select, Either};
    let work = std::pin::pin!(fut);
    let timer = std::pin::pin!(worker::Delay::from(limit));
    match select(work, timer).await {
        Either::Left((value, _)) => Some(value),
        Either::Right(_) => None,
    }
}

/// Milliseconds since the Unix epoch, from the runtime clock.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// What every handler knows about the request it serves.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub request_id: String,
    pub method: String,
    pub path: String,
    pub service: &'static str,
    /// Binding calls made for this request (see `meter`).
    pub meter: Meter,
    /// Whether responses carry the meter as `Server-Timing` (`SERVER_TIMING=on`, local only).
    pub server_timing: bool,
    started_ms: f64,
}

impl Ctx {
    /// Takes `X-Request-Id` from the caller when it is well-formed (so ids survive the
    /// service-binding hop between workers), otherwise makes a new `req_…` id.
    pub fn begin(req: &Request, env: &worker::Env, service: &'static str) -> Ctx {
        let incoming = header(req, "X-Request-Id");
        let request_id = ids::accept_request_id(incoming.as_deref())
            .or_else(|| ids::new_id("req", now_ms()).ok())
            .unwrap_or_else(|| format!("req_{}", now_ms()));
        let server_timing =
            env.var("SERVER_TIMING").map(|v| v.to_string() == "on").unwrap_or(false);
        Ctx {
            request_id,
            // The JS request's own method string: worker's `Method` enum maps methods it does not
            // know (PROPFIND, LOCK, …) to GET, which would let them reach GET handlers.
            method: req.inner().method().to_ascii_uppercase(),
            path: req.path(),
            service,
            meter: Meter::new(),
            server_timing,
            started_ms: js_sys::Date::now(),
        }
    }
}

/// A request header, `None` when absent or unreadable.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// A JSON response with the given status.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(|e| {
        console_error!("serialising a response failed: {e}");
        ApiError::internal()
    })?;
    let headers = Headers::new();
    set(&headers, "Content-Type", "application/json; charset=utf-8");
    Ok(Response::from_bytes(bytes)
        .map_err(internal("building a response"))?
        .with_status(status)
        .with_headers(headers))
}

/// An empty response (202, 204 …).
pub fn empty(status: u16) -> Result<Response, ApiError> {
    Ok(Response::empty().map_err(internal("building a response"))?.with_status(status))
}

/// Maps a runtime failure to a logged 500. `what` says what was being done, for the log only.
pub fn internal(what: &'static str) -> impl Fn(worker::Error) -> ApiError {
    move |e| {
        console_error!("{what}: {e}");
        ApiError::internal()
    }
}

/// The envelope response for an error. Infallible: if even that cannot be built, a bare 500.
pub fn error_response(err: &ApiError, ctx: &Ctx) -> Response {
    let body = err.envelope(&ctx.request_id);
    let headers = Headers::new();
    set(&headers, "Content-Type", "application/json; charset=utf-8");
    for (name, value) in &err.headers {
        set(&headers, name, value);
    }
    match Response::from_bytes(body.to_string().into_bytes()) {
        Ok(r) => r.with_status(err.status()).with_headers(headers),
        Err(_) => {
            Response::empty().map(|r| r.with_status(500)).unwrap_or_else(|_| unreachable_response())
        }
    }
}

fn unreachable_response() -> Response {
    // `Response::empty()` only fails if the JS Response constructor throws, which it does not
    // for an empty body; keep a value anyway so no request path can panic.
    Response::from_bytes(Vec::new()).unwrap_or_else(|_| Response::builder().empty())
}

fn set(headers: &Headers, name: &str, value: &str) {
    if let Err(e) = headers.set(name, value) {
        console_error!("setting header {name} failed: {e}");
    }
}

/// Finishes a request: errors become the envelope, every response gets `X-Request-Id` and the
/// security headers, and one structured log line is written.
pub fn finish(result: Result<Response, ApiError>, ctx: &Ctx) -> Response {
    let resp = match result {
        Ok(r) => r,
        Err(e) => error_response(&e, ctx),
    };
    // Copy the headers into a fresh, mutable set: responses fetched over a service binding have
    // immutable headers.
    let headers = Headers::new();
    for (k, v) in resp.headers().entries() {
        let _ = headers.append(&k, &v);
    }
    set(&headers, "X-Request-Id", &ctx.request_id);
    for (name, value) in SECURITY_HEADERS {
        set(&headers, name, value);
    }
    let elapsed = js_sys::Date::now() - ctx.started_ms;
    let tally = ctx.meter.tally();
    if ctx.server_timing {
        set(&headers, "Server-Timing", &tally.to_header(elapsed));
    } else {
        // Never relay another worker's timings either.
        let _ = headers.delete("Server-Timing");
    }
    let resp = resp.with_headers(headers);
    console_log!(
        "{}",
        serde_json::json!({
            "service": ctx.service,
            "request_id": ctx.request_id,
            "method": ctx.method,
            "path": ctx.path,
            "status": resp.status_code(),
            "ms": elapsed,
            "bindings": tally.to_json(),
        })
    );
    resp
}

/// The error for a route-table miss: 404, or 405 with `Allow`.
pub fn route_miss<R>(resolution: &Resolution<R>, ctx: &Ctx) -> ApiError {
    match resolution {
        Resolution::MethodNotAllowed { allow } => ApiError::method_not_allowed(&ctx.method, allow),
        _ => ApiError::route_not_found(&ctx.method, &ctx.path),
    }
}

/// Reads the body, refusing more than `limit` bytes without buffering them (413).
pub async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    if let Some(len) = header(req, "Content-Length").and_then(|v| v.trim().parse::<u64>().ok()) {
        if len > limit as u64 {
            return Err(ApiError::payload_too_large(limit));
        }
    }
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream().map_err(internal("opening the request body"))?;
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            console_error!("reading the request body: {e}");
            ApiError::validation("The request body could not be read").detail("field", "body")
        })?;
        if buf.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Requires `Content-Type: application/json` (415 otherwise).
pub fn require_json_content_type(req: &Request) -> Result<(), ApiError> {
    let ct = header(req, "Content-Type").unwrap_or_default();
    let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media == "application/json"
        || (media.starts_with("application/") && media.ends_with("+json"))
    {
        Ok(())
    } else {
        Err(ApiError::new(
            crow_common::ErrorCode::UnsupportedMediaType,
            "The request body must be JSON (Content-Type: application/json)",
        )
        .detail("field", "Content-Type")
        .detail("expected", "application/json"))
    }
}

/// Reads and decodes a JSON body of at most `limit` bytes.
pub async fn read_json<T: DeserializeOwned>(
    req: &mut Request,
    limit: usize,
) -> Result<T, ApiError> {
    require_json_content_type(req)?;
    let bytes = read_body(req, limit).await?;
    parse_json(&bytes)
}

/// A call to another worker over a service binding. The host in the URL is ignored by the
/// runtime; the path and query are what the target routes on.
pub struct ServiceCall<'a> {
    pub method: Method,
    pub path: &'a str,
    pub headers: Vec<(&'a str, String)>,
    pub body: Option<Vec<u8>>,
}

impl<'a> ServiceCall<'a> {
    pub fn new(method: Method, path: &'a str) -> Self {
        ServiceCall { method, path, headers: Vec::new(), body: None }
    }

    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn json_body<T: Serialize>(mut self, body: &T) -> Result<Self, ApiError> {
        self.body = Some(serde_json::to_vec(body).map_err(|_| ApiError::internal())?);
        self.headers.push(("Content-Type", "application/json".to_string()));
        Ok(self)
    }

    /// Sends the call, passing the request id along. A failure to reach the target is a 503
    /// naming `dependency`.
    pub async fn send(
        self,
        fetcher: &Fetcher,
        ctx: &Ctx,
        dependency: &str,
    ) -> Result<Response, ApiError> {
        let headers = Headers::new();
        set(&headers, "X-Request-Id", &ctx.request_id);
        for (k, v) in &self.headers {
            set(&headers, k, v);
        }
        let mut init = RequestInit::new();
        init.with_method(self.method).with_headers(headers);
        if let Some(body) = self.body {
            init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
        }
        let url = format!("https://internal{}", self.path);
        let resp = {
            let _span = ctx.meter.span("svc");
            fetcher.fetch(url, Some(init)).await.map_err(|e| {
                console_error!("service call to {dependency} failed: {e}");
                ApiError::unavailable(dependency)
            })?
        };
        // The target's own binding calls, when it reports them.
        if let Ok(Some(timing)) = resp.headers().get("Server-Timing") {
            ctx.meter.merge_header(prefix_of(dependency), &timing);
        }
        Ok(resp)
    }
}

/// The Server-Timing prefix for a dependency's own binding calls.
fn prefix_of(dependency: &str) -> &'static str {
    match dependency {
        "gateway" => "gw",
        "chat service" | "a2a" => "a2a",
        _ => "up",
    }
}

/// Checks another worker's `/health` over a service binding. Returns what it reported, and
/// whether it echoed our request id (proof that the call and its answer crossed the binding).
pub async fn upstream_health(
    fetcher: &Fetcher,
    ctx: &Ctx,
    dependency: &str,
) -> Result<serde_json::Value, ApiError> {
    let mut resp = ServiceCall::new(Method::Get, "/health").send(fetcher, ctx, dependency).await?;
    if resp.status_code() != 200 {
        console_error!("{dependency} /health answered {}", resp.status_code());
        return Err(ApiError::bad_gateway(dependency));
    }
    let echoed = resp.headers().get("X-Request-Id").ok().flatten();
    let body: serde_json::Value = resp.json().await.map_err(|e| {
        console_error!("{dependency} /health sent unreadable JSON: {e}");
        ApiError::bad_gateway(dependency)
    })?;
    Ok(serde_json::json!({
        "service": body.get("service").cloned().unwrap_or_default(),
        "version": body.get("version").cloned().unwrap_or_default(),
        "request_id_echoed": echoed.as_deref() == Some(ctx.request_id.as_str()),
    }))
}

/// A JSON-RPC reply (always JSON; HTTP status chosen by the protocol layer).
pub fn rpc_reply(status: u16, body: &serde_json::Value) -> Result<Response, ApiError> {
    json(status, body)
}

/// `GET /health/ready` for the MCP and A2A workers: the gateway must answer over the
/// `GATEWAY` service binding.
pub async fn ready_via_gateway(
    env: &worker::Env,
    ctx: &Ctx,
    service: &str,
) -> Result<Response, ApiError> {
    let gateway = env.service("GATEWAY").map_err(|_| ApiError::unavailable("gateway"))?;
    let upstream = upstream_health(&gateway, ctx, "gateway").await?;
    json(
        200,
        &serde_json::json!({ "status": "ready", "service": service, "checks": { "gateway": upstream } }),
    )
}

/// The transport-level answers shared by the JSON-RPC endpoints: notifications and responses are
/// acknowledged with 202, batches and invalid messages get a JSON-RPC error with HTTP 400.
/// Requests are handed back to the caller.
pub fn rpc_request(
    body: &[u8],
) -> Result<crow_common::jsonrpc::Request, Result<Response, ApiError>> {
    use crow_common::jsonrpc::{self, Id, Incoming, RpcError};
    match jsonrpc::parse(body) {
        Incoming::Request(r) => Ok(r),
        Incoming::Notification(_) | Incoming::Response { .. } => Err(empty(202)),
        Incoming::Batch(_) => Err(rpc_reply(
            400,
            &jsonrpc::failure(
                &Id::Null,
                &RpcError::invalid_request("batch requests are not supported"),
            ),
        )),
        Incoming::Invalid { id, error } => Err(rpc_reply(400, &jsonrpc::failure(&id, &error))),
    }
}
