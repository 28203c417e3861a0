//! CROW MCP server (`mcp.crowai.dev`): Model Context Protocol over Streamable HTTP at `/mcp`.
//!
//! Thin glue around `crow-mcp-core`: the worker request becomes an `HttpRequest`; everything
//! decided before authentication (OPTIONS, Origin, GET, DELETE) is answered by
//! `Server::preflight`; a POST is authenticated through the gateway (`entry::authenticate`,
//! which also counts it against the key's rate limit) and then served by `Server::handle_post`
//! with tools that call the gateway's REST API over the `GATEWAY` service binding.

mod backend;
mod config;
mod error;

use crow_common::router::{Resolution, Router};
use crow_common::{ApiError, MCP_SERVICE};
use crow_edge::entry::{self, Entry, Refusal};
use crow_edge::{finish, json, read_body, route_miss, Ctx};
use crow_mcp_core::{Config, HttpRequest, HttpResponse, Server};
use serde_json::json;
use worker::{console_error, event, Context, Env, Headers, Request, RequestInit, Response};

use crate::backend::GatewayBackend;
use crate::error::Error;

/// Largest JSON-RPC message accepted on `/mcp`.
const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// The realm of the `WWW-Authenticate` challenge.
const REALM: &str = "mcp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Health,
    Ready,
    Mcp,
}

/// The route table. `/mcp` lists the methods it serves, so any other method gets the
/// envelope's 405 with `Allow`; `DELETE` is answered by the MCP core (405, no sessions).
fn router() -> Router<Route> {
    Router::new()
        .add("GET", "/health", Route::Health)
        .add("GET", "/health/ready", Route::Ready)
        .add("GET", "/mcp", Route::Mcp)
        .add("POST", "/mcp", Route::Mcp)
        .add("OPTIONS", "/mcp", Route::Mcp)
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let ctx = Ctx::begin(&req, &env, MCP_SERVICE);
    let result = handle(req, &env, &ctx).await;
    Ok(finish(result, &ctx))
}

async fn handle(req: Request, env: &Env, ctx: &Ctx) -> Result<Response, ApiError> {
    let route = match router().resolve(&ctx.method, &ctx.path) {
        Resolution::Matched { route, .. } => route,
        _ if ctx.path == "/mcp" && ctx.method == "DELETE" => Route::Mcp,
        miss => return Err(route_miss(&miss, ctx)),
    };
    match route {
        Route::Health => {
            json(200, &json!({ "status": "ok", "service": MCP_SERVICE, "version": "1.0.0" }))
        }
        Route::Ready => crow_edge::ready_via_gateway(env, ctx, MCP_SERVICE).await,
        Route::Mcp => Ok(mcp(req, env, ctx).await?),
    }
}

async fn mcp(mut req: Request, env: &Env, ctx: &Ctx) -> Result<Response, Error> {
    let url = req.url().ok();
    let server = Server::new(Config {
        allowed_origins: config::allowed_origins(env, url.as_ref()),
        ..Config::default()
    });
    let mut http = HttpRequest {
        method: ctx.method.clone(),
        headers: req.headers().entries().collect(),
        body: Vec::new(),
    };
    if let Some(resp) = server.preflight(&http) {
        return to_response(resp);
    }
    http.body = match read_body(&mut req, MAX_MESSAGE_BYTES).await {
        Ok(body) => body,
        Err(e) => return refusal_for_body(&server, &http, &e),
    };
    let entry = match authenticate(&req, env, ctx).await {
        Ok(entry) => entry,
        Err(refusal) => return refused(&server, &http, &refusal),
    };
    let internal_key = match entry::internal_key(env) {
        Ok(k) => k,
        Err(e) => return refused(&server, &http, &Refusal::Unavailable(e)),
    };
    let gateway = match env.service("GATEWAY") {
        Ok(g) => g,
        Err(_) => {
            return refused(&server, &http, &Refusal::Unavailable(ApiError::unavailable("gateway")))
        }
    };
    let backend = GatewayBackend { gateway, internal_key, entry: &entry, ctx };
    let resp = server.handle_post(&http, &backend).await;
    let resp = to_response(resp)?;
    Ok(entry::with_rate_headers(resp, &entry))
}

/// Verifies the caller's key through the gateway. In the auth-free mode (local development
/// only, see `config::auth_free_key`) the configured demo key stands in for the caller's
/// credentials, whatever they sent.
async fn authenticate(req: &Request, env: &Env, ctx: &Ctx) -> Result<Entry, Refusal> {
    let url = req.url().ok();
    let Some(demo_key) = config::auth_free_key(env, url.as_ref()) else {
        return entry::authenticate(env, req, ctx).await;
    };
    let stand_in = (|| -> worker::Result<Request> {
        let headers = Headers::new();
        headers.set("Authorization", &format!("Bearer {demo_key}"))?;
        if let Some(ip) = req.headers().get("CF-Connecting-IP")? {
            headers.set("CF-Connecting-IP", &ip)?;
        }
        let mut init = RequestInit::new();
        init.with_headers(headers);
        Request::new_with_init(req.url()?.as_str(), &init)
    })()
    .map_err(|e| {
        console_error!("building the auth-free stand-in request failed: {e}");
        Refusal::Unavailable(ApiError::internal())
    })?;
    entry::authenticate(env, &stand_in, ctx).await
}

/// The JSON-RPC answer for a refused POST, with CORS headers for allowed browser origins.
fn refused(server: &Server, http: &HttpRequest, refusal: &Refusal) -> Result<Response, Error> {
    if let Refusal::Unauthorized(message) = refusal {
        return to_response(server.unauthorized(http, message));
    }
    let resp = entry::refusal_reply(refusal, &http.body, REALM).map_err(|e| {
        console_error!("building a refusal failed: {}", e.message);
        Error::Internal
    })?;
    for (k, v) in server.cors_headers(http) {
        resp.headers().set(&k, &v).map_err(Error::runtime("setting a CORS header"))?;
    }
    Ok(resp)
}

/// A body that could not be read (too large, broken stream) as a JSON-RPC error.
fn refusal_for_body(server: &Server, http: &HttpRequest, e: &ApiError) -> Result<Response, Error> {
    let code = if e.status() == 413 { -32600 } else { -32700 };
    let body =
        json!({ "jsonrpc": "2.0", "id": null, "error": { "code": code, "message": e.message } });
    let mut resp = HttpResponse::json(e.status(), &body);
    resp.headers.extend(server.cors_headers(http));
    to_response(resp)
}

fn to_response(resp: HttpResponse) -> Result<Response, Error> {
    let out = if resp.body.is_empty() {
        Response::empty().map_err(Error::runtime("building a response"))?
    } else {
        Response::from_bytes(resp.body).map_err(Error::runtime("building a response"))?
    };
    let headers = Headers::new();
    for (k, v) in &resp.headers {
        headers.append(k, v).map_err(Error::runtime("setting a response header"))?;
    }
    Ok(out.with_status(resp.status).with_headers(headers))
}
