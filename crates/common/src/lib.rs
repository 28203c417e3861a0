//! Pure, host-testable logic shared by the three CROW Edge workers. Nothing here touches a
//! JavaScript value, so `cargo test -p crow-common` runs on the host.

pub mod body;
pub mod credentials;
pub mod crypto;
pub mod error;
pub mod identity;
pub mod ids;
pub mod jsonrpc;
pub mod pagination;
pub mod ratelimit;
pub mod router;
pub mod signup;
pub mod stripe;
pub mod time;
pub mod timing;

pub use error::{ApiError, ErrorCode};

/// Service names as they appear in `/health` and logs.
pub const GATEWAY_SERVICE: &str = "crow-gateway";
pub const MCP_SERVICE: &str = "crow-mcp-server";
pub const A2A_SERVICE: &str = "crow-a2a";

/// Headers every response carries (OWASP API8: no sniffing, no framing, strict referrer).
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
];
