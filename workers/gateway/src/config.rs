//! Configuration from the environment: `[vars]` in the wrangler config and Worker secrets
//! (`.dev.vars` locally).

use worker::Env;

/// A `[vars]` value, or `default` when unset.
pub fn var(env: &Env, name: &str, default: &str) -> String {
    env.var(name).map(|v| v.to_string()).unwrap_or_else(|_| default.to_string())
}

/// A secret, or `None` when unset (callers then refuse whatever needs it).
pub fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name).ok().map(|s| s.to_string()).filter(|s| !s.is_empty())
}

pub fn environment(env: &Env) -> String {
    var(env, "ENVIRONMENT", "local")
}
