//! `GET /health` (liveness, no bindings touched) and `GET /health/ready` (every binding this
//! worker depends on, with latencies).

use crow_common::ApiError;
use crow_edge::{json, now_ms};
use serde_json::{json, Map, Value};
use worker::Response;

use crate::config;
use crate::error::Result;
use crate::App;

pub fn live(app: &App<'_>) -> Result<Response> {
    Ok(json(
        200,
        &json!({
            "status": "ok",
            "service": crow_common::GATEWAY_SERVICE,
            "version": env!("CARGO_PKG_VERSION"),
            "environment": config::environment(app.env),
            "api_versions": ["v1"],
        }),
    )?)
}

async fn check_d1(app: &App<'_>) -> std::result::Result<Value, String> {
    let db = app.env.d1("DB").map_err(|e| e.to_string())?;
    let row: Option<Value> = db
        .prepare("SELECT COUNT(*) AS applied FROM d1_migrations")
        .first(None)
        .await
        .map_err(|e| e.to_string())?;
    Ok(
        json!({ "migrations_applied": row.and_then(|r| r.get("applied").cloned()).unwrap_or(Value::Null) }),
    )
}

async fn check_kv(app: &App<'_>) -> std::result::Result<Value, String> {
    let kv = app.env.kv("CACHE").map_err(|e| e.to_string())?;
    let stamp = now_ms().to_string();
    kv.put("health:probe", &stamp)
        .map_err(|e| e.to_string())?
        .expiration_ttl(60)
        .execute()
        .await
        .map_err(|e| e.to_string())?;
    let back = kv.get("health:probe").text().await.map_err(|e| e.to_string())?;
    if back.as_deref() == Some(stamp.as_str()) {
        Ok(json!({ "round_trip": true }))
    } else {
        Err("KV read did not return the value just written".into())
    }
}

async fn check_durable_object(app: &App<'_>) -> std::result::Result<Value, String> {
    let ns = app.env.durable_object("RATE_LIMITER").map_err(|e| e.to_string())?;
    let stub = ns.id_from_name("health").and_then(|id| id.get_stub()).map_err(|e| e.to_string())?;
    let mut resp =
        stub.fetch_with_str("https://rate-limiter/ping").await.map_err(|e| e.to_string())?;
    resp.json::<Value>().await.map_err(|e| e.to_string())
}

async fn check_a2a(app: &App<'_>) -> std::result::Result<Value, String> {
    let fetcher = app.env.service("A2A").map_err(|e| e.to_string())?;
    crow_edge::upstream_health(&fetcher, app.ctx, "a2a service").await.map_err(|e| e.message)
}

/// Readiness: every binding is exercised. 200 with per-check results, or 503 in the envelope
/// with the same results in `details.checks`.
pub async fn ready(app: &App<'_>) -> Result<Response> {
    let mut checks = Map::new();
    let mut all_ok = true;
    let started = now_ms();
    let (d1, kv, dobj, a2a) =
        futures::join!(check_d1(app), check_kv(app), check_durable_object(app), check_a2a(app));
    for (name, outcome) in [("d1", d1), ("kv", kv), ("durable_object", dobj), ("a2a_service", a2a)]
    {
        let entry = match outcome {
            Ok(info) => json!({ "ok": true, "info": info }),
            Err(e) => {
                all_ok = false;
                worker::console_error!("readiness check {name} failed: {e}");
                json!({ "ok": false })
            }
        };
        checks.insert(name.to_string(), entry);
    }
    let body = json!({
        "status": if all_ok { "ready" } else { "degraded" },
        "service": crow_common::GATEWAY_SERVICE,
        "checks": checks,
        "ms": now_ms().saturating_sub(started),
    });
    if all_ok {
        Ok(json(200, &body)?)
    } else {
        Err(ApiError::unavailable("gateway dependencies")
            .detail("checks", body["checks"].clone())
            .into())
    }
}
