//! Settings from `[vars]` (see wrangler/mcp/wrangler.toml).

use worker::{console_error, Env, Url};

/// `ENVIRONMENT` value of local development (`wrangler dev`), the only one in which the
/// auth-free mode is honoured.
pub const LOCAL_ENVIRONMENT: &str = "local";
/// Var naming the API key that the auth-free mode uses for every request.
pub const AUTH_FREE_VAR: &str = "MCP_AUTH_FREE_API_KEY";

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.trim().is_empty())
}

/// Browser origins allowed on `/mcp`: `ALLOWED_ORIGINS` (comma-separated; none when unset),
/// plus, in local development only, the server's own origin when it is a loopback address
/// (a page served by the local server itself, as the MCP conformance suite's DNS-rebinding
/// check expects). A rebinding page (`Host: evil.example`, resolving to 127.0.0.1) is not
/// loopback by name, so it is never its own allowed origin.
pub fn allowed_origins(env: &Env, url: Option<&Url>) -> Vec<String> {
    let mut origins: Vec<String> = var(env, "ALLOWED_ORIGINS")
        .map(|v| v.split(',').map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect())
        .unwrap_or_default();
    if var(env, "ENVIRONMENT").as_deref() == Some(LOCAL_ENVIRONMENT) {
        if let Some(url) = url.filter(|u| u.host_str().is_some_and(is_loopback_host)) {
            origins.push(url.origin().ascii_serialization());
        }
    }
    origins
}

/// The demo API key of the auth-free mode (for the MCP conformance suite, which cannot send
/// credentials), or `None` for normal authentication. Honoured only when all hold:
/// `ENVIRONMENT` is exactly `local` (production sets `production` and never sets the key var),
/// the key var is set (passed at start with `wrangler dev --var`), and the request arrived on a
/// loopback host. Otherwise the var is ignored (and logged), so a stray setting can never turn
/// authentication off.
pub fn auth_free_key(env: &Env, url: Option<&Url>) -> Option<String> {
    let key = var(env, AUTH_FREE_VAR)?;
    let environment = var(env, "ENVIRONMENT").unwrap_or_default();
    if environment != LOCAL_ENVIRONMENT {
        console_error!("{AUTH_FREE_VAR} is set but ENVIRONMENT is {environment:?}, not {LOCAL_ENVIRONMENT:?}: ignored");
        return None;
    }
    let loopback = url.and_then(|u| u.host_str()).is_some_and(is_loopback_host);
    if !loopback {
        console_error!(
            "{AUTH_FREE_VAR} is set but the request did not arrive on a loopback host: ignored"
        );
        return None;
    }
    Some(key)
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host == "::1" || host.starts_with("127.")
}
