//! Pure MCP server core: Streamable HTTP transport rules, both protocol generations, tool listing
//! and calls over a backend trait. Host-testable end to end; the worker only converts requests and
//! responses and authenticates between [`Server::preflight`] and [`Server::handle_post`]:
//!
//! ```text
//! let server = Server::new(Config { allowed_origins, ..Config::default() });
//! if let Some(resp) = server.preflight(&req) { return resp; }      // OPTIONS, Origin, GET, DELETE
//! let org = match authenticate(&req) { Ok(o) => o, Err(m) => return server.unauthorized(&req, &m) };
//! server.handle_post(&req, &GatewayBackend { org }).await
//! ```
//!
//! Protocol generations (see `shared/reference/mcp.md`):
//! - **Legacy** (2025-03-26, 2025-06-18, 2025-11-25): `initialize` negotiates the version; served
//!   statelessly (no `Mcp-Session-Id` is ever minted), JSON-RPC errors with HTTP 200.
//! - **Modern** (2026-07-28): every request carries `params._meta` with the protocol version and
//!   client capabilities, mirrored in `MCP-Protocol-Version` / `Mcp-Method` / `Mcp-Name` headers;
//!   results carry `resultType` and `_meta` server info, lists carry `ttlMs` / `cacheScope`;
//!   errors use HTTP 400 (404 for unknown methods).

mod backend;
mod http;
mod server;

pub use backend::{BackendError, ToolBackend};
pub use http::{HttpRequest, HttpResponse};
pub use server::{
    classify, Config, Era, Server, CORS_ALLOW_HEADERS, HEADER_MISMATCH, LEGACY_VERSIONS,
    META_CLIENT_CAPABILITIES, META_PROTOCOL_VERSION, META_SERVER_INFO,
    MISSING_REQUIRED_CLIENT_CAPABILITY, MODERN_VERSION, SERVER_ERROR, SUPPORTED_VERSIONS,
    UNSUPPORTED_PROTOCOL_VERSION,
};

#[cfg(test)]
mod tests;
