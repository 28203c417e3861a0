//! Issue 01: every worker answers, service bindings carry requests both ways, unknown routes and
//! methods get the envelope, JSON-RPC endpoints answer with the standard error codes.

use crow_e2e::{send, Stack};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn each_worker_answers_health() {
    let s = Stack::from_env();
    for (base, service) in
        [(&s.gateway, "crow-gateway"), (&s.mcp, "crow-mcp-server"), (&s.a2a, "crow-a2a")]
    {
        let r = send(s.client().get(format!("{base}/health"))).await;
        let body = r.assert_status(200);
        assert_eq!(body["status"], "ok");
        assert_eq!(body["service"], service);
        assert!(r.header("x-request-id").is_some_and(|id| id.starts_with("req_")));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    }
}

#[tokio::test]
async fn gateway_readiness_exercises_every_binding() {
    let s = Stack::from_env();
    let r = send(s.gw(Method::GET, "/health/ready")).await;
    let body = r.assert_status(200);
    let checks = &body["checks"];
    for name in ["d1", "kv", "durable_object", "a2a_service"] {
        assert_eq!(checks[name]["ok"], true, "{name}: {body}");
    }
    assert!(checks["d1"]["info"]["migrations_applied"].as_u64().unwrap() >= 1);
    assert_eq!(checks["kv"]["info"]["round_trip"], true);
    assert!(checks["durable_object"]["info"]["pings"].as_u64().unwrap() >= 1);
    // gateway -> a2a: the A2A worker answered, and echoed the request id it was given.
    assert_eq!(checks["a2a_service"]["info"]["service"], "crow-a2a");
    assert_eq!(checks["a2a_service"]["info"]["request_id_echoed"], true);
}

#[tokio::test]
async fn mcp_and_a2a_reach_the_gateway_over_service_bindings() {
    let s = Stack::from_env();
    for base in [&s.mcp, &s.a2a] {
        let rid = format!("req_e2e_binding_{}", base.rsplit(':').next().unwrap());
        let r =
            send(s.client().get(format!("{base}/health/ready")).header("X-Request-Id", &rid)).await;
        let body = r.assert_status(200);
        let gw = &body["checks"]["gateway"];
        assert_eq!(gw["service"], "crow-gateway", "{body}");
        // The gateway saw our request id (passed over the binding) and sent it back.
        assert_eq!(gw["request_id_echoed"], true, "{body}");
        assert_eq!(r.header("x-request-id"), Some(rid.as_str()));
    }
}

#[tokio::test]
async fn unknown_routes_get_the_envelope_with_a_request_id() {
    let s = Stack::from_env();
    for base in [&s.gateway, &s.mcp, &s.a2a] {
        for path in ["/nope", "/api/v2/products", "/api/v1/"] {
            let r = send(s.client().get(format!("{base}{path}"))).await;
            let details = r.assert_error(404, "NOT_FOUND");
            assert_eq!(details["path"], path);
        }
    }
}

#[tokio::test]
async fn wrong_methods_get_405_with_allow() {
    let s = Stack::from_env();
    let r = send(s.client().delete(format!("{}/health", s.gateway))).await;
    let details = r.assert_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(details["allow"], json!(["GET"]));
    assert_eq!(r.header("allow"), Some("GET"));
    let r = send(s.client().put(format!("{}/mcp", s.mcp))).await;
    r.assert_error(405, "METHOD_NOT_ALLOWED");
    assert!(r.header("allow").unwrap().contains("POST"));
}

async fn rpc(s: &Stack, url: &str, key: &str, body: &str) -> crow_e2e::Reply {
    send(
        s.client()
            .post(url)
            .header("Authorization", format!("Bearer {key}"))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .body(body.to_string()),
    )
    .await
}

#[tokio::test]
async fn json_rpc_endpoints_use_the_standard_error_codes() {
    let s = Stack::from_env();
    let t = s.tenant("jsonrpc").await;
    let key = t.key.as_str();
    for url in [format!("{}/mcp", s.mcp), format!("{}/a2a/jsonrpc", s.a2a)] {
        let r = rpc(&s, &url, key, "{oops").await;
        assert_eq!(r.body["error"]["code"], -32700, "{url}: {}", r.text);
        assert_eq!(r.body["id"], Value::Null);
        assert_eq!(r.body["jsonrpc"], "2.0");

        let r = rpc(&s, &url, key, r#"{"jsonrpc":"1.0","id":4,"method":"x"}"#).await;
        assert_eq!(r.body["error"]["code"], -32600, "{url}: {}", r.text);
        assert_eq!(r.body["id"], 4);

        let r = rpc(&s, &url, key, r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#).await;
        assert_eq!(r.status.as_u16(), 400);
        assert_eq!(r.body["error"]["code"], -32600);

        let r = rpc(&s, &url, key, r#"{"jsonrpc":"2.0","id":"m","method":"no/such/method"}"#).await;
        assert_eq!(r.body["error"]["code"], -32601, "{url}: {}", r.text);
        assert_eq!(r.body["id"], "m");

        // Without a valid key: 401, a Bearer challenge, and a JSON-RPC error carrying the id.
        let r =
            rpc(&s, &url, "crow_not_a_key", r#"{"jsonrpc":"2.0","id":9,"method":"ping"}"#).await;
        assert_eq!(r.status.as_u16(), 401, "{url}: {}", r.text);
        assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
        assert_eq!(r.body["id"], 9);
        assert_eq!(r.body["error"]["code"], -32600);
    }
}

#[tokio::test]
async fn the_openapi_document_is_served_and_enforced() {
    let s = Stack::from_env();
    let r = send(s.gw(Method::GET, "/api/v1/openapi.json")).await;
    let doc = r.assert_status(200);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], s.gateway.as_str());
    for path in [
        "/api/v1/products/{id}",
        "/api/v1/interactions/organization/{orgId}/summary",
        "/api/v1/auth/api-keys",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["Error"].is_object());
}

/// The response check in `send` really rejects a body that does not match the document.
#[tokio::test]
#[should_panic(expected = "does not match the OpenAPI schema")]
async fn a_response_that_breaks_the_contract_is_caught() {
    let s = Stack::from_env();
    let t = s.tenant("contract").await;
    let url =
        reqwest::Url::parse(&format!("{}/api/v1/organizations/{}", s.gateway, t.org_id)).unwrap();
    let mut reply = send(s.as_key(Method::GET, url.path(), &t.key)).await;
    reply.body["plan"] = json!("platinum");
    crow_e2e::openapi::check("GET", &url, &reply).await;
}
