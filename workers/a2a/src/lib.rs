//! CROW A2A agent and chat service (`a2a.crowai.dev`): the agent card, A2A JSON-RPC at
//! `/a2a/jsonrpc` (1.0 and 0.3), the seed's `/a2a/tasks/*` endpoints, and the chat sessions the
//! gateway forwards from `/api/v1/chat/*` as `/internal/chat/*`. See docs/a2a.md.

pub mod agent;
pub mod card;
pub mod chat;
pub mod error;
pub mod protocol;
pub mod store;
pub mod tasks;

use crow_common::router::{Resolution, Router};
use crow_common::{ApiError, A2A_SERVICE};
use crow_edge::entry::{self, Entry, Refusal};
use crow_edge::{error_response, finish, header, json, read_body, route_miss, Ctx};
use serde_json::json;
use worker::{event, Context, Env, Headers, Request, Response};

use crate::chat::ChatRoute;

/// Largest JSON-RPC message (and REST body) accepted.
const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// The realm of the `WWW-Authenticate` challenge.
const REALM: &str = "a2a";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Health,
    Ready,
    Card,
    Rpc,
    RestSend,
    RestGet,
    Chat(ChatRoute),
}

fn router() -> Router<Route> {
    Router::new()
        .add("GET", "/health", Route::Health)
        .add("GET", "/health/ready", Route::Ready)
        .add("GET", "/.well-known/agent-card.json", Route::Card)
        .add("GET", "/.well-known/agent.json", Route::Card)
        .add("POST", "/a2a/jsonrpc", Route::Rpc)
        .add("POST", "/a2a/tasks/send", Route::RestSend)
        .add("GET", "/a2a/tasks/:taskId", Route::RestGet)
        .add("GET", "/internal/chat/sessions", Route::Chat(ChatRoute::Sessions))
        .add("POST", "/internal/chat/sessions", Route::Chat(ChatRoute::Sessions))
        .add("GET", "/internal/chat/sessions/:sessionId", Route::Chat(ChatRoute::Session))
        .add("DELETE", "/internal/chat/sessions/:sessionId", Route::Chat(ChatRoute::Session))
        .add("GET", "/internal/chat/sessions/:sessionId/messages", Route::Chat(ChatRoute::Messages))
        .add(
            "POST",
            "/internal/chat/sessions/:sessionId/messages",
            Route::Chat(ChatRoute::Messages),
        )
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, wctx: Context) -> worker::Result<Response> {
    let ctx = Ctx::begin(&req, &env, A2A_SERVICE);
    let result = handle(req, &env, &ctx, &wctx).await;
    Ok(finish(result, &ctx))
}

async fn handle(
    mut req: Request,
    env: &Env,
    ctx: &Ctx,
    wctx: &Context,
) -> Result<Response, ApiError> {
    let (route, params) = match router().resolve(&ctx.method, &ctx.path) {
        Resolution::Matched { route, params, .. } => (route, params),
        miss => return Err(route_miss(&miss, ctx)),
    };
    match route {
        Route::Health => json(
            200,
            &json!({ "status": "ok", "service": A2A_SERVICE, "version": card::AGENT_VERSION }),
        ),
        Route::Ready => crow_edge::ready_via_gateway(env, ctx, A2A_SERVICE).await,
        Route::Card => agent_card(&req),
        Route::Rpc => {
            let body = read_body(&mut req, MAX_MESSAGE_BYTES).await?;
            let entry = match entry::authenticate(env, &req, ctx).await {
                Ok(entry) => entry,
                Err(refusal) => return entry::refusal_reply(&refusal, &body, REALM),
            };
            let version = header(&req, "A2A-Version");
            let resp = tasks::rpc(env, ctx, wctx, &entry, version.as_deref(), &body).await?;
            Ok(entry::with_rate_headers(resp, &entry))
        }
        Route::RestSend => {
            let body = read_body(&mut req, MAX_MESSAGE_BYTES).await?;
            let entry = rest_entry(env, &req, ctx).await?;
            let resp = tasks::rest_send(env, ctx, wctx, &entry, &body).await;
            Ok(with_rate(resp, &entry, ctx))
        }
        Route::RestGet => {
            let entry = rest_entry(env, &req, ctx).await?;
            let resp =
                tasks::rest_get(env, ctx, &entry, params.get("taskId").unwrap_or_default()).await;
            Ok(with_rate(resp, &entry, ctx))
        }
        Route::Chat(r) => {
            let body = read_body(&mut req, MAX_MESSAGE_BYTES).await?;
            chat::handle(env, ctx, &req, r, params.get("sessionId"), &body).await
        }
    }
}

/// The card, with `ETag` and `Cache-Control`, or 304 when the caller's copy is current.
fn agent_card(req: &Request) -> Result<Response, ApiError> {
    let url = req.url().map_err(|_| ApiError::internal())?;
    let (body, etag) = card::body_and_etag(&url.origin().ascii_serialization());
    let headers = Headers::new();
    let _ = headers.set("ETag", &etag);
    let _ = headers.set("Cache-Control", card::CACHE_CONTROL);
    let _ = headers.set("Access-Control-Allow-Origin", "*");
    if card::not_modified(header(req, "If-None-Match").as_deref(), &etag) {
        return Ok(Response::empty()
            .map_err(|_| ApiError::internal())?
            .with_status(304)
            .with_headers(headers));
    }
    let _ = headers.set("Content-Type", "application/json; charset=utf-8");
    Ok(Response::from_bytes(body.into_bytes())
        .map_err(|_| ApiError::internal())?
        .with_headers(headers))
}

/// Authentication for the REST-ish endpoints: refusals become the envelope (401 with a Bearer
/// challenge, 429 with the limiter's headers, 503).
async fn rest_entry(env: &Env, req: &Request, ctx: &Ctx) -> Result<Entry, ApiError> {
    entry::authenticate(env, req, ctx).await.map_err(|refusal| {
        let mut err = match &refusal {
            Refusal::Unauthorized(m) => ApiError::unauthorized(m.clone())
                .header("WWW-Authenticate", format!("Bearer realm=\"{REALM}\"")),
            Refusal::RateLimited { message, details, .. } => {
                let mut e = ApiError::new(crow_common::ErrorCode::RateLimited, message.clone());
                if let Some(d) = details.as_object() {
                    e.details = d.clone();
                }
                e
            }
            Refusal::Unavailable(e) => e.clone(),
        };
        if let Refusal::RateLimited { headers, .. } = &refusal {
            for (k, v) in headers {
                if let Some(name) = RATE_HEADERS.iter().find(|h| h.eq_ignore_ascii_case(k)) {
                    err = err.clone().header(name, v.clone());
                }
            }
        }
        err
    })
}

const RATE_HEADERS: [&str; 6] = [
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "RateLimit-Policy",
    "RateLimit",
];

/// Rate headers on a REST answer, error or not.
fn with_rate(resp: Result<Response, ApiError>, entry: &Entry, ctx: &Ctx) -> Response {
    let resp = resp.unwrap_or_else(|e| error_response(&e, ctx));
    entry::with_rate_headers(resp, entry)
}
