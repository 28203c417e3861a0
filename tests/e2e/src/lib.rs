//! Shared helpers for the end-to-end suite. The stack is started by `scripts/test.sh` (through
//! `scripts/stack.sh up`), which exports the three base URLs and the state directory; every test
//! talks to the real workers over HTTP.

pub mod demo;

use std::time::Duration;

use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

pub struct Stack {
    pub gateway: String,
    pub mcp: String,
    pub a2a: String,
    /// The Workers AI / Vectorize stand-in worker (tests/standins).
    pub standins: String,
    pub state_dir: String,
}

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the end-to-end tests through scripts/test.sh, which starts the stack")
    })
}

impl Stack {
    pub fn from_env() -> Stack {
        Stack {
            gateway: required("CROW_GATEWAY_URL"),
            mcp: required("CROW_MCP_URL"),
            a2a: required("CROW_A2A_URL"),
            standins: required("CROW_STANDINS_URL"),
            state_dir: required("CROW_STATE_DIR"),
        }
    }

    /// A client that keeps no cookies (tests pass them explicitly) and never follows redirects.
    /// Each client presents its own `CF-Connecting-IP` (as Cloudflare's edge would for distinct
    /// clients; requests may still pin one), so failed-credential tests of different test
    /// functions do not share the per-IP budget.
    pub fn client(&self) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Ok(ip) = reqwest::header::HeaderValue::from_str(&random_client_ip()) {
            headers.insert("CF-Connecting-IP", ip);
        }
        Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client")
    }

    /// A request to the gateway. Each one carries a fresh `CF-Connecting-IP` from the IPv6
    /// documentation range, as Cloudflare's edge would for distinct clients, so anonymous
    /// requests of different tests do not share the per-IP budget. Use [`Stack::gw_from`] to
    /// pin the address.
    pub fn gw(&self, method: Method, path: &str) -> RequestBuilder {
        self.gw_from(&random_client_ip(), method, path)
    }

    pub fn gw_from(&self, ip: &str, method: Method, path: &str) -> RequestBuilder {
        self.client()
            .request(method, format!("{}{}", self.gateway, path))
            .header("CF-Connecting-IP", ip)
    }

    /// The local secret shared by the workers (from the state directory), for tests that act
    /// as an internal caller.
    pub fn internal_key(&self) -> String {
        self.secret("INTERNAL_API_KEY")
    }

    /// A local secret of the stack (`secrets.env` in its state directory).
    pub fn secret(&self, name: &str) -> String {
        let text = std::fs::read_to_string(format!("{}/secrets.env", self.state_dir))
            .expect("secrets.env");
        let prefix = format!("{name}=");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("{name} in secrets.env"))
            .to_string()
    }
}

impl Stack {
    /// A JSON-RPC message to the MCP server with `key`, as an MCP client of the 2025-11-25
    /// revision sends it (stateless Streamable HTTP).
    pub fn mcp_rpc(&self, key: &str, message: &Value) -> RequestBuilder {
        self.client()
            .post(format!("{}/mcp", self.mcp))
            .header("Authorization", format!("Bearer {key}"))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-11-25")
            .body(message.to_string())
    }

    /// A JSON-RPC message to the A2A service's 1.0 endpoint with `key`.
    pub fn a2a_rpc(&self, key: &str, message: &Value) -> RequestBuilder {
        self.client()
            .post(format!("{}/a2a/jsonrpc", self.a2a))
            .header("X-API-Key", key)
            .header("A2A-Version", "1.0")
            .header("Content-Type", "application/json")
            .body(message.to_string())
    }
}

/// A random address in 2001:db8::/32 (documentation range; only ever sent as a header).
pub fn random_client_ip() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            as u64;
    let x = nanos ^ N.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed).rotate_left(17);
    format!(
        "2001:db8:{:x}:{:x}:{:x}:{:x}::1",
        (x >> 48) & 0xffff,
        (x >> 32) & 0xffff,
        (x >> 16) & 0xffff,
        x & 0xffff
    )
}

/// Status, headers and JSON body of a response.
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub async fn of(resp: Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::Null)
        };
        Reply { status, headers, body, text }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the response is the error envelope with this status and code, carrying the same
    /// request id in the body and in `X-Request-Id`. Returns `error.details`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        let err = &self.body["error"];
        assert_eq!(err["code"], code, "unexpected code; body: {}", self.text);
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "message missing: {}",
            self.text
        );
        assert!(err["details"].is_object(), "details missing: {}", self.text);
        let rid = err["request_id"].as_str().expect("error.request_id");
        assert_eq!(
            self.header("x-request-id"),
            Some(rid),
            "X-Request-Id must equal error.request_id"
        );
        &err["details"]
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        &self.body
    }
}

/// Sends a request. Every JSON answer from the gateway is checked against the OpenAPI document
/// it serves: the status must be documented for the operation and the body must match its schema.
pub async fn send(req: RequestBuilder) -> Reply {
    let probe = req.try_clone().and_then(|r| r.build().ok());
    let reply = Reply::of(req.send().await.expect("request failed")).await;
    if let Some(probe) = probe {
        hygiene(probe.url(), &reply);
        openapi::check(probe.method().as_str(), probe.url(), &reply).await;
    }
    reply
}

/// Checks every answer from the three workers: the security headers are there, and no body
/// leaks internals (stack traces, panics, SQL or D1 errors).
fn hygiene(url: &reqwest::Url, reply: &Reply) {
    let ours = ["CROW_GATEWAY_URL", "CROW_MCP_URL", "CROW_A2A_URL"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .any(|base| url.as_str().starts_with(&base));
    if !ours {
        return;
    }
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(
            reply.header(name),
            Some(value),
            "{name} missing on {} ({})",
            url.path(),
            reply.status
        );
    }
    let lower = reply.text.to_ascii_lowercase();
    for leak in [
        "panicked at",
        "stack backtrace",
        "d1_error",
        "sqlite_error",
        "sqlite error",
        "syntax error",
        "wasm-function",
        "rustc/",
        "no such table",
        "no such column",
    ] {
        assert!(!lower.contains(leak), "{} leaks internals ({leak}): {}", url.path(), reply.text);
    }
}

/// Response validation against the gateway's own OpenAPI document.
pub mod openapi {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use serde_json::Value;

    use super::Reply;

    static DOC: tokio::sync::OnceCell<Value> = tokio::sync::OnceCell::const_new();
    static VALIDATORS: Mutex<Option<HashMap<String, std::sync::Arc<jsonschema::Validator>>>> =
        Mutex::new(None);

    async fn doc(base: &str) -> &'static Value {
        DOC.get_or_init(|| async {
            let text = reqwest::get(format!("{base}/api/v1/openapi.json"))
                .await
                .expect("openapi")
                .text()
                .await
                .expect("openapi body");
            serde_json::from_str(&text).expect("openapi JSON")
        })
        .await
    }

    /// The documented path template matching `path` (literal segments beat parameters).
    pub fn find_path<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
        let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let mut best: Option<(&str, usize)> = None;
        for template in doc["paths"].as_object()?.keys() {
            let segs: Vec<&str> = template.split('/').collect();
            if segs.len() != parts.len() {
                continue;
            }
            let mut literals = 0;
            let ok = segs.iter().zip(&parts).all(|(s, p)| {
                if s.starts_with('{') {
                    !p.is_empty()
                } else {
                    literals += 1;
                    s == p
                }
            });
            if ok && best.is_none_or(|(_, l)| literals > l) {
                best = Some((template, literals));
            }
        }
        best.map(|(t, _)| t)
    }

    pub async fn check(method: &str, url: &reqwest::Url, reply: &Reply) {
        let Ok(base) = std::env::var("CROW_GATEWAY_URL") else { return };
        if !url.as_str().starts_with(&base) || !url.path().starts_with("/api/v1/") {
            return;
        }
        let doc = doc(&base).await;
        let Some(template) = find_path(doc, url.path()) else { return };
        let Some(op) = doc["paths"][template].get(method.to_ascii_lowercase()) else { return };
        let status = reply.status.as_u16().to_string();
        let response = op["responses"].get(&status).unwrap_or_else(|| {
            panic!("{method} {} answered {status}, which the OpenAPI document does not list for {template}: {}", url.path(), reply.text)
        });
        let Some(schema) = response["content"]["application/json"].get("schema") else { return };
        if reply.text.is_empty() {
            return;
        }
        let key = format!("{method} {template} {status}");
        let validator = {
            let mut guard = VALIDATORS.lock().unwrap();
            let map = guard.get_or_insert_with(HashMap::new);
            map.entry(key)
                .or_insert_with(|| {
                    let mut root = schema.clone();
                    if let Value::Object(m) = &mut root {
                        m.insert("components".into(), doc["components"].clone());
                    }
                    std::sync::Arc::new(
                        jsonschema::options()
                            .should_validate_formats(true)
                            .build(&root)
                            .expect("compilable schema"),
                    )
                })
                .clone()
        };
        let errors: Vec<String> = validator
            .iter_errors(&reply.body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {} ({status}) does not match the OpenAPI schema: {errors:?}\nbody: {}",
            url.path(),
            reply.text
        );
    }
}

/// The dashboard origin the local configuration allows (see `ALLOWED_ORIGINS`).
pub const DASHBOARD_ORIGIN: &str = "http://localhost:3000";
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// A unique, valid email for a test.
pub fn unique_email(label: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{label}-{nanos}-{}@example.com", N.fetch_add(1, Ordering::Relaxed))
}

/// The local mail catcher (`tests/fake_mail.py`; `CROW_MAIL_URL`, written by
/// `scripts/stack.sh` into `urls.env`), which stands in for the email API.
pub fn mail_url() -> String {
    required("CROW_MAIL_URL")
}

/// The messages the mail catcher holds for `to`, oldest first
/// (`{id, from, to, subject, text, received_at}`).
pub async fn mailbox(to: &str) -> Vec<Value> {
    let resp = Client::new()
        .get(format!("{}/messages", mail_url()))
        .query(&[("to", to)])
        .send()
        .await
        .expect("mail catcher unreachable");
    assert!(resp.status().is_success(), "mail catcher answered {}", resp.status());
    resp.json::<Vec<Value>>().await.expect("mail catcher JSON")
}

/// Waits until `to` has at least `n` messages (mail leaves after the gateway's answer) and
/// returns them; panics after 20 s.
pub async fn wait_for_mail(to: &str, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mail = mailbox(to).await;
        if mail.len() >= n {
            return mail;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{to} received {} of {n} messages in 20 s: {mail:?}",
            mail.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The verification token of a sign-up message (from its link, `…/verify-email#token=…`).
pub fn token_in(message: &Value) -> Option<String> {
    let text = message["text"].as_str()?;
    let rest = &text[text.find("verify-email#token=")? + "verify-email#token=".len()..];
    let token: String = rest.chars().take_while(char::is_ascii_alphanumeric).collect();
    (!token.is_empty()).then_some(token)
}

/// `name=value` of the session cookie from a `Set-Cookie` header.
pub fn session_cookie(reply: &Reply) -> String {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("session_token="))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no session cookie in {:?}", reply.headers))
}

/// A user with a session, an organization they own, and an API key for it.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub email: String,
    pub user_id: String,
    pub cookie: String,
    pub org_id: String,
    pub key: String,
    pub key_id: String,
}

impl Stack {
    /// Signs a new user up through the whole flow (sign-up, the mailed token, verification);
    /// returns (user id, cookie).
    pub async fn sign_up(&self, email: &str) -> (String, String) {
        let r = self.sign_up_verified("Test User", email, TEST_PASSWORD).await;
        let body = r.assert_status(201);
        (body["user"]["id"].as_str().unwrap().to_string(), session_cookie(&r))
    }

    /// Sign-up, then verification with the token mailed to `email`; returns the verification's
    /// answer (201 with the user, the session and its cookie).
    pub async fn sign_up_verified(&self, name: &str, email: &str, password: &str) -> Reply {
        let before = mailbox(email).await.len();
        self.start_sign_up(name, email, password).await.assert_status(202);
        let mail = wait_for_mail(email, before + 1).await;
        let token = mail
            .last()
            .and_then(token_in)
            .unwrap_or_else(|| panic!("no verification token mailed to {email}: {mail:?}"));
        self.verify_email(&token, password).await
    }

    /// `POST /api/v1/auth/sign-up/email` (answers 202 whatever the address).
    pub async fn start_sign_up(&self, name: &str, email: &str, password: &str) -> Reply {
        send(self.gw(Method::POST, "/api/v1/auth/sign-up/email").json(&serde_json::json!({
            "name": name, "email": email, "password": password
        })))
        .await
    }

    /// `POST /api/v1/auth/verify-email` with `token` and the password chosen at sign-up.
    pub async fn verify_email(&self, token: &str, password: &str) -> Reply {
        send(
            self.gw(Method::POST, "/api/v1/auth/verify-email")
                .json(&serde_json::json!({ "token": token, "password": password })),
        )
        .await
    }

    /// A request carrying a session cookie and the dashboard origin (as a browser would).
    pub fn as_user(&self, method: Method, path: &str, cookie: &str) -> RequestBuilder {
        self.gw(method, path).header("Cookie", cookie).header("Origin", DASHBOARD_ORIGIN)
    }

    pub fn as_key(&self, method: Method, path: &str, key: &str) -> RequestBuilder {
        self.gw(method, path).header("Authorization", format!("Bearer {key}"))
    }

    pub async fn create_org(&self, cookie: &str, name: &str) -> String {
        let r = send(
            self.as_user(Method::POST, "/api/v1/organizations", cookie)
                .json(&serde_json::json!({ "name": name })),
        )
        .await;
        r.assert_status(201)["id"].as_str().unwrap().to_string()
    }

    /// Creates an API key for `org_id`; returns (key id, plaintext key).
    pub async fn create_key(&self, cookie: &str, org_id: &str, name: &str) -> (String, String) {
        let r = send(self.as_user(Method::POST, "/api/v1/auth/api-keys", cookie).json(
            &serde_json::json!({
                "name": name, "organizationId": org_id
            }),
        ))
        .await;
        let body = r.assert_status(201);
        (body["id"].as_str().unwrap().to_string(), body["key"].as_str().unwrap().to_string())
    }

    pub async fn tenant(&self, label: &str) -> Tenant {
        let email = unique_email(label);
        let (user_id, cookie) = self.sign_up(&email).await;
        let org_id = self.create_org(&cookie, &format!("{label} org")).await;
        let (key_id, key) = self.create_key(&cookie, &org_id, &format!("{label} key")).await;
        Tenant { email, user_id, cookie, org_id, key, key_id }
    }
}

/// The repository root (tests run with the crate directory as working directory).
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

impl Stack {
    /// The vectors the Vectorize stand-in holds in `namespace` (an organization): `{id, metadata}`.
    pub async fn vectors(&self, namespace: &str) -> Vec<Value> {
        let url = format!("{}/_vectors?namespace={namespace}", self.standins);
        let body: Value = reqwest::get(url).await.expect("stand-in").json().await.expect("json");
        body["vectors"].as_array().cloned().unwrap_or_default()
    }

    /// How often the stand-ins were called, by `ai:<model>` and `vectorize:<method>`.
    pub async fn standin_calls(&self) -> Value {
        let url = format!("{}/_calls", self.standins);
        reqwest::get(url).await.expect("stand-in").json().await.expect("json")
    }

    /// Runs SQL against the stack's local D1 database (through wrangler) and returns the rows.
    pub fn sql(&self, statement: &str) -> Vec<Value> {
        self.sql_in("gateway", statement)
    }

    /// Runs SQL against the local D1 database of `worker` (`gateway` or `a2a`).
    pub fn sql_in(&self, worker: &str, statement: &str) -> Vec<Value> {
        let out = std::process::Command::new("bash")
            .arg(repo_root().join("scripts/stack.sh"))
            .args(["sql", statement, worker, "--state", &self.state_dir])
            .current_dir(repo_root())
            .output()
            .expect("running stack.sh sql");
        assert!(out.status.success(), "sql failed: {}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).expect("sql JSON");
        v[0]["results"].as_array().cloned().unwrap_or_default()
    }

    /// Whether `needle` occurs anywhere in the stack's persisted state (databases, WAL files,
    /// KV and object storage).
    pub fn persisted_state_contains(&self, needle: &str) -> bool {
        fn walk(dir: &std::path::Path, needle: &[u8]) -> bool {
            let Ok(entries) = std::fs::read_dir(dir) else { return false };
            entries.flatten().any(|e| {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, needle)
                } else {
                    std::fs::read(&p)
                        .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
                }
            })
        }
        walk(&std::path::Path::new(&self.state_dir).join("persist"), needle.as_bytes())
    }
}

/// Serves `body` as `text/html` on a loopback port for the crawler to fetch; returns the base
/// URL. The server runs until the test process ends.
pub async fn serve_page(body: &'static str) -> String {
    serve(move |_| Some(body.as_bytes().to_vec()), "text/html; charset=utf-8").await
}

/// A loopback server that accepts connections and never answers (for crawler timeouts).
pub async fn serve_hanging() -> String {
    serve(|_| None, "text/html").await
}

/// A loopback server that answers every request with `status` and a JSON error body (a model
/// server or API that is up but failing).
pub async fn serve_status(status: u16) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                let body = r#"{"error":{"message":"upstream exploded","type":"server_error"}}"#;
                let head = format!(
                    "HTTP/1.1 {status} Failing\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(body.as_bytes()).await;
            });
        }
    });
    format!("http://127.0.0.1:{}", addr.port())
}

/// A loopback server for redirect tests: a path listed in `redirects` answers 302 with its
/// `Location` (`{port}` replaced by the server's own port), any other path serves `body` as HTML.
/// Returns the base URL and the paths requested so far.
pub async fn serve_redirects(
    redirects: &'static [(&'static str, &'static str)],
    body: &'static str,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
                log.lock().expect("log").push(path.clone());
                let reply = match redirects.iter().find(|(p, _)| *p == path) {
                    Some((_, to)) => format!(
                        "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        to.replace("{port}", &port.to_string())
                    ),
                    None => format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    ),
                };
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    (format!("http://127.0.0.1:{port}"), seen)
}

/// A loopback server that answers with a 100 MB HTML page, streamed as fast as the client
/// reads it, with or without announcing its length. Counts the bytes it managed to send.
pub async fn serve_huge(
    announce_length: bool,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const TOTAL: u64 = 100 * 1024 * 1024;
    let sent = std::sync::Arc::new(AtomicU64::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let counter = sent.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = sock.read(&mut buf).await;
                let length = if announce_length {
                    format!("Content-Length: {TOTAL}\r\n")
                } else {
                    String::new()
                };
                let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n{length}Connection: close\r\n\r\n<html><body>");
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = "<p>trail shoes and more trail shoes</p>".repeat(1700).into_bytes();
                let mut total = 0u64;
                while total < TOTAL {
                    let n = chunk.len().min((TOTAL - total) as usize);
                    if sock.write_all(&chunk[..n]).await.is_err() {
                        return;
                    }
                    total += n as u64;
                    counter.store(total, Ordering::Relaxed);
                }
            });
        }
    });
    (format!("http://127.0.0.1:{}", addr.port()), sent)
}

async fn serve(
    respond: impl Fn(&str) -> Option<Vec<u8>> + Send + Sync + 'static,
    content_type: &'static str,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let respond = std::sync::Arc::new(respond);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
                match respond(&path) {
                    Some(body) => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = sock.write_all(head.as_bytes()).await;
                        let _ = sock.write_all(&body).await;
                    }
                    None => {
                        // Hold the connection open, answering nothing.
                        tokio::time::sleep(std::time::Duration::from_secs(120)).await;
                    }
                }
            });
        }
    });
    format!("http://127.0.0.1:{}", addr.port())
}

impl Stack {
    /// Polls a crawler job until it leaves `queued`/`running` (at most `secs` seconds).
    pub async fn wait_for_job(&self, key: &str, job_id: &str, secs: u64) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let r = send(self.as_key(Method::GET, &format!("/api/v1/crawler-jobs/{job_id}"), key))
                .await;
            let status = r.body["status"].as_str().unwrap_or("").to_string();
            if !["queued", "running"].contains(&status.as_str())
                || std::time::Instant::now() > deadline
            {
                return r.body;
            }
            // One poll a second: a crawl waiting behind other embedding work must not use up
            // a Free key's 60 requests a minute.
            tokio::time::sleep(Duration::from_millis(1000)).await;
        }
    }
}

/// Runs `scripts/stack.sh ARGS` on the test stack (stop, start or restart a worker) with the
/// given extra variables (e.g. `CROW_A2A_VARS`); any inherited `CROW_<WORKER>_VARS` are dropped,
/// so a worker restarted without them gets its normal configuration.
pub fn stack_cmd_with(s: &Stack, args: &[&str], vars: &[(&str, &str)]) {
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(repo_root().join("scripts/stack.sh"))
        .args(args)
        .args(["--state", &s.state_dir])
        .current_dir(repo_root());
    for name in ["CROW_GATEWAY_VARS", "CROW_MCP_VARS", "CROW_A2A_VARS", "CROW_STANDINS_VARS"] {
        cmd.env_remove(name);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let status = cmd.status().expect("stack.sh");
    assert!(status.success(), "stack.sh {args:?} failed");
}

pub fn stack_cmd(s: &Stack, args: &[&str]) {
    stack_cmd_with(s, args, &[]);
}

/// Restarts `worker` with its normal configuration when dropped, so a failing assertion cannot
/// leave the shared stack reconfigured.
pub struct Reconfigured<'a>(pub &'a Stack, pub &'static str);

impl Drop for Reconfigured<'_> {
    fn drop(&mut self) {
        stack_cmd(self.0, &["restart", self.1]);
    }
}
