//! CROW MCP server (`mcp.crowai.dev`): Model Context Protocol over Streamable HTTP at `/mcp`.
//! Tools call the REST gateway over the `GATEWAY` service binding.

use crow_common::jsonrpc::{self, Incoming, RpcError};
use crow_common::router::{Resolution, Router};
use crow_common::{ApiError, MCP_SERVICE};
use crow_edge::{finish, json, read_body, route_miss, rpc_reply, upstream_health, Ctx};
use serde_json::json;
use worker::{event, Context, Env, Request, Response};

/// Largest JSON-RPC message accepted on `/mcp`.
const MAX_MESSAGE_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Health,
    Ready,
    Rpc,
}

fn router() -> Router<Route> {
    Router::new()
        .add("GET", "/health", Route::Health)
        .add("GET", "/health/ready", Route::Ready)
        .add("POST", "/mcp", Route::Rpc)
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let ctx = Ctx::begin(&req, MCP_SERVICE);
    let result = handle(req, &env, &ctx).await;
    Ok(finish(result, &ctx))
}

async fn handle(mut req: Request, env: &Env, ctx: &Ctx) -> Result<Response, ApiError> {
    let route = match router().resolve(&ctx.method, &ctx.path) {
        Resolution::Matched { route, .. } => route,
        miss => return Err(route_miss(&miss, ctx)),
    };
    match route {
        Route::Health => json(200, &json!({ "status": "ok", "service": MCP_SERVICE, "version": "1.0.0" })),
        Route::Ready => {
            let gateway = env.service("GATEWAY").map_err(|_| ApiError::unavailable("gateway"))?;
            let upstream = upstream_health(&gateway, ctx, "gateway").await?;
            json(200, &json!({ "status": "ready", "service": MCP_SERVICE, "checks": { "gateway": upstream } }))
        }
        Route::Rpc => {
            let body = read_body(&mut req, MAX_MESSAGE_BYTES).await?;
            rpc(&body)
        }
    }
}

fn rpc(body: &[u8]) -> Result<Response, ApiError> {
    match jsonrpc::parse(body) {
        Incoming::Request(r) => match r.method.as_str() {
            "ping" => rpc_reply(200, &jsonrpc::success(&r.id, json!({}))),
            other => rpc_reply(200, &jsonrpc::failure(&r.id, &RpcError::method_not_found(other))),
        },
        Incoming::Notification(_) | Incoming::Response { .. } => crow_edge::empty(202),
        Incoming::Batch(_) => rpc_reply(
            400,
            &jsonrpc::failure(&jsonrpc::Id::Null, &RpcError::invalid_request("batch requests are not supported")),
        ),
        Incoming::Invalid { id, error } => rpc_reply(400, &jsonrpc::failure(&id, &error)),
    }
}
