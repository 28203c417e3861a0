//! Fault test: the gateway stops while MCP and A2A keep running. Both answer promptly with a
//! well-formed error in their own envelope, and recover once the gateway is back. Its own test
//! binary, since it stops a worker of the shared stack (cargo runs binaries one at a time).

use std::time::{Duration, Instant};

use crow_e2e::{repo_root, send, Stack};
use reqwest::Method;
use serde_json::json;

fn stack_cmd(s: &Stack, args: &[&str]) {
    let status = std::process::Command::new("bash")
        .arg(repo_root().join("scripts/stack.sh"))
        .args(args)
        .args(["--state", &s.state_dir])
        .current_dir(repo_root())
        .status()
        .expect("stack.sh");
    assert!(status.success(), "stack.sh {args:?} failed");
}

/// Starts the gateway again when dropped, so a failing assertion cannot leave the shared stack
/// without it.
struct Restart<'a>(&'a Stack);

impl Drop for Restart<'_> {
    fn drop(&mut self) {
        stack_cmd(self.0, &["start", "gateway"]);
    }
}

#[tokio::test]
async fn mcp_and_a2a_answer_cleanly_while_the_gateway_is_down() {
    let s = Stack::from_env();
    let t = s.tenant("faults").await;
    let mcp = || {
        s.client()
            .post(format!("{}/mcp", s.mcp))
            .header("Authorization", format!("Bearer {}", t.key))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-11-25")
            .body(json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": { "name": "crow_get_interaction_summary", "arguments": {} } }).to_string())
    };
    let a2a = || {
        s.client()
            .post(format!("{}/a2a/jsonrpc", s.a2a))
            .header("X-API-Key", &t.key)
            .header("A2A-Version", "1.0")
            .header("Content-Type", "application/json")
            .body(json!({ "jsonrpc": "2.0", "id": 8, "method": "SendMessage", "params": { "message": { "messageId": "m-faults", "role": "ROLE_USER", "parts": [{ "text": "How many interactions do we have?" }] } } }).to_string())
    };
    assert_eq!(send(mcp()).await.status.as_u16(), 200, "works before the fault");

    stack_cmd(&s, &["stop", "gateway"]);
    let guard = Restart(&s);
    let started = Instant::now();
    let r = send(mcp()).await;
    assert!(r.status.is_server_error(), "MCP: {} {}", r.status, r.text);
    assert_eq!(r.body["jsonrpc"], "2.0");
    assert_eq!(r.body["id"], 7);
    assert!(r.body["error"]["code"].is_i64(), "{}", r.text);
    let r = send(a2a()).await;
    assert!(r.status.is_server_error(), "A2A: {} {}", r.status, r.text);
    assert_eq!(r.body["id"], 8);
    assert!(r.body["error"]["code"].is_i64(), "{}", r.text);
    let r = send(s.client().get(format!("{}/health/ready", s.mcp))).await;
    let code = r.body["error"]["code"].as_str().unwrap_or_default().to_string();
    assert!(matches!((r.status.as_u16(), code.as_str()), (502, "BAD_GATEWAY") | (503, "SERVICE_UNAVAILABLE")), "{}", r.text);
    assert_eq!(r.body["error"]["details"]["dependency"], "gateway");
    assert!(started.elapsed() < Duration::from_secs(15), "errors come promptly: {:?}", started.elapsed());

    drop(guard);
    assert_eq!(send(mcp()).await.status.as_u16(), 200, "recovers with the gateway");
    let r = send(s.gw(Method::GET, "/health")).await;
    r.assert_status(200);
}
