//! The MCP endpoint: transport rules, era routing (legacy handshake vs 2026-07-28 per-request
//! metadata), and the `initialize` / `ping` / `server/discover` / `tools/*` methods.

use base64::Engine as _;
use crow_common::jsonrpc::{
    self, Id, Incoming, Request, RpcError, INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST,
    METHOD_NOT_FOUND,
};
use crow_tools::{ToolError, ToolKind};
use serde_json::{json, Map, Value};

use crate::backend::ToolBackend;
use crate::http::{
    accepts_json_or_sse, is_json_content_type, wants_event_stream, HttpRequest, HttpResponse,
};

/// The modern, stateless protocol revision (per-request `_meta`, no `initialize`).
pub const MODERN_VERSION: &str = "2026-07-28";
/// Handshake-based revisions served through `initialize`, newest first.
pub const LEGACY_VERSIONS: [&str; 3] = ["2025-11-25", "2025-06-18", "2025-03-26"];
/// Every revision this server speaks, newest first (`server/discover` and `-32022` list these).
pub const SUPPORTED_VERSIONS: [&str; 4] =
    [MODERN_VERSION, "2025-11-25", "2025-06-18", "2025-03-26"];

/// `_meta` keys of the 2026-07-28 request envelope and results.
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const META_CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";

/// Implementation-defined JSON-RPC code for transport refusals (405, 406, 415), as the reference
/// SDKs use it.
pub const SERVER_ERROR: i64 = -32000;
/// 2026-07-28: HTTP headers missing, malformed, or not matching the body.
pub const HEADER_MISMATCH: i64 = -32020;
/// 2026-07-28: a needed client capability was not declared (never needed by these tools).
pub const MISSING_REQUIRED_CLIENT_CAPABILITY: i64 = -32021;
/// 2026-07-28: the requested protocol version is not supported.
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// Headers a browser may send cross-origin (CORS preflight answer).
pub const CORS_ALLOW_HEADERS: &str =
    "Content-Type, Accept, Authorization, X-API-Key, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Mcp-Session-Id, Last-Event-ID";

const DEFAULT_INSTRUCTIONS: &str = "Read-only retail analytics for one CROW organization (the one your API key belongs to). \
Use crow_get_interaction_summary for interaction counts per channel, crow_search_interactions and crow_search_patterns \
for customer behavior, crow_search_products to find products (and the ids crow_get_product_ai_descriptions needs), \
and crow_search_org_context for the organization's own documents and policies.";

/// Server settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Browser origins allowed to call the endpoint, e.g. `https://app.crowai.dev` (compared
    /// case-insensitively, trailing `/` ignored). A request without `Origin` (every non-browser
    /// client) is always allowed; one with an `Origin` not listed gets 403. `"*"` allows any
    /// origin (not recommended).
    pub allowed_origins: Vec<String>,
    pub server_name: String,
    pub server_title: String,
    pub server_version: String,
    /// Guidance for the model, returned by `initialize` and `server/discover`.
    pub instructions: Option<String>,
    /// 2026-07-28 cache hint (`ttlMs`) for `server/discover` and `tools/list`.
    pub list_ttl_ms: u64,
    /// Largest POST body accepted (413 above).
    pub max_body_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            allowed_origins: Vec::new(),
            server_name: crow_common::MCP_SERVICE.to_string(),
            server_title: "CROW Analytics".to_string(),
            server_version: "1.0.0".to_string(),
            instructions: Some(DEFAULT_INSTRUCTIONS.to_string()),
            list_ttl_ms: 300_000,
            max_body_bytes: 256 * 1024,
        }
    }
}

/// Which protocol generation a message is served under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// 2025-03-26 .. 2025-11-25: `initialize` handshake (served without sessions).
    Legacy,
    /// 2026-07-28: per-request `_meta`, mirrored headers, `resultType` and cache hints.
    Modern,
}

/// The MCP server core. Cheap to build; holds no per-client state.
#[derive(Debug, Clone)]
pub struct Server {
    config: Config,
}

impl Server {
    pub fn new(config: Config) -> Self {
        Server { config }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Everything decided before authentication. `None` means "a POST: authenticate it, then call
    /// [`Server::handle_post`]". Otherwise the answer: 403 for a forbidden `Origin`, 204 for
    /// `OPTIONS`, 405 (`Allow: POST`) for a `GET` asking for an event stream and for `DELETE`,
    /// 200 server info for any other `GET`, 405 for other methods.
    pub fn preflight(&self, req: &HttpRequest) -> Option<HttpResponse> {
        if let Some(forbidden) = self.check_origin(req) {
            return Some(forbidden);
        }
        let resp = match req.method.to_ascii_uppercase().as_str() {
            "POST" => return None,
            "OPTIONS" => HttpResponse::empty(204)
                .with_header("Allow", "GET, POST, OPTIONS")
                .with_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
                .with_header("Access-Control-Allow-Headers", CORS_ALLOW_HEADERS)
                .with_header("Access-Control-Max-Age", "86400"),
            "GET" if wants_event_stream(req.get_all("accept").as_deref()) => method_not_allowed(
                "POST",
                "Method not allowed: this server does not offer a GET event stream; POST JSON-RPC messages instead.",
            ),
            "GET" => HttpResponse::json(200, &self.server_info()),
            "DELETE" => method_not_allowed("POST", "Method not allowed: this server keeps no sessions to delete."),
            _ => method_not_allowed("GET, POST, OPTIONS", "Method not allowed."),
        };
        Some(self.finish(req, resp))
    }

    /// Serves an authenticated POST: one JSON-RPC message, answered with JSON (or 202 for
    /// notifications and client responses). Never mints or echoes `Mcp-Session-Id`.
    pub async fn handle_post<B: ToolBackend>(
        &self,
        req: &HttpRequest,
        backend: &B,
    ) -> HttpResponse {
        if !req.method.eq_ignore_ascii_case("POST") {
            return match self.preflight(req) {
                Some(resp) => resp,
                None => self.finish(req, method_not_allowed("POST", "Method not allowed.")),
            };
        }
        if let Some(forbidden) = self.check_origin(req) {
            return forbidden;
        }
        let resp = self.post(req, backend).await;
        self.finish(req, resp)
    }

    /// A 401 for a POST whose credential was missing or refused: JSON-RPC error `-32600`, the
    /// request id when the body has one, and a `WWW-Authenticate: Bearer` challenge without
    /// `resource_metadata` (this server does not run OAuth).
    pub fn unauthorized(&self, req: &HttpRequest, message: &str) -> HttpResponse {
        let id = serde_json::from_slice::<Value>(&req.body)
            .ok()
            .and_then(|v| match v.get("id") {
                Some(Value::String(s)) => Some(Id::Str(s.clone())),
                Some(Value::Number(n)) => Some(Id::Num(n.clone())),
                _ => None,
            })
            .unwrap_or(Id::Null);
        let resp = rpc_error(401, &id, &RpcError::new(INVALID_REQUEST, message))
            .with_header("WWW-Authenticate", "Bearer realm=\"mcp\"");
        self.finish(req, resp)
    }

    /// CORS headers for a response to `req` (empty unless it carries an allowed `Origin`).
    pub fn cors_headers(&self, req: &HttpRequest) -> Vec<(String, String)> {
        match req.get("origin") {
            Some(origin) if self.origin_allowed(origin) => vec![
                ("Access-Control-Allow-Origin".into(), origin.trim().to_string()),
                (
                    "Access-Control-Expose-Headers".into(),
                    "WWW-Authenticate, Allow, X-Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, RateLimit, RateLimit-Policy".into(),
                ),
                ("Vary".into(), "Origin".into()),
            ],
            _ => Vec::new(),
        }
    }

    /// Whether a browser `Origin` may call the endpoint.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        let norm = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
        let origin = norm(origin);
        self.config.allowed_origins.iter().any(|a| a.trim() == "*" || norm(a) == origin)
    }

    /// The JSON answer of a plain `GET` on the endpoint: who we are and the tool listing.
    pub fn server_info(&self) -> Value {
        json!({
            "name": self.config.server_name,
            "title": self.config.server_title,
            "version": self.config.server_version,
            "description": "CROW retail analytics over the Model Context Protocol.",
            "transport": "streamable-http",
            "usage": "POST one JSON-RPC 2.0 message per request to this URL with Content-Type: application/json.",
            "authentication": "Authorization: Bearer <API key> or X-API-Key: <API key>",
            "protocolVersions": SUPPORTED_VERSIONS,
            "sessions": false,
            "capabilities": { "tools": { "listChanged": false } },
            "tools": crow_tools::definitions(),
        })
    }

    fn implementation(&self) -> Value {
        json!({
            "name": self.config.server_name,
            "title": self.config.server_title,
            "version": self.config.server_version,
        })
    }

    fn check_origin(&self, req: &HttpRequest) -> Option<HttpResponse> {
        let origin = req.get("origin")?;
        if self.origin_allowed(origin) {
            return None;
        }
        Some(rpc_error(403, &Id::Null, &RpcError::new(INVALID_REQUEST, "Forbidden origin")))
    }

    fn finish(&self, req: &HttpRequest, mut resp: HttpResponse) -> HttpResponse {
        resp.headers.extend(self.cors_headers(req));
        resp
    }

    async fn post<B: ToolBackend>(&self, req: &HttpRequest, backend: &B) -> HttpResponse {
        if let Some(ct) = req.get("content-type") {
            if !is_json_content_type(ct) {
                return rpc_error(
                    415,
                    &Id::Null,
                    &RpcError::new(
                        SERVER_ERROR,
                        "Unsupported Media Type: Content-Type must be application/json",
                    ),
                );
            }
        }
        if !accepts_json_or_sse(req.get_all("accept").as_deref()) {
            return rpc_error(
                406,
                &Id::Null,
                &RpcError::new(
                    SERVER_ERROR,
                    "Not Acceptable: Accept must allow application/json and text/event-stream",
                ),
            );
        }
        if req.body.len() > self.config.max_body_bytes {
            return rpc_error(
                413,
                &Id::Null,
                &RpcError::new(
                    INVALID_REQUEST,
                    format!("Request body too large: at most {} bytes", self.config.max_body_bytes),
                ),
            );
        }
        let header_version = req.get("mcp-protocol-version").map(str::trim);
        match jsonrpc::parse(&req.body) {
            Incoming::Invalid { id, error } => rpc_error(400, &id, &error),
            Incoming::Batch(_) => rpc_error(
                400,
                &Id::Null,
                &RpcError::new(
                    INVALID_REQUEST,
                    "Batch requests are not supported: send one JSON-RPC message per POST",
                ),
            ),
            Incoming::Response { .. } if header_version == Some(MODERN_VERSION) => rpc_error(
                400,
                &Id::Null,
                &RpcError::new(
                    INVALID_REQUEST,
                    "Clients must not send JSON-RPC responses under protocol 2026-07-28",
                ),
            ),
            // Notifications need no answer; 2026-07-28 defines no header rules for them.
            Incoming::Response { .. } | Incoming::Notification(_) => match header_version {
                Some(v) if v != MODERN_VERSION && !LEGACY_VERSIONS.contains(&v) => {
                    unsupported_header(&Id::Null, v)
                }
                _ => HttpResponse::empty(202),
            },
            Incoming::Request(r) => match classify(&r, header_version) {
                Era::Modern => self.modern(req, r, backend).await,
                Era::Legacy => self.legacy(r, header_version, backend).await,
            },
        }
    }

    async fn legacy<B: ToolBackend>(
        &self,
        r: Request,
        header_version: Option<&str>,
        backend: &B,
    ) -> HttpResponse {
        if r.method != "initialize" {
            if let Some(v) = header_version.filter(|v| !LEGACY_VERSIONS.contains(v)) {
                return unsupported_header(&r.id, v);
            }
        }
        let result = match r.method.as_str() {
            "initialize" => self.initialize(&r),
            "ping" => Ok(json!({})),
            "tools/list" => self.tools_list(&r),
            "tools/call" => self.tools_call(&r, backend).await,
            other => Err(method_not_found(other)),
        };
        // Legacy lane: JSON-RPC errors travel with HTTP 200.
        match result {
            Ok(v) => HttpResponse::json(200, &jsonrpc::success(&r.id, v)),
            Err(e) => rpc_error(200, &r.id, &e),
        }
    }

    async fn modern<B: ToolBackend>(
        &self,
        req: &HttpRequest,
        r: Request,
        backend: &B,
    ) -> HttpResponse {
        let result = match self.check_modern(req, &r) {
            Err(e) => Err(e),
            Ok(()) => match r.method.as_str() {
                "server/discover" => Ok(self.discover()),
                "tools/list" => self.tools_list(&r).map(|mut v| {
                    v["ttlMs"] = json!(self.config.list_ttl_ms);
                    v["cacheScope"] = json!("public");
                    v
                }),
                "tools/call" => self.tools_call(&r, backend).await,
                other => Err(method_not_found(other)),
            },
        };
        match result {
            Ok(mut v) => {
                if let Value::Object(m) = &mut v {
                    m.insert("resultType".into(), json!("complete"));
                    let mut meta = match m.remove("_meta") {
                        Some(Value::Object(meta)) => meta,
                        _ => Map::new(),
                    };
                    meta.insert(META_SERVER_INFO.into(), self.implementation());
                    m.insert("_meta".into(), Value::Object(meta));
                }
                HttpResponse::json(200, &jsonrpc::success(&r.id, v))
            }
            Err(e) => rpc_error(modern_status(e.code), &r.id, &e),
        }
    }

    /// 2026-07-28 envelope and header validation, in this order: `_meta` version present
    /// (-32602), version supported (-32022), `MCP-Protocol-Version` header equal (-32020),
    /// `clientCapabilities` present (-32602), `Mcp-Method` equal (-32020), `Mcp-Name` equal
    /// for `tools/call`, `resources/read`, `prompts/get` (-32020).
    fn check_modern(&self, req: &HttpRequest, r: &Request) -> Result<(), RpcError> {
        let params = r.params_object()?;
        let meta = match params.get("_meta") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        let version = match meta.get(META_PROTOCOL_VERSION) {
            Some(Value::String(v)) => v.as_str(),
            Some(_) => return Err(RpcError::invalid_params(format!("params._meta[\"{META_PROTOCOL_VERSION}\"] must be a string"))),
            None => {
                return Err(RpcError::invalid_params(format!(
                    "Missing required params._meta[\"{META_PROTOCOL_VERSION}\"]: 2026-07-28 requests declare their protocol version in _meta (or use initialize for 2025-11-25 and earlier)"
                )))
            }
        };
        if version != MODERN_VERSION {
            return Err(RpcError::new(
                UNSUPPORTED_PROTOCOL_VERSION,
                "Unsupported protocol version",
            )
            .with_data(json!({ "supported": SUPPORTED_VERSIONS, "requested": version })));
        }
        let header = |name: &str| -> Result<Option<String>, RpcError> {
            match req.get(name) {
                None => Ok(None),
                Some(v) if header_value_ok(v) => Ok(Some(v.trim().to_string())),
                Some(_) => Err(RpcError::new(
                    HEADER_MISMATCH,
                    format!("Header mismatch: {name} header contains invalid characters"),
                )),
            }
        };
        let expect = |name: &str, got: Option<String>, body: &str| -> Result<(), RpcError> {
            match got {
                None => Err(RpcError::new(
                    HEADER_MISMATCH,
                    format!("Header mismatch: required {name} header is missing"),
                )),
                Some(v) if v == body => Ok(()),
                Some(v) => Err(RpcError::new(
                    HEADER_MISMATCH,
                    format!(
                        "Header mismatch: {name} header value '{}' does not match body value '{}'",
                        clip(&v, 100),
                        clip(body, 100)
                    ),
                )),
            }
        };
        expect("MCP-Protocol-Version", header("mcp-protocol-version")?, version)?;
        if !matches!(meta.get(META_CLIENT_CAPABILITIES), Some(Value::Object(_))) {
            return Err(RpcError::invalid_params(format!(
                "Missing required params._meta[\"{META_CLIENT_CAPABILITIES}\"] (an object; {{}} declares no capabilities)"
            )));
        }
        expect("Mcp-Method", header("mcp-method")?, &r.method)?;
        let name_field = match r.method.as_str() {
            "tools/call" | "prompts/get" => Some("name"),
            "resources/read" => Some("uri"),
            _ => None,
        };
        if let Some(Value::String(body_name)) = name_field.and_then(|f| params.get(f)) {
            let got = match header("mcp-name")? {
                Some(v) => Some(decode_sentinel(&v).ok_or_else(|| {
                    RpcError::new(
                        HEADER_MISMATCH,
                        "Header mismatch: Mcp-Name header is not valid =?base64?…?= encoded UTF-8",
                    )
                })?),
                None => None,
            };
            expect("Mcp-Name", got, body_name)?;
        }
        Ok(())
    }

    fn initialize(&self, r: &Request) -> Result<Value, RpcError> {
        let params = r.params_object()?;
        let requested = match params.get("protocolVersion") {
            Some(Value::String(v)) => v.as_str(),
            _ => {
                return Err(RpcError::invalid_params(
                    "initialize requires params.protocolVersion (a string)",
                ))
            }
        };
        let negotiated =
            if LEGACY_VERSIONS.contains(&requested) { requested } else { LEGACY_VERSIONS[0] };
        let mut result = json!({
            "protocolVersion": negotiated,
            "capabilities": { "tools": { "listChanged": false } },
            "serverInfo": self.implementation(),
        });
        if let Some(i) = &self.config.instructions {
            result["instructions"] = json!(i);
        }
        Ok(result)
    }

    fn discover(&self) -> Value {
        let mut result = json!({
            "supportedVersions": SUPPORTED_VERSIONS,
            "capabilities": { "tools": { "listChanged": false } },
            "ttlMs": self.config.list_ttl_ms,
            "cacheScope": "public",
        });
        if let Some(i) = &self.config.instructions {
            result["instructions"] = json!(i);
        }
        result
    }

    fn tools_list(&self, r: &Request) -> Result<Value, RpcError> {
        let params = r.params_object()?;
        match params.get("cursor") {
            None | Some(Value::Null) => Ok(json!({ "tools": crow_tools::definitions() })),
            // All the tools fit on one page, so no cursor is ever issued or valid.
            Some(_) => Err(RpcError::invalid_params(
                "Invalid cursor: this server returns all tools on a single page",
            )),
        }
    }

    async fn tools_call<B: ToolBackend>(
        &self,
        r: &Request,
        backend: &B,
    ) -> Result<Value, RpcError> {
        let params = r.params_object()?;
        let name = match params.get("name") {
            Some(Value::String(n)) => n.as_str(),
            _ => {
                return Err(RpcError::invalid_params("tools/call requires params.name (a string)"))
            }
        };
        let arguments = match params.get("arguments") {
            None | Some(Value::Null) => Value::Null,
            Some(v @ Value::Object(_)) => v.clone(),
            Some(_) => {
                return Err(RpcError::invalid_params(
                    "tools/call params.arguments must be an object",
                ))
            }
        };
        let call = match crow_tools::validate(name, &arguments) {
            Ok(call) => call,
            Err(ToolError::UnknownTool(n)) => {
                let known: Vec<&str> = ToolKind::ALL.iter().map(|k| k.name()).collect();
                return Err(RpcError::new(INVALID_PARAMS, format!("Unknown tool: {n}")).with_data(json!({ "tools": known })));
            }
            Err(ToolError::InvalidArguments { field, message }) => {
                return Ok(error_result(format!(
                    "Invalid argument `{field}` for {name}: {message}. Correct the arguments and call the tool again."
                )))
            }
        };
        match backend.call(&call).await {
            Ok(body) => {
                let out = call.render(&body);
                Ok(json!({
                    "content": [{ "type": "text", "text": out.text() }],
                    "structuredContent": out.structured,
                    "isError": false,
                }))
            }
            Err(e) => Ok(error_result(format!("{} failed: {e}", call.name()))),
        }
    }
}

/// Legacy unless the request carries the 2026-07-28 envelope (`params._meta` protocol version),
/// declares `MCP-Protocol-Version: 2026-07-28`, or uses a method that exists only there.
/// `initialize` always selects legacy semantics.
pub fn classify(r: &Request, header_version: Option<&str>) -> Era {
    if r.method == "initialize" {
        return Era::Legacy;
    }
    let envelope = r
        .params
        .as_ref()
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get(META_PROTOCOL_VERSION))
        .is_some();
    if envelope
        || header_version == Some(MODERN_VERSION)
        || matches!(r.method.as_str(), "server/discover" | "subscriptions/listen")
    {
        Era::Modern
    } else {
        Era::Legacy
    }
}

/// HTTP status for a 2026-07-28 JSON-RPC error.
fn modern_status(code: i64) -> u16 {
    match code {
        METHOD_NOT_FOUND => 404,
        INTERNAL_ERROR => 500,
        _ => 400,
    }
}

fn error_result(text: String) -> Value {
    json!({ "content": [{ "type": "text", "text": text }], "isError": true })
}

fn method_not_found(method: &str) -> RpcError {
    RpcError::new(METHOD_NOT_FOUND, format!("Method not found: {}", clip(method, 100)))
}

fn unsupported_header(id: &Id, value: &str) -> HttpResponse {
    rpc_error(
        400,
        id,
        &RpcError::new(
            INVALID_REQUEST,
            format!("Unsupported MCP-Protocol-Version: {}", clip(value, 40)),
        )
        .with_data(json!({ "supported": SUPPORTED_VERSIONS, "requested": clip(value, 40) })),
    )
}

fn method_not_allowed(allow: &str, message: &str) -> HttpResponse {
    rpc_error(405, &Id::Null, &RpcError::new(SERVER_ERROR, message)).with_header("Allow", allow)
}

fn rpc_error(status: u16, id: &Id, error: &RpcError) -> HttpResponse {
    HttpResponse::json(status, &jsonrpc::failure(id, error))
}

/// Visible ASCII, space and tab only (RFC 9110 field values as MCP restricts them).
fn header_value_ok(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (0x20..=0x7e).contains(&b))
}

/// Decodes the `=?base64?…?=` sentinel form; other values are returned as they are.
fn decode_sentinel(v: &str) -> Option<String> {
    let Some(inner) = v.strip_prefix("=?base64?").and_then(|s| s.strip_suffix("?=")) else {
        return Some(v.to_string());
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(inner)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(inner))
        .ok()?;
    String::from_utf8(bytes).ok()
}

fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn sentinel_decoding() {
        assert_eq!(decode_sentinel("plain").as_deref(), Some("plain"));
        assert_eq!(
            decode_sentinel("=?base64?SGVsbG8sIOS4lueVjA==?=").as_deref(),
            Some("Hello, 世界")
        );
        assert_eq!(
            decode_sentinel("=?base64?SGVsbG8sIOS4lueVjA?=").as_deref(),
            Some("Hello, 世界")
        );
        assert_eq!(decode_sentinel("=?base64?!!!?="), None);
        assert_eq!(decode_sentinel("=?base64?/w==?="), None); // not UTF-8
    }

    #[test]
    fn header_characters() {
        assert!(header_value_ok("tools/call"));
        assert!(header_value_ok("a b\tc"));
        assert!(!header_value_ok("a\nb"));
        assert!(!header_value_ok("é"));
    }

    #[test]
    fn modern_statuses() {
        assert_eq!(modern_status(METHOD_NOT_FOUND), 404);
        assert_eq!(modern_status(INVALID_PARAMS), 400);
        assert_eq!(modern_status(HEADER_MISMATCH), 400);
        assert_eq!(modern_status(UNSUPPORTED_PROTOCOL_VERSION), 400);
        assert_eq!(modern_status(MISSING_REQUIRED_CLIENT_CAPABILITY), 400);
        assert_eq!(modern_status(INTERNAL_ERROR), 500);
    }
}
