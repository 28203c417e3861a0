//! Issue 06: the MCP server on the real stack, row by row through the response matrix of
//! `shared/reference/mcp.md` section 8 (Origin, CORS, GET/DELETE, auth, transport errors, batch,
//! notifications, version negotiation, both protocol generations), and tool results compared with
//! the REST answers the same key gets for the same question.

use crow_e2e::{demo, send, Reply, Stack, Tenant, DASHBOARD_ORIGIN};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

const ACCEPT: &str = "application/json, text/event-stream";
const MODERN: &str = "2026-07-28";
const TOOLS: [&str; 11] = [
    "crow_search_products",
    "crow_search_interactions",
    "crow_get_interaction_summary",
    "crow_search_patterns",
    "crow_get_product_ai_descriptions",
    "crow_search_org_context",
    "crow_get_product_performance",
    "crow_get_metric_trend",
    "crow_compare_periods",
    "crow_get_funnel",
    "crow_get_store_breakdown",
];

fn mcp_url(s: &Stack) -> String {
    format!("{}/mcp", s.mcp)
}

/// A POST as MCP clients send it, with the key (if any) as a Bearer token.
fn post(s: &Stack, key: Option<&str>, body: &str) -> RequestBuilder {
    let mut r = s
        .client()
        .post(mcp_url(s))
        .header("Content-Type", "application/json")
        .header("Accept", ACCEPT)
        .body(body.to_string());
    if let Some(k) = key {
        r = r.header("Authorization", format!("Bearer {k}"));
    }
    r
}

async fn rpc(s: &Stack, key: &str, msg: Value) -> Reply {
    send(post(s, Some(key), &msg.to_string())).await
}

/// A 2026-07-28 request as the Python SDK sends it: `_meta` envelope and mirrored headers.
fn modern(s: &Stack, key: &str, id: u64, method: &str, mut params: Value) -> RequestBuilder {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": { "name": "crow-e2e", "version": "1" },
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let mut r = post(
        s,
        Some(key),
        &json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string(),
    )
    .header("MCP-Protocol-Version", MODERN)
    .header("Mcp-Method", method);
    if let Some(name) = params.get("name").and_then(Value::as_str) {
        r = r.header("Mcp-Name", name);
    }
    r
}

/// Calls a tool over the legacy lane; returns the whole `result`.
async fn tool(s: &Stack, key: &str, name: &str, arguments: Value) -> Value {
    let r = rpc(s, key, json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": { "name": name, "arguments": arguments } })).await;
    assert_eq!(r.status.as_u16(), 200, "{name}: {}", r.text);
    assert_eq!(r.body["id"], 7);
    r.body["result"].clone()
}

/// Calls a tool that must succeed; returns `structuredContent` after checking the text block
/// carries the same JSON.
async fn tool_ok(s: &Stack, key: &str, name: &str, arguments: Value) -> Value {
    let result = tool(s, key, name, arguments).await;
    assert_eq!(result["isError"], false, "{name} failed: {result}");
    let text = result["content"][0]["text"].as_str().expect("text block");
    let (_, json_part) = text.split_once("\n\n").expect("summary + JSON");
    let sc = result["structuredContent"].clone();
    assert_eq!(serde_json::from_str::<Value>(json_part).unwrap(), sc);
    sc
}

async fn rest(s: &Stack, key: &str, path: &str) -> Value {
    let r = send(s.as_key(Method::GET, path, key)).await;
    r.assert_status(200).clone()
}

/// Search results of two runs of the same query: the same items in the same order; scores
/// equal up to floating-point summation order.
#[track_caller]
fn assert_same_hits(mcp: &Value, rest: &Value, what: &str) {
    let (a, b) = (mcp.as_array().expect("items"), rest.as_array().expect("data"));
    assert_eq!(a.len(), b.len(), "{what}: {mcp} vs {rest}");
    for (x, y) in a.iter().zip(b) {
        let strip = |v: &Value| {
            let mut v = v.clone();
            v.as_object_mut().map(|m| m.remove("score"));
            v
        };
        assert_eq!(strip(x), strip(y), "{what}");
        let (sx, sy) = (x["score"].as_f64().expect("score"), y["score"].as_f64().expect("score"));
        assert!((sx - sy).abs() <= 1e-9 * sx.abs().max(1.0), "{what}: score {sx} vs {sy}");
    }
}

fn num(r: &Reply, name: &str) -> u64 {
    r.header(name).unwrap_or_else(|| panic!("{name} missing: {:?}", r.headers)).parse().unwrap()
}

#[track_caller]
fn assert_rpc_error(r: &Reply, status: u16, code: i64) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    assert_eq!(r.body["jsonrpc"], "2.0", "{}", r.text);
    assert_eq!(r.body["error"]["code"], code, "{}", r.text);
    assert!(r.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.text);
    assert!(
        r.header("content-type").is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        r.headers
    );
    assert!(r.header("mcp-session-id").is_none(), "no sessions are ever minted");
}

/// One tenant with data (products, interactions, patterns, AI descriptions) shared by the tests
/// that compare tool results with REST, lifted to the Professional tier.
static SEEDED: OnceCell<(Tenant, String)> = OnceCell::const_new();

async fn seeded(s: &Stack) -> &'static (Tenant, String) {
    SEEDED
        .get_or_init(|| async {
            let t = s.tenant("mcp-data").await;
            s.sql(&format!(
                "UPDATE organizations SET plan = 'professional' WHERE id = '{}'",
                t.org_id
            ));
            let catalogue = demo::catalogue();
            let mut product_id = String::new();
            for p in catalogue.iter().take(8) {
                let r = send(
                    s.as_user(
                        Method::POST,
                        &format!("/api/v1/products?organizationId={}", t.org_id),
                        &t.cookie,
                    )
                    .json(p),
                )
                .await;
                let id = r.assert_status(201)["id"].as_str().unwrap().to_string();
                if product_id.is_empty() {
                    product_id = id;
                }
            }
            let skus: Vec<String> =
                catalogue.iter().take(8).map(|p| p["sku"].as_str().unwrap().to_string()).collect();
            let items = demo::interactions(&skus, 150, 6);
            let r = send(
                s.as_user(
                    Method::POST,
                    &format!("/api/v1/interactions/organization/{}/batch", t.org_id),
                    &t.cookie,
                )
                .json(&json!({ "interactions": items })),
            )
            .await;
            assert_eq!(r.assert_status(200)["inserted"], 150);
            let patterns: Vec<Value> = demo::patterns().into_iter().take(10).collect();
            let r = send(
                s.as_user(
                    Method::POST,
                    &format!("/api/v1/patterns/organization/{}", t.org_id),
                    &t.cookie,
                )
                .json(&json!({ "patterns": patterns })),
            )
            .await;
            r.assert_status(201);
            let r = send(s.as_key(
                Method::POST,
                &format!("/api/v1/products/{product_id}/ai-descriptions"),
                &t.key,
            ))
            .await;
            assert!(r.status.is_success(), "generating descriptions: {}", r.text);
            (t, product_id)
        })
        .await
}

// ---------------------------------------------------------------------------------------------
// Rows decided before authentication: OPTIONS, Origin, GET, DELETE, other methods.

#[tokio::test]
async fn options_answers_the_cors_preflight() {
    let s = Stack::from_env();
    let r = send(
        s.client()
            .request(Method::OPTIONS, mcp_url(&s))
            .header("Origin", DASHBOARD_ORIGIN)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type, mcp-protocol-version",
            ),
    )
    .await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    assert!(r.text.is_empty());
    assert_eq!(r.header("access-control-allow-origin"), Some(DASHBOARD_ORIGIN));
    let allowed = r.header("access-control-allow-headers").unwrap().to_ascii_lowercase();
    for h in [
        "content-type",
        "accept",
        "authorization",
        "x-api-key",
        "mcp-protocol-version",
        "mcp-method",
        "mcp-name",
        "mcp-session-id",
        "last-event-id",
    ] {
        assert!(allowed.contains(h), "{h} missing from {allowed}");
    }
    assert!(r.header("access-control-allow-methods").unwrap().contains("POST"));
}

#[tokio::test]
async fn a_foreign_origin_is_refused_with_403_on_every_method() {
    let s = Stack::from_env();
    let t = s.tenant("mcp-origin").await;
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    for origin in ["https://evil.example", "http://localhost:3001", "null"] {
        let r = send(post(&s, Some(&t.key), ping).header("Origin", origin)).await;
        assert_rpc_error(&r, 403, -32600);
        assert_eq!(r.body["id"], Value::Null);
        assert_eq!(r.body["error"]["message"], "Forbidden origin");
        assert!(r.header("access-control-allow-origin").is_none());
        for m in [Method::GET, Method::OPTIONS, Method::DELETE] {
            let r = send(s.client().request(m.clone(), mcp_url(&s)).header("Origin", origin)).await;
            assert_rpc_error(&r, 403, -32600);
        }
    }
    // A DNS-rebinding page: Host and Origin name a foreign site that resolves to loopback.
    let r = send(
        post(&s, Some(&t.key), ping)
            .header("Host", "evil.example.com")
            .header("Origin", "http://evil.example.com"),
    )
    .await;
    assert_rpc_error(&r, 403, -32600);
    // Listed origins, and the local server's own loopback origin, are served with CORS headers.
    let own = s.mcp.clone();
    for origin in [DASHBOARD_ORIGIN, "http://127.0.0.1:3000", own.as_str()] {
        let r = send(post(&s, Some(&t.key), ping).header("Origin", origin)).await;
        assert_eq!(r.status.as_u16(), 200, "{origin}: {}", r.text);
        assert_eq!(r.body["result"], json!({}));
        assert_eq!(r.header("access-control-allow-origin"), Some(origin));
        let exposed = r.header("access-control-expose-headers").unwrap();
        assert!(
            exposed.contains("X-RateLimit-Remaining") && exposed.contains("WWW-Authenticate"),
            "{exposed}"
        );
    }
}

#[tokio::test]
async fn get_is_405_for_event_streams_and_server_info_otherwise() {
    let s = Stack::from_env();
    for accept in ["text/event-stream", ACCEPT] {
        let r = send(s.client().get(mcp_url(&s)).header("Accept", accept)).await;
        assert_rpc_error(&r, 405, -32000);
        assert_eq!(r.header("allow"), Some("POST"));
        assert_eq!(r.body["id"], Value::Null);
    }
    for accept in [None, Some("application/json"), Some("text/html,*/*;q=0.8")] {
        let mut req = s.client().get(mcp_url(&s));
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        let r = send(req).await;
        let body = r.assert_status(200);
        assert_eq!(body["name"], "crow-mcp-server");
        assert_eq!(body["sessions"], false);
        assert!(body["protocolVersions"].as_array().unwrap().contains(&json!(MODERN)));
        let names: Vec<&str> =
            body["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, TOOLS);
    }
}

#[tokio::test]
async fn delete_is_405_and_other_methods_get_the_envelope() {
    let s = Stack::from_env();
    let r = send(s.client().delete(mcp_url(&s)).header("Mcp-Session-Id", "abc")).await;
    assert_rpc_error(&r, 405, -32000);
    assert_eq!(r.header("allow"), Some("POST"));
    let r = send(s.client().patch(mcp_url(&s))).await;
    r.assert_error(405, "METHOD_NOT_ALLOWED");
    assert!(r.header("allow").unwrap().contains("POST"));
}

// ---------------------------------------------------------------------------------------------
// Authentication

#[tokio::test]
async fn posts_without_a_valid_key_are_401_with_a_bearer_challenge() {
    let s = Stack::from_env();
    let t = s.tenant("mcp-auth").await;
    let init = r#"{"jsonrpc":"2.0","id":"init-1","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}"#;
    let cases: Vec<(RequestBuilder, &str)> = vec![
        (post(&s, None, init), "API key is required"),
        (post(&s, Some("crow_not_a_key"), init), ""),
        (post(&s, Some(&format!("crow_{}", "A".repeat(64))), init), ""),
        (post(&s, None, init).header("X-API-Key", format!("crow_{}", "b".repeat(64))), ""),
        // Both headers, different keys.
        (post(&s, Some(&t.key), init).header("X-API-Key", format!("crow_{}", "c".repeat(64))), ""),
    ];
    for (req, message) in cases {
        let r = send(req).await;
        assert_rpc_error(&r, 401, -32600);
        assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"mcp\""));
        assert!(!r.header("www-authenticate").unwrap().contains("resource_metadata"));
        assert_eq!(r.body["id"], "init-1");
        assert!(r.body["error"]["message"].as_str().unwrap().contains(message), "{}", r.text);
    }
    // Unparsable body without a key: still 401 (auth first), id null.
    let r = send(post(&s, None, "{oops")).await;
    assert_rpc_error(&r, 401, -32600);
    assert_eq!(r.body["id"], Value::Null);
    // X-API-Key alone works, and so does a revoked key not.
    let r = send(
        post(&s, None, r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#).header("X-API-Key", &t.key),
    )
    .await;
    assert_eq!(r.assert_status(200)["result"], json!({}));
    let r =
        send(s.as_user(Method::DELETE, &format!("/api/v1/auth/api-keys/{}", t.key_id), &t.cookie))
            .await;
    assert!(r.status.is_success(), "{}", r.text);
    let r = send(post(&s, Some(&t.key), r#"{"jsonrpc":"2.0","id":3,"method":"ping"}"#)).await;
    assert_rpc_error(&r, 401, -32600);
}

#[tokio::test]
async fn authenticated_answers_carry_the_rate_limit_and_tool_calls_count_once() {
    let s = Stack::from_env();
    let t = s.tenant("mcp-budget").await;
    let r = rpc(&s, &t.key, json!({"jsonrpc":"2.0","id":1,"method":"tools/list"})).await;
    assert_eq!(num(&r, "x-ratelimit-limit"), 60);
    assert_eq!(num(&r, "x-ratelimit-remaining"), 59);
    assert!(r.header("ratelimit-policy").is_some());
    // A tool call makes its own gateway request, with the internal key: still one unit.
    let r = rpc(&s, &t.key, json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"crow_get_interaction_summary"}})).await;
    assert_eq!(r.body["result"]["isError"], false, "{}", r.text);
    assert_eq!(num(&r, "x-ratelimit-remaining"), 58);
    // Even transport errors after authentication carry the headers (and were counted).
    let r = send(post(&s, Some(&t.key), "[]")).await;
    assert_rpc_error(&r, 400, -32600);
    assert_eq!(num(&r, "x-ratelimit-remaining"), 57);
    let r =
        send(s.as_key(Method::GET, &format!("/api/v1/organizations/{}", t.org_id), &t.key)).await;
    assert_eq!(num(&r, "x-ratelimit-remaining"), 56);
}

// ---------------------------------------------------------------------------------------------
// Transport rules after authentication

#[tokio::test]
async fn transport_errors_batches_and_notifications() {
    let s = Stack::from_env();
    let t = s.tenant("mcp-transport").await;
    let key = t.key.as_str();
    // Bad JSON: 400, -32700, id null.
    let r = send(post(&s, Some(key), "{\"jsonrpc\":")).await;
    assert_rpc_error(&r, 400, -32700);
    assert_eq!(r.body["id"], Value::Null);
    // Batch: 400, -32600, one error object.
    let r = send(post(
        &s,
        Some(key),
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#,
    ))
    .await;
    assert_rpc_error(&r, 400, -32600);
    assert!(r.body.is_object());
    assert!(r.body["error"]["message"].as_str().unwrap().contains("Batch"));
    // Notifications and posted responses: 202 with no body.
    for msg in [
        json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}),
        json!({"jsonrpc":"2.0","id":5,"result":{}}),
    ] {
        let r = rpc(&s, key, msg).await;
        assert_eq!(r.status.as_u16(), 202, "{}", r.text);
        assert!(r.text.is_empty());
    }
    // Modern clients must not post responses.
    let r = send(
        post(&s, Some(key), r#"{"jsonrpc":"2.0","id":5,"result":{}}"#)
            .header("MCP-Protocol-Version", MODERN),
    )
    .await;
    assert_rpc_error(&r, 400, -32600);
    // Wrong media types.
    let r = send(
        post(&s, Some(key), r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
            .header("Content-Type", "text/plain"),
    )
    .await;
    assert_eq!(r.status.as_u16(), 415, "{}", r.text);
    let r = send(
        s.client()
            .post(mcp_url(&s))
            .header("Authorization", format!("Bearer {key}"))
            .header("Content-Type", "application/json")
            .header("Accept", "text/html")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
    )
    .await;
    assert_eq!(r.status.as_u16(), 406, "{}", r.text);
    // Lenient Accept: missing or one of the two types still gets JSON.
    for accept in ["text/event-stream", "*/*", "application/json"] {
        let r = send(
            post(&s, Some(key), r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
                .header("Accept", accept),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{accept}: {}", r.text);
    }
    // Too large: 413 before parsing.
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#,
        "x".repeat(300 * 1024)
    );
    let r = send(post(&s, Some(key), &big)).await;
    assert_eq!(r.status.as_u16(), 413, "{}", &r.text[..r.text.len().min(200)]);
}

// ---------------------------------------------------------------------------------------------
// Legacy lane (2025-03-26 .. 2025-11-25): initialize, version negotiation, ping, errors.

#[tokio::test]
async fn initialize_negotiates_the_version_without_sessions() {
    let s = Stack::from_env();
    let t = s.tenant("mcp-init").await;
    for (requested, negotiated) in [
        ("2025-11-25", "2025-11-25"),
        ("2025-06-18", "2025-06-18"),
        ("2025-03-26", "2025-03-26"),
        ("2024-11-05", "2025-11-25"),
        ("2099-01-01", "2025-11-25"),
    ] {
        let r = rpc(&s, &t.key, json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
            "protocolVersion": requested, "capabilities": {}, "clientInfo": {"name":"e2e","version":"1"}}})).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert!(r.header("mcp-session-id").is_none());
        let result = &r.body["result"];
        assert_eq!(result["protocolVersion"], negotiated, "{requested}");
        assert_eq!(result["serverInfo"]["name"], "crow-mcp-server");
        assert_eq!(result["serverInfo"]["version"], "1.0.0");
        assert_eq!(result["capabilities"]["tools"], json!({"listChanged": false}));
        assert!(result["instructions"].as_str().unwrap().contains("crow_search_products"));
        assert!(result.get("resultType").is_none(), "no modern fields on the legacy lane");
    }
    // initialize without protocolVersion: -32602.
    let r =
        rpc(&s, &t.key, json!({"jsonrpc":"2.0","id":2,"method":"initialize","params":{}})).await;
    assert_rpc_error(&r, 200, -32602);
}

#[tokio::test]
async fn legacy_requests_ping_list_and_errors() {
    let s = Stack::from_env();
    let t = s.tenant("mcp-legacy").await;
    let key = t.key.as_str();
    let with_version = |v: &str, msg: Value| {
        post(&s, Some(key), &msg.to_string()).header("MCP-Protocol-Version", v.to_string())
    };
    let r =
        send(with_version("2025-11-25", json!({"jsonrpc":"2.0","id":"p","method":"ping"}))).await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.body, json!({"jsonrpc":"2.0","id":"p","result":{}}));
    // Unsupported MCP-Protocol-Version header: 400 listing the supported versions.
    let r = send(with_version("2024-01-01", json!({"jsonrpc":"2.0","id":3,"method":"ping"}))).await;
    assert_rpc_error(&r, 400, -32600);
    assert_eq!(r.body["id"], 3);
    assert!(r.body["error"]["data"]["supported"]
        .as_array()
        .unwrap()
        .contains(&json!("2025-11-25")));
    // tools/list: every tool, one page; a cursor is invalid.
    let r = send(with_version("2025-06-18", json!({"jsonrpc":"2.0","id":4,"method":"tools/list"})))
        .await;
    let tools = r.body["result"]["tools"].as_array().unwrap();
    assert_eq!(tools.iter().map(|t| t["name"].as_str().unwrap()).collect::<Vec<_>>(), TOOLS);
    assert!(r.body["result"].get("nextCursor").is_none());
    for t in tools {
        assert_eq!(t["inputSchema"]["type"], "object");
        assert_eq!(t["outputSchema"]["type"], "object");
        assert_eq!(t["annotations"]["readOnlyHint"], true);
    }
    let r = rpc(
        &s,
        key,
        json!({"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"cursor":"abc"}}),
    )
    .await;
    assert_rpc_error(&r, 200, -32602);
    // Unknown method: 200 + -32601. Unknown tool: -32602. Bad arguments: isError result.
    let r = rpc(&s, key, json!({"jsonrpc":"2.0","id":6,"method":"resources/list"})).await;
    assert_rpc_error(&r, 200, -32601);
    let r = rpc(&s, key, json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"crow_nope","arguments":{}}})).await;
    assert_rpc_error(&r, 200, -32602);
    assert_eq!(r.body["id"], 7);
    let r = rpc(
        &s,
        key,
        json!({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"arguments":{}}}),
    )
    .await;
    assert_rpc_error(&r, 200, -32602);
    for (name, args, field) in [
        ("crow_search_products", json!({}), "query"),
        ("crow_search_products", json!({"query": "x", "mode": "vector"}), "mode"),
        ("crow_search_interactions", json!({"limit": 101}), "limit"),
        ("crow_search_patterns", json!({"period": "hourly"}), "period"),
        ("crow_get_product_ai_descriptions", json!({"productId": "../etc/passwd"}), "productId"),
        ("crow_search_org_context", json!({"query": "x".repeat(513)}), "query"),
        ("crow_get_interaction_summary", json!({"org": "other"}), "org"),
    ] {
        let result = tool(&s, key, name, args).await;
        assert_eq!(result["isError"], true, "{name}: {result}");
        let text = result["content"][0]["text"].as_str().unwrap();
        assert!(text.contains(&format!("`{field}`")), "{name}: {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Modern lane (2026-07-28): discover, envelope and header validation, HTTP statuses.

#[tokio::test]
async fn modern_requests_discover_list_and_call() {
    let s = Stack::from_env();
    let t = s.tenant("mcp-modern").await;
    let key = t.key.as_str();
    let r = send(modern(&s, key, 1, "server/discover", json!({}))).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let d = &r.body["result"];
    assert_eq!(d["resultType"], "complete");
    assert_eq!(d["supportedVersions"], json!([MODERN, "2025-11-25", "2025-06-18", "2025-03-26"]));
    assert!(d["ttlMs"].as_u64().is_some());
    assert_eq!(d["cacheScope"], "public");
    assert_eq!(d["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "crow-mcp-server");
    assert!(d["capabilities"]["tools"].is_object());

    let r = send(modern(&s, key, 2, "tools/list", json!({}))).await;
    let l = &r.body["result"];
    assert_eq!(l["tools"].as_array().unwrap().len(), TOOLS.len());
    assert_eq!(l["resultType"], "complete");
    assert!(l["ttlMs"].as_u64().is_some() && l["cacheScope"].is_string());

    let r = send(modern(
        &s,
        key,
        3,
        "tools/call",
        json!({"name": "crow_get_interaction_summary", "arguments": {}}),
    ))
    .await;
    let c = &r.body["result"];
    assert_eq!(c["isError"], false, "{}", r.text);
    assert_eq!(c["resultType"], "complete");
    assert_eq!(c["structuredContent"]["summary"]["total"], 0);
    assert!(c["_meta"]["io.modelcontextprotocol/serverInfo"].is_object());

    // Non-ASCII tool names travel base64-encoded in Mcp-Name; an unknown tool is 400 + -32602.
    let mut req = modern(&s, key, 4, "tools/call", json!({"name": "crow_ü", "arguments": {}}))
        .build()
        .unwrap();
    req.headers_mut().insert("mcp-name", "=?base64?Y3Jvd1/DvA==?=".parse().unwrap());
    let r = Reply::of(s.client().execute(req).await.unwrap()).await;
    assert_rpc_error(&r, 400, -32602);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("Unknown tool"), "{}", r.text);
}

#[tokio::test]
async fn modern_validation_errors_use_their_codes_and_statuses() {
    let s = Stack::from_env();
    let t = s.tenant("mcp-modern-errors").await;
    let key = t.key.as_str();
    let without = |req: RequestBuilder, name: &str| {
        let mut built = req.build().unwrap();
        built.headers_mut().remove(name);
        built
    };
    let client = s.client();
    let exec =
        |req: reqwest::Request| async { Reply::of(client.execute(req).await.unwrap()).await };

    // Missing or mismatching headers: 400 + -32020.
    let r = exec(without(modern(&s, key, 1, "tools/list", json!({})), "Mcp-Method")).await;
    assert_rpc_error(&r, 400, -32020);
    let mut req = modern(&s, key, 2, "tools/list", json!({})).build().unwrap();
    req.headers_mut().insert("mcp-method", "server/discover".parse().unwrap());
    assert_rpc_error(&exec(req).await, 400, -32020);
    let mut req = modern(&s, key, 3, "tools/call", json!({"name": "crow_get_interaction_summary"}))
        .build()
        .unwrap();
    req.headers_mut().insert("mcp-name", "crow_search_products".parse().unwrap());
    assert_rpc_error(&exec(req).await, 400, -32020);
    let r = exec(without(
        modern(&s, key, 4, "tools/call", json!({"name": "crow_get_interaction_summary"})),
        "Mcp-Name",
    ))
    .await;
    assert_rpc_error(&r, 400, -32020);

    // Unsupported version in the envelope: 400 + -32022 with data.supported / requested.
    let body = json!({"jsonrpc":"2.0","id":5,"method":"tools/list","params":{"_meta":{
        "io.modelcontextprotocol/protocolVersion":"2030-01-01","io.modelcontextprotocol/clientCapabilities":{}}}});
    let r = send(
        post(&s, Some(key), &body.to_string())
            .header("MCP-Protocol-Version", "2030-01-01")
            .header("Mcp-Method", "tools/list"),
    )
    .await;
    assert_rpc_error(&r, 400, -32022);
    assert_eq!(r.body["error"]["data"]["requested"], "2030-01-01");
    assert!(r.body["error"]["data"]["supported"].as_array().unwrap().contains(&json!(MODERN)));

    // Missing clientCapabilities: 400 + -32602.
    let body = json!({"jsonrpc":"2.0","id":6,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":MODERN}}});
    let r = send(
        post(&s, Some(key), &body.to_string())
            .header("MCP-Protocol-Version", MODERN)
            .header("Mcp-Method", "tools/list"),
    )
    .await;
    assert_rpc_error(&r, 400, -32602);

    // Unknown method: 404 + -32601 (the JSON-RPC body tells it from a missing endpoint).
    let r = send(modern(&s, key, 7, "resources/list", json!({}))).await;
    assert_rpc_error(&r, 404, -32601);
    assert_eq!(r.body["id"], 7);
    // initialize and ping do not exist in 2026-07-28 either.
    let r = send(modern(&s, key, 8, "ping", json!({}))).await;
    assert_rpc_error(&r, 404, -32601);

    // Bad tool arguments are still a tool result (HTTP 200, isError), as in the legacy lane.
    let r = send(modern(
        &s,
        key,
        9,
        "tools/call",
        json!({"name": "crow_search_patterns", "arguments": {"limit": 0}}),
    ))
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.body["result"]["isError"], true);
    assert_eq!(r.body["result"]["resultType"], "complete");
}

// ---------------------------------------------------------------------------------------------
// Tool results match the REST answers for the same question.

#[tokio::test]
async fn tool_results_match_the_rest_answers() {
    let s = Stack::from_env();
    let (t, product_id) = seeded(&s).await;
    let (key, org) = (t.key.as_str(), t.org_id.as_str());

    let sc = tool_ok(&s, key, "crow_get_interaction_summary", json!({})).await;
    let r = rest(&s, key, &format!("/api/v1/interactions/organization/{org}/summary")).await;
    assert_eq!(sc["summary"], r);
    assert_eq!(r["total"], 150);

    for (args, query) in [
        (json!({}), "limit=20&page=1".to_string()),
        (
            json!({"sourceType": "web", "limit": 7, "page": 2}),
            "sourceType=web&limit=7&page=2".to_string(),
        ),
        (
            json!({"sourceType": "cctv", "limit": 100}),
            "sourceType=cctv&limit=100&page=1".to_string(),
        ),
    ] {
        let sc = tool_ok(&s, key, "crow_search_interactions", args.clone()).await;
        let r = rest(&s, key, &format!("/api/v1/interactions/organization/{org}?{query}")).await;
        assert_eq!(sc["items"], r["data"], "{args}");
        assert_eq!(sc["total"], r["total"], "{args}");
        assert_eq!(sc["count"], r["data"].as_array().unwrap().len(), "{args}");
    }

    let sc = tool_ok(&s, key, "crow_search_patterns", json!({"limit": 50})).await;
    let r = rest(&s, key, &format!("/api/v1/patterns/organization/{org}?limit=50")).await;
    assert_eq!(sc["items"], r["data"]);
    assert_eq!(sc["count"], 10);

    let sc = tool_ok(&s, key, "crow_get_product_ai_descriptions", json!({"productId": product_id}))
        .await;
    let r = rest(&s, key, &format!("/api/v1/products/{product_id}/ai-descriptions")).await;
    assert_eq!(sc["items"], r["descriptions"]);
    assert!(sc["count"].as_u64().unwrap() >= 1, "{sc}");
    assert_eq!(sc["meta"]["productId"], product_id.as_str());
}

#[tokio::test]
async fn search_tool_results_match_the_rest_answers() {
    let s = Stack::from_env();
    let (t, _) = seeded(&s).await;
    let (key, org) = (t.key.as_str(), t.org_id.as_str());
    let name = demo::catalogue()[0]["name"].as_str().unwrap().to_string();
    let word = name.split_whitespace().last().unwrap().to_lowercase();
    let enc = |q: &str| q.replace(' ', "%20");

    for mode in ["hybrid", "fts", "semantic"] {
        let sc = tool_ok(
            &s,
            key,
            "crow_search_products",
            json!({"query": word, "mode": mode, "limit": 5}),
        )
        .await;
        let r = rest(
            &s,
            key,
            &format!("/api/v1/products/search?query={}&mode={mode}&limit=5", enc(&word)),
        )
        .await;
        assert_same_hits(&sc["items"], &r["data"], mode);
        assert!(sc["count"].as_u64().unwrap() >= 1, "{mode}: {sc}");
        assert!(sc["items"][0]["score"].is_number());
    }

    let q = "hiking boots";
    let sc = tool_ok(
        &s,
        key,
        "crow_search_interactions",
        json!({"query": q, "sourceType": "social", "limit": 5}),
    )
    .await;
    let r = rest(&s, key, &format!("/api/v1/interactions/organization/{org}/search?query={}&sourceType=social&limit=5&page=1", enc(q))).await;
    assert_same_hits(&sc["items"], &r["data"], q);

    let q = "weekend footfall";
    let sc = tool_ok(&s, key, "crow_search_patterns", json!({"query": q})).await;
    let r = rest(
        &s,
        key,
        &format!("/api/v1/patterns/organization/{org}/search?query={}&limit=20", enc(q)),
    )
    .await;
    assert_same_hits(&sc["items"], &r["data"], q);

    let q = "return policy";
    let sc = tool_ok(&s, key, "crow_search_org_context", json!({"query": q, "limit": 3})).await;
    let r = rest(&s, key, &format!("/api/v1/qna/search?query={}&limit=3", enc(q))).await;
    assert_same_hits(&sc["items"], &r["data"], q);
}

#[tokio::test]
async fn tools_see_only_the_keys_organization() {
    let s = Stack::from_env();
    let (_, product_id) = seeded(&s).await;
    let other = s.tenant("mcp-other").await;
    // Another organization's product is "not found", exactly like a missing one.
    for id in [product_id.as_str(), "prd_does_not_exist"] {
        let result =
            tool(&s, &other.key, "crow_get_product_ai_descriptions", json!({"productId": id}))
                .await;
        assert_eq!(result["isError"], true, "{result}");
        assert!(
            result["content"][0]["text"].as_str().unwrap().to_lowercase().contains("not found"),
            "{result}"
        );
        assert!(result.get("structuredContent").is_none());
    }
    // The summary is the key's own (empty) organization.
    let sc = tool_ok(&s, &other.key, "crow_get_interaction_summary", json!({})).await;
    assert_eq!(sc["summary"]["organizationId"], other.org_id.as_str());
    assert_eq!(sc["summary"]["total"], 0);
}
