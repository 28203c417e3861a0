//! The MCP server core (`crow_mcp_core::Server`) end to end on arbitrary HTTP requests: method,
//! headers (Origin, Content-Type, Accept, MCP-Protocol-Version, Mcp-Method, Mcp-Name) and a body
//! that is either raw bytes or a JSON-RPC message built from the methods and `_meta` envelope
//! the server knows (initialize, ping, server/discover, tools/list, tools/call with arbitrary
//! arguments), with a fake backend that answers arbitrary JSON or fails.
//!
//! Properties:
//! - `preflight`, `handle_post` and `unauthorized` never panic, and the status is one the
//!   server documents (never 5xx);
//! - a non-empty body is JSON; a JSON-RPC answer is a valid 2.0 response, and once a request
//!   got past the transport checks, the answer carries the request's id;
//! - no response ever carries `Mcp-Session-Id`; CORS headers appear only for allowed origins;
//! - a `tools/call` result has text content and a boolean `isError`.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use crow_common::jsonrpc::{self, Incoming};
use crow_fuzz::{block_on, same_json, value, Vocab};
use crow_mcp_core::{
    BackendError, Config, HttpRequest, HttpResponse, Server, ToolBackend, META_CLIENT_CAPABILITIES,
    META_PROTOCOL_VERSION, SUPPORTED_VERSIONS,
};
use crow_tools::{ToolCall, ToolKind};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

const ALLOWED_ORIGIN: &str = "https://app.crowai.dev";
const METHODS: &[&str] = &[
    "initialize",
    "ping",
    "server/discover",
    "tools/list",
    "tools/call",
    "resources/read",
    "prompts/get",
    "subscriptions/listen",
    "notifications/initialized",
    "nope",
];
const VOCAB: Vocab = Vocab {
    keys: &[
        "query",
        "mode",
        "limit",
        "page",
        "sourceType",
        "period",
        "productId",
        "cursor",
        "items",
        "data",
        "total",
    ],
    strings: &["hybrid", "fts", "web", "daily", "red shoes", "prod_1", "2026-07-28", "2025-06-18"],
};

#[derive(Debug)]
struct Input {
    http_method: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    backend: Result<Value, u8>,
    auth_failure: bool,
}

fn header_value(
    u: &mut Unstructured<'_>,
    name: &str,
    rpc_method: &str,
    tool: &str,
) -> arbitrary::Result<String> {
    if u.ratio(1, 5)? {
        return String::arbitrary(u);
    }
    Ok(match name {
        "Origin" => u
            .choose(&[ALLOWED_ORIGIN, "https://APP.crowai.dev/", "https://evil.example", "null"])?
            .to_string(),
        "Content-Type" => u
            .choose(&[
                "application/json",
                "application/json; charset=utf-8",
                "text/plain",
                "application/x+json",
            ])?
            .to_string(),
        "Accept" => u
            .choose(&[
                "application/json, text/event-stream",
                "text/event-stream",
                "*/*",
                "text/html",
                "application/json;q=0",
                "",
            ])?
            .to_string(),
        "MCP-Protocol-Version" => u.choose(&SUPPORTED_VERSIONS)?.to_string(),
        "Mcp-Method" => rpc_method.to_string(),
        "Mcp-Name" => {
            if u.ratio(1, 3)? {
                use base64::Engine as _;
                format!("=?base64?{}?=", base64::engine::general_purpose::STANDARD.encode(tool))
            } else {
                tool.to_string()
            }
        }
        _ => String::arbitrary(u)?,
    })
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let http_method = if u.ratio(1, 10)? {
            String::arbitrary(u)?
        } else {
            u.choose(&["POST", "POST", "POST", "post", "GET", "OPTIONS", "DELETE"])?.to_string()
        };
        let rpc_method = u.choose(METHODS)?.to_string();
        let tool = if u.ratio(1, 8)? {
            String::arbitrary(u)?
        } else {
            u.choose(&ToolKind::ALL)?.name().to_string()
        };
        let body = if u.ratio(1, 6)? {
            Vec::<u8>::arbitrary(u)?
        } else {
            let mut params = Map::new();
            if u.ratio(2, 3)? {
                let mut meta = Map::new();
                if u.ratio(3, 4)? {
                    let v = if u.ratio(1, 5)? {
                        value(u, 3, VOCAB)?
                    } else {
                        json!(u.choose(&SUPPORTED_VERSIONS)?)
                    };
                    meta.insert(META_PROTOCOL_VERSION.into(), v);
                }
                if u.ratio(3, 4)? {
                    meta.insert(
                        META_CLIENT_CAPABILITIES.into(),
                        if u.ratio(1, 5)? { value(u, 3, VOCAB)? } else { json!({}) },
                    );
                }
                params.insert("_meta".into(), Value::Object(meta));
            }
            match rpc_method.as_str() {
                "initialize" => {
                    let v = if u.ratio(1, 5)? {
                        value(u, 3, VOCAB)?
                    } else {
                        json!(u.choose(&SUPPORTED_VERSIONS)?)
                    };
                    params.insert("protocolVersion".into(), v);
                }
                "tools/call" | "prompts/get" => {
                    params.insert("name".into(), json!(tool));
                    if u.ratio(3, 4)? {
                        let args = if u.ratio(1, 6)? {
                            value(u, 1, VOCAB)?
                        } else {
                            Value::Object(crow_fuzz::object(u, 1, VOCAB)?)
                        };
                        params.insert("arguments".into(), args);
                    }
                }
                "tools/list" if u.ratio(1, 4)? => {
                    params.insert("cursor".into(), value(u, 3, VOCAB)?);
                }
                _ => {}
            }
            let mut msg = Map::new();
            if u.ratio(9, 10)? {
                msg.insert("jsonrpc".into(), json!("2.0"));
            }
            if u.ratio(4, 5)? {
                let id = match u.int_in_range(0..=3)? {
                    0 => json!(u.int_in_range(0..=1_000_000)?),
                    1 => json!(String::arbitrary(u)?),
                    2 => value(u, 4, VOCAB)?,
                    _ => json!(i64::arbitrary(u)?),
                };
                msg.insert("id".into(), id);
            }
            msg.insert("method".into(), json!(rpc_method));
            if u.ratio(7, 8)? {
                msg.insert(
                    "params".into(),
                    if u.ratio(1, 10)? { value(u, 2, VOCAB)? } else { Value::Object(params) },
                );
            }
            serde_json::to_vec(&Value::Object(msg)).expect("serialises")
        };
        let mut headers = Vec::new();
        for _ in 0..u.int_in_range(0..=7)? {
            let name = if u.ratio(1, 8)? {
                String::arbitrary(u)?
            } else {
                let n = *u.choose(&[
                    "Origin",
                    "Content-Type",
                    "Accept",
                    "MCP-Protocol-Version",
                    "Mcp-Method",
                    "Mcp-Name",
                ])?;
                if u.ratio(1, 4)? {
                    n.to_ascii_lowercase()
                } else {
                    n.to_string()
                }
            };
            let v = header_value(u, &name, &rpc_method, &tool)?;
            headers.push((name, v));
        }
        let backend = if u.ratio(4, 5)? { Ok(value(u, 0, VOCAB)?) } else { Err(u8::arbitrary(u)?) };
        Ok(Input { http_method, headers, body, backend, auth_failure: u.ratio(1, 10)? })
    }
}

struct Fake(Result<Value, u8>);

impl ToolBackend for Fake {
    async fn call(&self, _call: &ToolCall) -> Result<Value, BackendError> {
        match &self.0 {
            Ok(v) => Ok(v.clone()),
            Err(n) => Err(match n % 3 {
                0 => BackendError::Upstream("500".into()),
                1 => BackendError::Unavailable("timeout".into()),
                _ => BackendError::NotFound("product".into()),
            }),
        }
    }
}

fuzz_target!(|input: Input| check(input));

fn check(input: Input) {
    let server = Server::new(Config {
        allowed_origins: vec![ALLOWED_ORIGIN.to_string()],
        ..Config::default()
    });
    let req = HttpRequest {
        method: input.http_method.clone(),
        headers: input.headers.clone(),
        body: input.body.clone(),
    };
    let origin_ok = req.get("origin").map(|o| server.origin_allowed(o));

    if let Some(resp) = server.preflight(&req) {
        check_response(&req, &resp, origin_ok);
        assert!(!req.method.eq_ignore_ascii_case("POST") || origin_ok == Some(false));
        return;
    }
    assert!(req.method.eq_ignore_ascii_case("POST"));
    if input.auth_failure {
        let resp = server.unauthorized(&req, "Missing API key");
        assert_eq!(resp.status, 401);
        check_response(&req, &resp, origin_ok);
        return;
    }
    let resp = block_on(server.handle_post(&req, &Fake(input.backend)));
    check_response(&req, &resp, origin_ok);

    // A request that got past the transport checks is answered with its own id.
    if let Incoming::Request(r) = jsonrpc::parse(&req.body) {
        if matches!(resp.status, 200 | 400 | 404) {
            let body = resp.json_body().expect("JSON answer");
            let sent = serde_json::to_value(&r.id).expect("id serialises");
            assert!(
                body.get("id").is_some_and(|id| same_json(id, &sent)),
                "id {sent} answered with {body}"
            );
            if r.method == "tools/call" && resp.status == 200 {
                if let Some(result) = body.get("result") {
                    assert!(result["content"][0]["text"].is_string(), "{result}");
                    assert!(result["isError"].is_boolean());
                }
            }
        }
    }
}

fn check_response(req: &HttpRequest, resp: &HttpResponse, origin_ok: Option<bool>) {
    assert!(
        matches!(resp.status, 200 | 202 | 204 | 400 | 401 | 403 | 404 | 405 | 406 | 413 | 415),
        "status {}",
        resp.status
    );
    assert!(resp.get("mcp-session-id").is_none());
    match origin_ok {
        Some(true) => assert!(resp.get("access-control-allow-origin").is_some()),
        _ => assert!(resp.get("access-control-allow-origin").is_none()),
    }
    if origin_ok == Some(false) {
        assert_eq!(resp.status, 403);
    }
    if resp.body.is_empty() {
        assert!(matches!(resp.status, 202 | 204), "empty {} answer", resp.status);
        return;
    }
    let body: Value = serde_json::from_slice(&resp.body).expect("a non-empty body is JSON");
    if resp.get("content-type").is_none() {
        panic!("JSON without Content-Type");
    }
    if body.get("jsonrpc").is_some() {
        let o = body.as_object().expect("object");
        assert_eq!(o["jsonrpc"], "2.0");
        assert!(o.contains_key("id"));
        assert!(o.contains_key("result") ^ o.contains_key("error"), "{body}");
        if let Some(e) = o.get("error") {
            assert!(e["code"].is_i64() && e["message"].is_string());
        }
    } else {
        assert_eq!(resp.status, 200, "non-JSON-RPC body on {}", resp.status);
        assert!(req.method.eq_ignore_ascii_case("GET"));
    }
}
