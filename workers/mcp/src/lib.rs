//! CROW MCP server (`mcp.crowai.dev`): Model Context Protocol over Streamable HTTP at `/mcp`.
//! Tools call the REST gateway over the `GATEWAY` service binding.

use crow_common::jsonrpc::{self, RpcError};
use crow_common::router::{Resolution, Router};
use crow_common::{ApiError, MCP_SERVICE};
use crow_edge::{entry, finish, json, read_body, route_miss, rpc_reply, rpc_request, Ctx};
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
        Route::Ready => crow_edge::ready_via_gateway(env, ctx, MCP_SERVICE).await,
        Route::Rpc => {
            let body = read_body(&mut req, MAX_MESSAGE_BYTES).await?;
            let entry = match entry::authenticate(env, &req, ctx).await {
                Ok(entry) => entry,
                Err(refusal) => return entry::refusal_reply(&refusal, &body, "mcp"),
            };
            Ok(entry::with_rate_headers(rpc(&body)?, &entry))
        }
    }
}

fn rpc(body: &[u8]) -> Result<Response, ApiError> {
    let request = match rpc_request(body) {
        Ok(r) => r,
        Err(answer) => return answer,
    };
    match request.method.as_str() {
        "ping" => rpc_reply(200, &jsonrpc::success(&request.id, json!({}))),
        other => rpc_reply(200, &jsonrpc::failure(&request.id, &RpcError::method_not_found(other))),
    }
}
