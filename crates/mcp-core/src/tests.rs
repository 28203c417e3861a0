//! End-to-end tests of the MCP endpoint, row by row through the response matrix of
//! `shared/reference/mcp.md` section 8, for both protocol generations.

use std::cell::RefCell;

use crow_tools::ToolCall;
use futures::executor::block_on;
use serde_json::{json, Value};

use crate::*;

const ORIGIN_OK: &str = "https://app.crowai.dev";
const PY_ACCEPT: &str = "application/json, text/event-stream";

/// Records calls; answers with a canned body (echoing the REST path) or a canned error.
#[derive(Default)]
struct FakeBackend {
    calls: RefCell<Vec<ToolCall>>,
    fail: Option<BackendError>,
    body: Option<Value>,
}

impl ToolBackend for FakeBackend {
    async fn call(&self, call: &ToolCall) -> Result<Value, BackendError> {
        self.calls.borrow_mut().push(call.clone());
        if let Some(e) = &self.fail {
            return Err(e.clone());
        }
        Ok(self.body.clone().unwrap_or_else(|| {
            json!({ "items": [{ "name": "Red Shoe", "path": call.rest_request("org_test").path_and_query }], "total": 7 })
        }))
    }
}

fn server() -> Server {
    Server::new(Config { allowed_origins: vec![ORIGIN_OK.into()], ..Config::default() })
}

fn run(req: &HttpRequest) -> HttpResponse {
    run_with(req, &FakeBackend::default())
}

fn run_with(req: &HttpRequest, backend: &FakeBackend) -> HttpResponse {
    let s = server();
    match s.preflight(req) {
        Some(resp) => resp,
        None => block_on(s.handle_post(req, backend)),
    }
}

fn body(resp: &HttpResponse) -> Value {
    resp.json_body()
        .unwrap_or_else(|| panic!("not JSON: {:?}", String::from_utf8_lossy(&resp.body)))
}

fn error_code(resp: &HttpResponse) -> i64 {
    body(resp)["error"]["code"].as_i64().unwrap_or_else(|| panic!("no error: {}", body(resp)))
}

fn raw_post(body: &str) -> HttpRequest {
    HttpRequest::new("POST")
        .header("Accept", PY_ACCEPT)
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer test-key")
        .body(body.as_bytes().to_vec())
}

/// A legacy POST as the Python client sends it (`version` = negotiated header, absent before).
fn legacy(msg: Value, version: Option<&str>) -> HttpRequest {
    let req = raw_post(&msg.to_string());
    match version {
        Some(v) => req.header("mcp-protocol-version", v),
        None => req,
    }
}

fn envelope() -> Value {
    json!({
        META_PROTOCOL_VERSION: MODERN_VERSION,
        "io.modelcontextprotocol/clientInfo": { "name": "mcp", "version": "0.1.0" },
        META_CLIENT_CAPABILITIES: {},
    })
}

/// A 2026-07-28 request exactly as the Python client sends it.
fn modern(id: i64, method: &str, mut params: Value) -> HttpRequest {
    params["_meta"] = envelope();
    let mut req = raw_post(
        &json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string(),
    )
    .header("mcp-protocol-version", MODERN_VERSION)
    .header("mcp-method", method);
    if let Some(name) = params.get("name").and_then(Value::as_str) {
        req = req.header("mcp-name", name);
    }
    req
}

fn without_header(mut req: HttpRequest, name: &str) -> HttpRequest {
    req.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    req
}

fn replace_header(req: HttpRequest, name: &str, value: &str) -> HttpRequest {
    without_header(req, name).header(name, value)
}

fn assert_no_session(resp: &HttpResponse) {
    assert!(resp.get("mcp-session-id").is_none(), "minted a session id: {resp:?}");
}

// ---------------------------------------------------------------------------------------------
// Rows decided before authentication

#[test]
fn options_is_204_with_cors() {
    let resp = run(&HttpRequest::new("OPTIONS")
        .header("Origin", ORIGIN_OK)
        .header("Access-Control-Request-Method", "POST"));
    assert_eq!(resp.status, 204);
    assert!(resp.body.is_empty());
    assert_eq!(resp.get("access-control-allow-origin"), Some(ORIGIN_OK));
    let allowed = resp.get("access-control-allow-headers").unwrap();
    for h in [
        "Content-Type",
        "Accept",
        "Authorization",
        "X-API-Key",
        "MCP-Protocol-Version",
        "Mcp-Method",
        "Mcp-Name",
        "Mcp-Session-Id",
        "Last-Event-ID",
    ] {
        assert!(allowed.contains(h), "{h} missing from {allowed}");
    }
    assert!(resp.get("access-control-allow-methods").unwrap().contains("POST"));
    // without Origin it is still a 204 (no Allow-Origin)
    let resp = run(&HttpRequest::new("OPTIONS"));
    assert_eq!(resp.status, 204);
    assert!(resp.get("access-control-allow-origin").is_none());
}

#[test]
fn forbidden_origin_is_403_for_every_method() {
    for method in ["GET", "POST", "DELETE", "OPTIONS", "PUT"] {
        let req = raw_post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
            .header("Origin", "https://evil.example");
        let req = HttpRequest { method: method.into(), ..req };
        let resp = run(&req);
        assert_eq!(resp.status, 403, "{method}");
        assert_eq!(
            body(&resp),
            json!({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Forbidden origin"}})
        );
        assert!(resp.get("access-control-allow-origin").is_none());
        // handle_post re-checks the origin even if the worker skipped preflight
        let direct = block_on(server().handle_post(&req, &FakeBackend::default()));
        assert_eq!(direct.status, 403, "{method}");
    }
    // `null` origins (sandboxed frames) are not allowed unless listed
    assert_eq!(run(&HttpRequest::new("GET").header("Origin", "null")).status, 403);
}

#[test]
fn allowed_origins_get_cors_headers_and_absent_origin_is_fine() {
    let req = legacy(json!({"jsonrpc":"2.0","id":1,"method":"ping"}), Some("2025-11-25"))
        .header("Origin", "HTTPS://APP.CROWAI.DEV/");
    let resp = run(&req);
    assert_eq!(resp.status, 200);
    assert!(resp.get("access-control-allow-origin").is_some());
    assert_eq!(resp.get("vary"), Some("Origin"));
    let resp = run(&legacy(json!({"jsonrpc":"2.0","id":1,"method":"ping"}), None));
    assert_eq!(resp.status, 200);
    assert!(resp.get("access-control-allow-origin").is_none());
    let any = Server::new(Config { allowed_origins: vec!["*".into()], ..Config::default() });
    assert!(any.origin_allowed("https://whatever.example"));
    assert!(!Server::new(Config::default()).origin_allowed(ORIGIN_OK));
}

#[test]
fn get_asking_for_an_event_stream_is_405_allow_post() {
    for accept in [PY_ACCEPT, "text/event-stream"] {
        let req = HttpRequest::new("GET")
            .header("Accept", accept)
            .header("mcp-protocol-version", "2025-11-25");
        let resp = server().preflight(&req).expect("decided before auth");
        assert_eq!(resp.status, 405);
        assert_eq!(resp.get("allow"), Some("POST"));
        assert_eq!(body(&resp)["jsonrpc"], "2.0");
        assert_eq!(error_code(&resp), SERVER_ERROR);
        assert_no_session(&resp);
    }
}

#[test]
fn plain_get_returns_server_info_with_tools() {
    for accept in [None, Some("text/html,*/*;q=0.8"), Some("application/json")] {
        let mut req = HttpRequest::new("GET");
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        let resp = server().preflight(&req).expect("decided before auth");
        assert_eq!(resp.status, 200);
        assert_eq!(resp.get("content-type"), Some("application/json"));
        let info = body(&resp);
        assert_eq!(info["name"], "crow-mcp-server");
        assert_eq!(info["version"], "1.0.0");
        assert_eq!(info["tools"].as_array().unwrap().len(), crow_tools::ToolKind::ALL.len());
        assert_eq!(info["tools"][0]["name"], "crow_search_products");
        assert_eq!(info["protocolVersions"], json!(SUPPORTED_VERSIONS));
    }
}

#[test]
fn delete_and_other_methods_are_405() {
    let resp = run(&HttpRequest::new("DELETE").header("mcp-session-id", "abc"));
    assert_eq!(resp.status, 405);
    assert_eq!(resp.get("allow"), Some("POST"));
    assert_eq!(error_code(&resp), SERVER_ERROR);
    let resp = run(&HttpRequest::new("PUT"));
    assert_eq!(resp.status, 405);
    assert!(resp.get("allow").unwrap().contains("POST"));
}

#[test]
fn post_is_left_to_authentication() {
    assert!(server().preflight(&raw_post("{}")).is_none());
    // and handle_post given a non-POST answers like preflight
    let resp = block_on(server().handle_post(&HttpRequest::new("DELETE"), &FakeBackend::default()));
    assert_eq!(resp.status, 405);
}

#[test]
fn unauthorized_is_401_with_bearer_challenge_and_request_id() {
    let s = server();
    let resp = s.unauthorized(
        &raw_post(r#"{"jsonrpc":"2.0","id":"abc","method":"tools/list"}"#),
        "Invalid or unauthorized API key.",
    );
    assert_eq!(resp.status, 401);
    assert_eq!(resp.get("www-authenticate"), Some("Bearer realm=\"mcp\""));
    assert_eq!(resp.get("content-type"), Some("application/json"));
    let b = body(&resp);
    assert_eq!(b["id"], "abc");
    assert_eq!(b["error"]["code"], -32600);
    assert_eq!(b["error"]["message"], "Invalid or unauthorized API key.");
    assert!(!resp.get("www-authenticate").unwrap().contains("resource_metadata"));
    let resp = s.unauthorized(&raw_post("{oops"), "no key");
    assert_eq!(body(&resp)["id"], Value::Null);
}

// ---------------------------------------------------------------------------------------------
// Transport rows of an authenticated POST

#[test]
fn bad_json_is_400_parse_error_with_null_id() {
    for raw in ["{not json", "", "   "] {
        let resp = run(&raw_post(raw));
        assert_eq!(resp.status, 400, "{raw:?}");
        assert_eq!(error_code(&resp), -32700);
        assert_eq!(body(&resp)["id"], Value::Null);
    }
}

#[test]
fn batch_is_400_invalid_request() {
    let resp = run(&raw_post(
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]"#,
    ));
    assert_eq!(resp.status, 400);
    assert_eq!(error_code(&resp), -32600);
    assert!(body(&resp)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Batch requests are not supported"));
    assert_eq!(body(&resp)["id"], Value::Null);
    assert_eq!(run(&raw_post("[]")).status, 400);
}

#[test]
fn malformed_messages_are_400_invalid_request_keeping_the_id() {
    let resp = run(&raw_post(r#"{"id":9,"method":"ping"}"#));
    assert_eq!(resp.status, 400);
    assert_eq!(error_code(&resp), -32600);
    assert_eq!(body(&resp)["id"], 9);
    assert_eq!(run(&raw_post("42")).status, 400);
}

#[test]
fn notifications_are_202_empty() {
    for (msg, version) in [
        (json!({"jsonrpc":"2.0","method":"notifications/initialized"}), Some("2025-11-25")),
        (json!({"jsonrpc":"2.0","method":"notifications/initialized"}), None),
        (
            json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}),
            Some("2025-06-18"),
        ),
        (json!({"jsonrpc":"2.0","method":"notifications/whatever"}), Some(MODERN_VERSION)),
    ] {
        let resp = run(&legacy(msg.clone(), version));
        assert_eq!(resp.status, 202, "{msg}");
        assert!(resp.body.is_empty());
        assert_no_session(&resp);
    }
}

#[test]
fn client_responses_are_202_legacy_and_400_modern() {
    let msg = json!({"jsonrpc":"2.0","id":"s1","result":{}});
    let resp = run(&legacy(msg.clone(), Some("2025-11-25")));
    assert_eq!(resp.status, 202);
    assert!(resp.body.is_empty());
    let resp =
        run(&legacy(json!({"jsonrpc":"2.0","id":"s1","error":{"code":-1,"message":"no"}}), None));
    assert_eq!(resp.status, 202);
    let resp = run(&legacy(msg, Some(MODERN_VERSION)));
    assert_eq!(resp.status, 400);
    assert_eq!(error_code(&resp), -32600);
}

#[test]
fn content_type_must_be_json() {
    let req = replace_header(
        raw_post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
        "content-type",
        "text/plain",
    );
    let resp = run(&req);
    assert_eq!(resp.status, 415);
    assert_eq!(error_code(&resp), SERVER_ERROR);
    // charset parameters and a missing Content-Type are fine
    let ok = replace_header(
        raw_post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
        "content-type",
        "application/json; charset=utf-8",
    );
    assert_eq!(run(&ok).status, 200);
    assert_eq!(
        run(&without_header(
            raw_post(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#),
            "content-type"
        ))
        .status,
        200
    );
}

#[test]
fn accept_is_lenient_and_406_only_when_both_types_are_excluded() {
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    for accept in ["text/event-stream", "application/json", "*/*"] {
        assert_eq!(run(&replace_header(raw_post(ping), "accept", accept)).status, 200, "{accept}");
    }
    assert_eq!(run(&without_header(raw_post(ping), "accept")).status, 200);
    let resp = run(&replace_header(raw_post(ping), "accept", "text/html"));
    assert_eq!(resp.status, 406);
    assert_eq!(error_code(&resp), SERVER_ERROR);
}

#[test]
fn oversized_bodies_are_413() {
    let s = Server::new(Config { max_body_bytes: 64, ..Config::default() });
    let big = json!({"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"x".repeat(100)}});
    let resp = block_on(s.handle_post(&legacy(big, None), &FakeBackend::default()));
    assert_eq!(resp.status, 413);
    assert_eq!(error_code(&resp), -32600);
}

// ---------------------------------------------------------------------------------------------
// Legacy generation (2025-03-26 / 2025-06-18 / 2025-11-25)

fn initialize(version: Value) -> HttpResponse {
    run(&legacy(
        json!({"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":version,"capabilities":{},"clientInfo":{"name":"mcp","version":"0.1.0"}}}),
        None,
    ))
}

#[test]
fn initialize_echoes_supported_versions() {
    for v in ["2025-11-25", "2025-06-18", "2025-03-26"] {
        let resp = initialize(json!(v));
        assert_eq!(resp.status, 200);
        assert_eq!(resp.get("content-type"), Some("application/json"));
        assert_no_session(&resp);
        let b = body(&resp);
        assert_eq!(b["id"], 2);
        assert_eq!(b["result"]["protocolVersion"], v);
    }
}

#[test]
fn initialize_answers_latest_legacy_for_unknown_versions() {
    for v in ["2024-11-05", "2026-07-28", "1900-01-01", "nonsense"] {
        let b = body(&initialize(json!(v)));
        assert_eq!(b["result"]["protocolVersion"], "2025-11-25", "{v}");
    }
}

#[test]
fn initialize_result_shape() {
    let r = body(&initialize(json!("2025-11-25")))["result"].clone();
    assert_eq!(r["capabilities"], json!({"tools": {"listChanged": false}}));
    assert_eq!(r["serverInfo"]["name"], "crow-mcp-server");
    assert_eq!(r["serverInfo"]["version"], "1.0.0");
    assert!(r["serverInfo"]["title"].is_string());
    assert!(r["instructions"].as_str().unwrap().contains("crow_search_products"));
    // legacy results carry no 2026-07-28 fields
    assert!(r.get("resultType").is_none() && r.get("_meta").is_none() && r.get("ttlMs").is_none());
}

#[test]
fn initialize_needs_a_protocol_version() {
    for params in [json!({}), json!({"protocolVersion": 5})] {
        let resp = run(&legacy(
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":params}),
            None,
        ));
        assert_eq!(resp.status, 200);
        assert_eq!(error_code(&resp), -32602);
    }
    let resp = run(&legacy(json!({"jsonrpc":"2.0","id":1,"method":"initialize"}), None));
    assert_eq!(error_code(&resp), -32602);
}

#[test]
fn initialize_ignores_the_version_header_and_even_a_modern_envelope() {
    let mut msg = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}});
    msg["params"]["_meta"] = envelope();
    let resp = run(&legacy(msg, Some("garbage")));
    assert_eq!(resp.status, 200);
    assert_eq!(body(&resp)["result"]["protocolVersion"], "2025-06-18");
}

#[test]
fn unsupported_protocol_version_header_is_400_listing_supported_versions() {
    for v in ["2024-11-05", "1999-01-01", "latest"] {
        let resp = run(&legacy(json!({"jsonrpc":"2.0","id":5,"method":"tools/list"}), Some(v)));
        assert_eq!(resp.status, 400, "{v}");
        let b = body(&resp);
        assert_eq!(b["id"], 5);
        assert_eq!(b["error"]["data"]["supported"], json!(SUPPORTED_VERSIONS));
        assert_eq!(b["error"]["data"]["requested"], v);
    }
    // notifications too
    let resp = run(&legacy(
        json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        Some("2024-11-05"),
    ));
    assert_eq!(resp.status, 400);
    // no header: assumed 2025-03-26 and served
    assert_eq!(
        run(&legacy(json!({"jsonrpc":"2.0","id":5,"method":"tools/list"}), None)).status,
        200
    );
}

#[test]
fn legacy_ping_is_an_empty_result() {
    let resp =
        run(&legacy(json!({"jsonrpc":"2.0","id":"123","method":"ping"}), Some("2025-11-25")));
    assert_eq!(resp.status, 200);
    assert_eq!(body(&resp), json!({"jsonrpc":"2.0","id":"123","result":{}}));
}

#[test]
fn legacy_tools_list() {
    let resp =
        run(&legacy(json!({"jsonrpc":"2.0","id":3,"method":"tools/list"}), Some("2025-11-25")));
    assert_eq!(resp.status, 200);
    let r = body(&resp)["result"].clone();
    let tools = r["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
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
            "crow_get_store_breakdown"
        ]
    );
    for t in tools {
        assert_eq!(t["inputSchema"]["type"], "object");
        assert_eq!(t["inputSchema"]["additionalProperties"], false);
        assert!(
            t["outputSchema"].is_object() && t["title"].is_string() && t["description"].is_string()
        );
        assert_eq!(t["annotations"]["readOnlyHint"], true);
        assert_eq!(t["annotations"]["openWorldHint"], false);
    }
    assert!(
        r.get("nextCursor").is_none() && r.get("resultType").is_none() && r.get("ttlMs").is_none()
    );
    // params {} and null cursor are the first page; any cursor is invalid
    let resp = run(&legacy(
        json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":null}}),
        None,
    ));
    assert_eq!(
        body(&resp)["result"]["tools"].as_array().unwrap().len(),
        crow_tools::ToolKind::ALL.len()
    );
    let resp = run(&legacy(
        json!({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":"abc"}}),
        None,
    ));
    assert_eq!(resp.status, 200);
    assert_eq!(error_code(&resp), -32602);
}

#[test]
fn legacy_unknown_method_is_200_method_not_found() {
    for m in ["resources/list", "prompts/list", "logging/setLevel", "nope"] {
        let resp = run(&legacy(json!({"jsonrpc":"2.0","id":4,"method":m}), Some("2025-11-25")));
        assert_eq!(resp.status, 200, "{m}");
        assert_eq!(error_code(&resp), -32601);
        assert_eq!(body(&resp)["id"], 4);
    }
}

#[test]
fn incoming_session_ids_are_ignored() {
    let req = legacy(json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}), Some("2025-11-25"))
        .header("Mcp-Session-Id", "stale-session");
    let resp = run(&req);
    assert_eq!(resp.status, 200);
    assert_no_session(&resp);
}

// ---------------------------------------------------------------------------------------------
// tools/call (shared by both generations; legacy framing here)

fn call(name: &str, arguments: Value) -> HttpRequest {
    legacy(
        json!({"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":name,"arguments":arguments}}),
        Some("2025-11-25"),
    )
}

#[test]
fn tool_call_success_has_text_and_structured_content() {
    let backend = FakeBackend::default();
    let resp = run_with(
        &call("crow_search_products", json!({"query": " red shoes ", "limit": 5.0})),
        &backend,
    );
    assert_eq!(resp.status, 200);
    let r = body(&resp)["result"].clone();
    assert_eq!(r["isError"], false);
    assert_eq!(r["content"][0]["type"], "text");
    let text = r["content"][0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("Found 1 product for \"red shoes\" (hybrid search, limit 5). 7 in total."),
        "{text}"
    );
    let sc = &r["structuredContent"];
    assert_eq!(sc["count"], 1);
    assert_eq!(sc["total"], 7);
    assert_eq!(
        sc["items"][0]["path"],
        "/api/v1/products/search?query=red%20shoes&mode=hybrid&limit=5"
    );
    assert_eq!(sc["arguments"], json!({"query": "red shoes", "mode": "hybrid", "limit": 5}));
    assert!(r.get("resultType").is_none());
    let calls = backend.calls.borrow();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name(), "crow_search_products");
}

#[test]
fn every_tool_can_be_called() {
    for (name, args) in [
        ("crow_search_products", json!({"query": "x"})),
        ("crow_search_interactions", json!({"sourceType": "cctv"})),
        ("crow_get_interaction_summary", json!({})),
        ("crow_search_patterns", json!({"period": "monthly"})),
        ("crow_get_product_ai_descriptions", json!({"productId": "p_1"})),
        ("crow_search_org_context", json!({"query": "returns"})),
    ] {
        let resp = run(&call(name, args));
        let r = body(&resp)["result"].clone();
        assert_eq!(r["isError"], false, "{name}: {r}");
        assert!(r["structuredContent"].is_object());
        // the structured result has every field the outputSchema requires
        let schema = crow_tools::ToolKind::from_name(name).unwrap().output_schema();
        for field in schema["required"].as_array().unwrap() {
            assert!(
                r["structuredContent"].get(field.as_str().unwrap()).is_some(),
                "{name} lacks {field}"
            );
        }
    }
    // arguments may be omitted entirely
    let resp = run(&legacy(
        json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"crow_get_interaction_summary"}}),
        None,
    ));
    assert_eq!(body(&resp)["result"]["isError"], false);
}

#[test]
fn bad_arguments_are_an_error_result_naming_the_field() {
    let backend = FakeBackend::default();
    let resp =
        run_with(&call("crow_search_products", json!({"query": "x", "mode": "vector"})), &backend);
    assert_eq!(resp.status, 200);
    let r = body(&resp)["result"].clone();
    assert_eq!(r["isError"], true);
    let text = r["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("`mode`")
            && text.contains("\"semantic\", \"fts\", \"hybrid\"")
            && text.contains("crow_search_products"),
        "{text}"
    );
    assert!(r.get("structuredContent").is_none());
    assert!(backend.calls.borrow().is_empty(), "the backend must not be called");
    for (name, args, field) in [
        ("crow_search_interactions", json!({"limit": "5"}), "`limit`"),
        ("crow_search_interactions", json!({"sourceType": "email"}), "`sourceType`"),
        ("crow_search_patterns", json!({"period": "hourly"}), "`period`"),
        ("crow_get_product_ai_descriptions", json!({"productId": "../etc"}), "`productId`"),
        ("crow_search_org_context", json!({}), "`query`"),
        ("crow_get_interaction_summary", json!({"orgId": "other"}), "`orgId`"),
        ("crow_search_products", json!({"query": "x".repeat(513)}), "`query`"),
    ] {
        let r = body(&run(&call(name, args)))["result"].clone();
        assert_eq!(r["isError"], true, "{name}");
        assert!(r["content"][0]["text"].as_str().unwrap().contains(field), "{name}: {r}");
    }
}

#[test]
fn unknown_tools_and_malformed_call_params_are_invalid_params() {
    let resp = run(&call("crow_delete_everything", json!({})));
    assert_eq!(resp.status, 200);
    assert_eq!(error_code(&resp), -32602);
    let b = body(&resp);
    assert_eq!(b["error"]["message"], "Unknown tool: crow_delete_everything");
    assert_eq!(
        b["error"]["data"]["tools"].as_array().unwrap().len(),
        crow_tools::ToolKind::ALL.len()
    );
    for params in [
        json!({}),
        json!({"name": 5}),
        json!({"name": "crow_search_products", "arguments": [1]}),
        json!([1, 2]),
    ] {
        let resp = run(&legacy(
            json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":params}),
            None,
        ));
        assert_eq!(resp.status, 200, "{params}");
        assert_eq!(error_code(&resp), -32602, "{params}");
    }
}

#[test]
fn backend_failures_are_error_results_with_safe_messages() {
    for (err, expect) in [
        (BackendError::Upstream("status 502".into()), "the CROW API returned an error: status 502"),
        (BackendError::Unavailable("timed out".into()), "temporarily unavailable: timed out"),
        (BackendError::NotFound("product p_9".into()), "not found: product p_9"),
    ] {
        let backend = FakeBackend { fail: Some(err), ..FakeBackend::default() };
        let resp = run_with(
            &call("crow_get_product_ai_descriptions", json!({"productId": "p_9"})),
            &backend,
        );
        assert_eq!(resp.status, 200);
        let r = body(&resp)["result"].clone();
        assert_eq!(r["isError"], true);
        let text = r["content"][0]["text"].as_str().unwrap();
        assert!(
            text.starts_with("crow_get_product_ai_descriptions failed: ") && text.contains(expect),
            "{text}"
        );
        assert!(r.get("structuredContent").is_none());
    }
}

#[test]
fn backend_bodies_of_any_shape_render() {
    let backend = FakeBackend {
        body: Some(json!({"web": 3, "cctv": 2, "social": 1, "total": 6})),
        ..FakeBackend::default()
    };
    let r = body(&run_with(&call("crow_get_interaction_summary", json!({})), &backend))["result"]
        .clone();
    assert!(r["content"][0]["text"]
        .as_str()
        .unwrap()
        .starts_with("Interactions by channel: web 3, cctv 2, social 1 (total 6)."));
    assert_eq!(r["structuredContent"]["summary"]["total"], 6);
    let backend = FakeBackend { body: Some(Value::Null), ..FakeBackend::default() };
    let r = body(&run_with(&call("crow_search_patterns", json!({})), &backend))["result"].clone();
    assert_eq!(r["isError"], false);
    assert_eq!(r["structuredContent"]["count"], 0);
}

// ---------------------------------------------------------------------------------------------
// Modern generation (2026-07-28)

#[test]
fn server_discover_result() {
    let resp = run(&modern(1, "server/discover", json!({})));
    assert_eq!(resp.status, 200);
    assert_no_session(&resp);
    let b = body(&resp);
    assert_eq!(b["id"], 1);
    let r = &b["result"];
    assert_eq!(r["resultType"], "complete");
    assert_eq!(
        r["supportedVersions"],
        json!(["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
    );
    assert_eq!(r["capabilities"]["tools"], json!({"listChanged": false}));
    assert!(r["ttlMs"].as_u64().is_some());
    assert_eq!(r["cacheScope"], "public");
    assert!(r["instructions"].is_string());
    assert_eq!(r["_meta"][META_SERVER_INFO]["name"], "crow-mcp-server");
    assert_eq!(r["_meta"][META_SERVER_INFO]["version"], "1.0.0");
}

#[test]
fn modern_tools_list_carries_cache_hints() {
    let resp = run(&modern(2, "tools/list", json!({})));
    assert_eq!(resp.status, 200);
    let r = body(&resp)["result"].clone();
    assert_eq!(r["tools"].as_array().unwrap().len(), crow_tools::ToolKind::ALL.len());
    assert_eq!(r["resultType"], "complete");
    assert_eq!(r["ttlMs"], 300_000);
    assert_eq!(r["cacheScope"], "public");
    assert_eq!(r["_meta"][META_SERVER_INFO]["name"], "crow-mcp-server");
    // deterministic
    assert_eq!(body(&run(&modern(2, "tools/list", json!({}))))["result"], r);
    let resp = run(&modern(2, "tools/list", json!({"cursor": "next"})));
    assert_eq!(resp.status, 400);
    assert_eq!(error_code(&resp), -32602);
}

#[test]
fn modern_tools_call() {
    let backend = FakeBackend::default();
    let resp = run_with(
        &modern(
            3,
            "tools/call",
            json!({"name": "crow_search_org_context", "arguments": {"query": "return policy"}}),
        ),
        &backend,
    );
    assert_eq!(resp.status, 200);
    let r = body(&resp)["result"].clone();
    assert_eq!(r["resultType"], "complete");
    assert_eq!(r["isError"], false);
    assert_eq!(
        r["structuredContent"]["items"][0]["path"],
        "/api/v1/qna/search?query=return%20policy&limit=5"
    );
    assert_eq!(r["_meta"][META_SERVER_INFO]["name"], "crow-mcp-server");
    assert!(r.get("ttlMs").is_none());
    // bad arguments: still a result
    let resp = run(&modern(
        4,
        "tools/call",
        json!({"name": "crow_search_org_context", "arguments": {"limit": 99, "query": "x"}}),
    ));
    assert_eq!(resp.status, 200);
    let r = body(&resp)["result"].clone();
    assert_eq!(r["isError"], true);
    assert_eq!(r["resultType"], "complete");
    assert!(r["content"][0]["text"].as_str().unwrap().contains("`limit`"));
    // unknown tool: -32602 with HTTP 400
    let resp = run(&modern(5, "tools/call", json!({"name": "nope", "arguments": {}})));
    assert_eq!(resp.status, 400);
    assert_eq!(error_code(&resp), -32602);
    assert_eq!(body(&resp)["id"], 5);
}

#[test]
fn modern_unknown_and_removed_methods_are_404_method_not_found() {
    for m in ["ping", "resources/list", "logging/setLevel", "subscriptions/listen", "nope"] {
        let resp = run(&modern(6, m, json!({})));
        assert_eq!(resp.status, 404, "{m}");
        assert_eq!(error_code(&resp), -32601, "{m}");
        assert_eq!(body(&resp)["id"], 6);
    }
}

#[test]
fn modern_unsupported_version_is_400_with_supported_list() {
    let mut req = modern(7, "tools/list", json!({}));
    let mut msg: Value = serde_json::from_slice(&req.body).unwrap();
    msg["params"]["_meta"][META_PROTOCOL_VERSION] = json!("2099-01-01");
    req.body = msg.to_string().into_bytes();
    let req = replace_header(req, "mcp-protocol-version", "2099-01-01");
    let resp = run(&req);
    assert_eq!(resp.status, 400);
    let b = body(&resp);
    assert_eq!(b["error"]["code"], -32022);
    assert_eq!(
        b["error"]["data"],
        json!({"supported": SUPPORTED_VERSIONS, "requested": "2099-01-01"})
    );
    assert_eq!(b["id"], 7);
}

#[test]
fn modern_header_rules_give_400_header_mismatch() {
    let base = || {
        modern(8, "tools/call", json!({"name": "crow_get_interaction_summary", "arguments": {}}))
    };
    let cases: Vec<(&str, HttpRequest)> = vec![
        ("missing MCP-Protocol-Version", without_header(base(), "mcp-protocol-version")),
        (
            "other MCP-Protocol-Version",
            replace_header(base(), "mcp-protocol-version", "2025-11-25"),
        ),
        ("missing Mcp-Method", without_header(base(), "mcp-method")),
        ("wrong Mcp-Method", replace_header(base(), "mcp-method", "tools/list")),
        ("method case differs", replace_header(base(), "mcp-method", "Tools/Call")),
        ("missing Mcp-Name", without_header(base(), "mcp-name")),
        ("wrong Mcp-Name", replace_header(base(), "mcp-name", "crow_search_products")),
        ("bad base64 Mcp-Name", replace_header(base(), "mcp-name", "=?base64?%%%?=")),
        ("control character", replace_header(base(), "mcp-name", "crow_get\ninteraction_summary")),
    ];
    for (what, req) in cases {
        let resp = run(&req);
        assert_eq!(resp.status, 400, "{what}");
        assert_eq!(error_code(&resp), -32020, "{what}");
        assert!(
            body(&resp)["error"]["message"].as_str().unwrap().starts_with("Header mismatch"),
            "{what}"
        );
        assert_eq!(body(&resp)["id"], 8, "{what}");
    }
    // header names are case-insensitive and a base64 sentinel Mcp-Name is decoded before comparing
    let req =
        replace_header(base(), "MCP-NAME", "=?base64?Y3Jvd19nZXRfaW50ZXJhY3Rpb25fc3VtbWFyeQ==?=");
    assert_eq!(run(&req).status, 200);
    // Mcp-Name is not required for methods without a name
    assert_eq!(run(&without_header(modern(9, "tools/list", json!({})), "mcp-name")).status, 200);
}

#[test]
fn modern_missing_envelope_fields_are_400_invalid_params() {
    // header claims 2026-07-28 but the body has no _meta
    let req = legacy(json!({"jsonrpc":"2.0","id":11,"method":"tools/list"}), Some(MODERN_VERSION))
        .header("mcp-method", "tools/list");
    let resp = run(&req);
    assert_eq!(resp.status, 400);
    assert_eq!(error_code(&resp), -32602);
    // server/discover without an envelope
    let resp = run(&legacy(json!({"jsonrpc":"2.0","id":12,"method":"server/discover"}), None));
    assert_eq!(resp.status, 400);
    assert_eq!(error_code(&resp), -32602);
    // clientCapabilities missing
    let mut req = modern(13, "tools/list", json!({}));
    let mut msg: Value = serde_json::from_slice(&req.body).unwrap();
    msg["params"]["_meta"].as_object_mut().unwrap().remove(META_CLIENT_CAPABILITIES);
    req.body = msg.to_string().into_bytes();
    let resp = run(&req);
    assert_eq!(resp.status, 400);
    assert_eq!(error_code(&resp), -32602);
    assert!(body(&resp)["error"]["message"].as_str().unwrap().contains("clientCapabilities"));
    // protocol version of the wrong type
    let mut req = modern(14, "tools/list", json!({}));
    let mut msg: Value = serde_json::from_slice(&req.body).unwrap();
    msg["params"]["_meta"][META_PROTOCOL_VERSION] = json!(2026);
    req.body = msg.to_string().into_bytes();
    assert_eq!(error_code(&run(&req)), -32602);
}

#[test]
fn classification_follows_the_envelope() {
    use crow_common::jsonrpc::{Id, Request};
    let req = |method: &str, params: Option<Value>| Request {
        id: Id::Num(1.into()),
        method: method.into(),
        params,
    };
    assert_eq!(classify(&req("tools/list", None), None), Era::Legacy);
    assert_eq!(classify(&req("tools/list", None), Some("2025-11-25")), Era::Legacy);
    assert_eq!(classify(&req("tools/list", None), Some(MODERN_VERSION)), Era::Modern);
    assert_eq!(classify(&req("tools/list", Some(json!({"_meta": envelope()}))), None), Era::Modern);
    assert_eq!(
        classify(&req("initialize", Some(json!({"_meta": envelope()}))), Some(MODERN_VERSION)),
        Era::Legacy
    );
    assert_eq!(classify(&req("server/discover", None), None), Era::Modern);
}

// ---------------------------------------------------------------------------------------------
// Whole conversations as the official Python client (mcp 2.3.0) has them

#[test]
fn python_client_auto_mode_goes_modern() {
    // Exactly the probe from the capture: discover with the envelope and both headers.
    let probe = raw_post(
        r#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"mcp","version":"0.1.0"},"io.modelcontextprotocol/clientCapabilities":{}}}}"#,
    )
    .header("mcp-protocol-version", "2026-07-28")
    .header("mcp-method", "server/discover");
    let resp = run(&probe);
    assert_eq!(resp.status, 200);
    assert!(body(&resp)["result"]["supportedVersions"]
        .as_array()
        .unwrap()
        .contains(&json!("2026-07-28")));
    let list = run(&modern(2, "tools/list", json!({})));
    assert_eq!(list.status, 200);
    let called = run(&modern(
        3,
        "tools/call",
        json!({"name": "crow_search_products", "arguments": {"query": "hi"}}),
    ));
    assert_eq!(called.status, 200);
    assert_eq!(body(&called)["result"]["isError"], false);
    for r in [resp, list, called] {
        assert_no_session(&r);
        assert_eq!(r.get("content-type"), Some("application/json"));
    }
}

#[test]
fn python_client_legacy_mode_works_statelessly() {
    let steps = [
        legacy(
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcp","version":"0.1.0"}}}),
            None,
        ),
        legacy(json!({"jsonrpc":"2.0","method":"notifications/initialized"}), Some("2025-11-25")),
        legacy(json!({"jsonrpc":"2.0","id":2,"method":"tools/list"}), Some("2025-11-25")),
        legacy(
            json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"crow_search_interactions","arguments":{"query":"late delivery","sourceType":"social"}}}),
            Some("2025-11-25"),
        ),
        legacy(json!({"jsonrpc":"2.0","id":4,"method":"ping"}), Some("2025-11-25")),
    ];
    let expected = [200, 202, 200, 200, 200];
    let backend = FakeBackend::default();
    for (req, status) in steps.iter().zip(expected) {
        let resp = run_with(req, &backend);
        assert_eq!(resp.status, status, "{:?}", String::from_utf8_lossy(&req.body));
        assert_no_session(&resp);
        if status == 200 {
            assert!(body(&resp).get("result").is_some(), "{}", body(&resp));
        }
    }
    let calls = backend.calls.borrow();
    assert_eq!(
        calls[0].rest_request("org_test").path_and_query,
        "/api/v1/interactions/organization/org_test/search?query=late%20delivery&sourceType=social&limit=20&page=1"
    );
}

#[test]
fn a_legacy_only_fallback_is_still_possible_after_a_failed_discover() {
    // A client that sends a broken discover gets a modern error (400), then initialize still works.
    let bad = without_header(modern(1, "server/discover", json!({})), "mcp-method");
    assert_eq!(run(&bad).status, 400);
    assert_eq!(body(&initialize(json!("2025-11-25")))["result"]["protocolVersion"], "2025-11-25");
}
