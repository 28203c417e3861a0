//! CROW Edge REST API gateway (`api.crowai.dev`): `/api/v1/*`, credential resolution, and the
//! entry point for the dashboard, external apps, and the MCP and A2A workers' tool calls.
//!
//! This crate is glue: it maps HTTP and bindings onto the pure logic in `crow-common`.

use crow_common::router::{Params, Resolution, Router};
use crow_common::{ApiError, GATEWAY_SERVICE};
use crow_edge::{finish, route_miss, Ctx};
use worker::{event, Context, Env, Request, Response};

mod config;
mod error;
mod rate_limiter;
mod routes;

pub use rate_limiter::RateLimiter;

use error::Result;

/// Every route the gateway serves. The OpenAPI parity test reads the same table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    Ready,
}

pub fn router() -> Router<Route> {
    Router::new().add("GET", "/health", Route::Health).add("GET", "/health/ready", Route::Ready)
}

/// Everything a handler needs.
pub struct App<'a> {
    pub env: &'a Env,
    pub ctx: &'a Ctx,
    pub params: Params,
}

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let ctx = Ctx::begin(&req, GATEWAY_SERVICE);
    let result = handle(req, &env, &ctx).await.map_err(ApiError::from);
    Ok(finish(result, &ctx))
}

async fn handle(req: Request, env: &Env, ctx: &Ctx) -> Result<Response> {
    let resolution = router().resolve(&ctx.method, &ctx.path);
    let (route, params) = match resolution {
        Resolution::Matched { route, params, .. } => (route, params),
        miss => return Err(route_miss(&miss, ctx).into()),
    };
    let app = App { env, ctx, params };
    match route {
        Route::Health => routes::health::live(&app),
        Route::Ready => routes::health::ready(&app).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table_is_well_formed() {
        let r = router();
        assert!(matches!(r.resolve("GET", "/health"), Resolution::Matched { route: Route::Health, .. }));
        assert!(matches!(r.resolve("POST", "/health"), Resolution::MethodNotAllowed { .. }));
        assert!(matches!(r.resolve("GET", "/nope"), Resolution::NotFound));
    }
}
