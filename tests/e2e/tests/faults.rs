//! Fault tests (issue 09). Each failure yields a prompt, well-formed error in the right envelope
//! and leaves no partial state:
//! - the gateway stopped under MCP and A2A (the service binding's target gone);
//! - D1 failing writes (a trigger that aborts inserts for one organization only);
//! - the AI backend failing: the gateway's embedding model not served by its `AI` binding, the
//!   `VECTORIZE` index refusing the vectors (dimensions of another model), the stand-in worker
//!   behind both stopped, the agent's model server answering 500 or never answering.
//!
//! Its own test binary, since it restarts workers of the shared stack (cargo runs test binaries
//! one at a time); within it, tests take `SERIAL` so no two faults overlap.

use std::time::{Duration, Instant};

use crow_e2e::{
    send, serve_hanging, serve_status, stack_cmd, stack_cmd_with, Reconfigured, Stack, Tenant,
};
use reqwest::Method;
use serde_json::{json, Value};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Starts the gateway again when dropped, so a failing assertion cannot leave the shared stack
/// without it.
struct Restart<'a>(&'a Stack);

impl Drop for Restart<'_> {
    fn drop(&mut self) {
        stack_cmd(self.0, &["start", "gateway"]);
    }
}

/// Starts `worker` again when dropped.
struct Started<'a>(&'a Stack, &'static str);

impl Drop for Started<'_> {
    fn drop(&mut self) {
        stack_cmd(self.0, &["start", self.1]);
    }
}

fn count(s: &Stack, worker: &str, sql: &str) -> u64 {
    s.sql_in(worker, sql)[0]["n"].as_u64().unwrap_or_else(|| panic!("count of {sql}"))
}

/// A D1 trigger aborting inserts into `table` for one organization, dropped again on drop.
struct FailingInserts<'a> {
    s: &'a Stack,
    worker: &'static str,
    name: String,
}

impl<'a> FailingInserts<'a> {
    fn install(s: &'a Stack, worker: &'static str, table: &str, org: &str) -> Self {
        let name =
            format!("fault_{table}_{}", org.replace(|c: char| !c.is_ascii_alphanumeric(), "_"));
        s.sql_in(
            worker,
            &format!(
                "CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN NEW.organization_id = '{org}' \
                 BEGIN SELECT RAISE(ABORT, 'injected fault: {table} refuses writes'); END"
            ),
        );
        FailingInserts { s, worker, name }
    }
}

impl Drop for FailingInserts<'_> {
    fn drop(&mut self) {
        self.s.sql_in(self.worker, &format!("DROP TRIGGER IF EXISTS {}", self.name));
    }
}

/// Takes a table of the gateway's database away (renamed), and puts it back on drop: every read
/// of it fails as a D1 error, for every tenant (tests here run one at a time).
struct MissingTable<'a> {
    s: &'a Stack,
    table: &'static str,
}

impl<'a> MissingTable<'a> {
    fn take(s: &'a Stack, table: &'static str) -> Self {
        s.sql(&format!("ALTER TABLE {table} RENAME TO {table}_fault_offline"));
        MissingTable { s, table }
    }
}

impl Drop for MissingTable<'_> {
    fn drop(&mut self) {
        self.s.sql(&format!("ALTER TABLE {t}_fault_offline RENAME TO {t}", t = self.table));
    }
}

fn assert_unavailable(r: &crow_e2e::Reply, dependency: &str) {
    let details = r.assert_error(503, "SERVICE_UNAVAILABLE");
    assert_eq!(details["dependency"], dependency, "{}", r.text);
    assert!(
        !r.text.contains("injected fault"),
        "the database's message stays in the log: {}",
        r.text
    );
}

fn interactions(prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({ "eventId": format!("{prefix}-{i}"), "sourceType": "web", "kind": "page_view", "occurredAt": "2026-11-20T10:00:00Z", "content": format!("fault event {i}") }))
        .collect()
}

#[tokio::test]
async fn mcp_and_a2a_answer_cleanly_while_the_gateway_is_down() {
    let _serial = SERIAL.lock().await;
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
    assert!(
        matches!(
            (r.status.as_u16(), code.as_str()),
            (502, "BAD_GATEWAY") | (503, "SERVICE_UNAVAILABLE")
        ),
        "{}",
        r.text
    );
    assert_eq!(r.body["error"]["details"]["dependency"], "gateway");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "errors come promptly: {:?}",
        started.elapsed()
    );

    drop(guard);
    assert_eq!(send(mcp()).await.status.as_u16(), 200, "recovers with the gateway");
    let r = send(s.gw(Method::GET, "/health")).await;
    r.assert_status(200);
}

#[tokio::test]
async fn failing_d1_writes_answer_503_and_leave_nothing_behind() {
    let _serial = SERIAL.lock().await;
    let s = Stack::from_env();
    let t = s.tenant("d1-faults").await;
    let other = s.tenant("d1-bystander").await;
    let org = t.org_id.clone();
    let batch = format!("/api/v1/interactions/organization/{org}/batch");
    let product = json!({ "name": "Fault Line Boot", "category": "Footwear", "priceCents": 9900, "description": "A boot written while D1 fails." });
    {
        // D1 refuses the product row (its vector was written first, and is never shown: search
        // results are read from the rows).
        let _fault = FailingInserts::install(&s, "gateway", "products", &org);
        let started = Instant::now();
        let r = send(s.as_key(Method::POST, "/api/v1/products", &t.key).json(&product)).await;
        assert_unavailable(&r, "database");
        assert!(started.elapsed() < Duration::from_secs(10), "prompt: {:?}", started.elapsed());
        for mode in ["fts", "semantic", "hybrid"] {
            let url = format!("/api/v1/products/search?query=Fault%20Line%20Boot&mode={mode}");
            let r = send(s.as_key(Method::GET, &url, &t.key)).await;
            assert_eq!(r.assert_status(200)["data"], json!([]), "{mode}: {}", r.text);
        }
        assert_eq!(
            count(
                &s,
                "gateway",
                &format!("SELECT COUNT(*) AS n FROM products WHERE organization_id = '{org}'")
            ),
            0
        );
        // Reads still work, and another organization is untouched by the fault.
        let list =
            send(s.as_key(Method::GET, &format!("/api/v1/products/organization/{org}"), &t.key))
                .await;
        assert_eq!(list.assert_status(200)["data"], json!([]));
        let r = send(s.as_key(Method::POST, "/api/v1/products", &other.key).json(&product)).await;
        r.assert_status(201);
    }
    {
        // The 14th row of a batch fails: the batch is all or nothing.
        let _fault = FailingInserts::install(&s, "gateway", "interactions", &org);
        let r = send(
            s.as_key(Method::POST, &batch, &t.key)
                .json(&json!({ "interactions": interactions("g", 30) })),
        )
        .await;
        assert_unavailable(&r, "database");
        assert_eq!(
            count(
                &s,
                "gateway",
                &format!("SELECT COUNT(*) AS n FROM interactions WHERE organization_id = '{org}'")
            ),
            0
        );
    }
    // With the fault gone, the same requests succeed in full.
    send(s.as_key(Method::POST, "/api/v1/products", &t.key).json(&product))
        .await
        .assert_status(201);
    let r = send(
        s.as_key(Method::POST, &batch, &t.key)
            .json(&json!({ "interactions": interactions("f", 30) })),
    )
    .await;
    assert_eq!(r.assert_status(200)["inserted"], 30);
    // Every row has its vector in the organization's namespace.
    let vectors: std::collections::HashSet<String> =
        s.vectors(&org).await.iter().map(|v| v["id"].as_str().unwrap().to_string()).collect();
    for (table, kind) in [("products", "product"), ("interactions", "interaction")] {
        let rows = s.sql(&format!("SELECT id FROM {table} WHERE organization_id = '{org}'"));
        let n = if kind == "product" { 1 } else { 30 };
        assert_eq!(rows.len(), n, "{table}");
        for row in rows {
            let id = format!("{kind}:{}", row["id"].as_str().unwrap());
            assert!(vectors.contains(&id), "{id} has no vector");
        }
    }
}

#[tokio::test]
async fn a_vector_index_refusing_the_vectors_writes_no_rows() {
    let _serial = SERIAL.lock().await;
    let s = Stack::from_env();
    let t = s.tenant("vectorize-faults").await;
    let org = t.org_id.clone();
    send(s.as_key(Method::POST, "/api/v1/products", &t.key).json(&json!({ "name": "Basalt Trail Boot", "category": "Footwear", "description": "Waterproof hiking boot" })))
        .await
        .assert_status(201);
    // The index of another model (bge-base's 768 dimensions): Vectorize refuses every vector
    // and query vector of the local model's 384.
    stack_cmd_with(
        &s,
        &["restart", "standins"],
        &[("CROW_STANDINS_VARS", "VECTORIZE_DIMENSIONS:768")],
    );
    let _restore = Reconfigured(&s, "standins");
    let started = Instant::now();
    let r = send(
        s.as_key(Method::POST, "/api/v1/products", &t.key)
            .json(&json!({ "name": "Refused Boot", "category": "Footwear" })),
    )
    .await;
    assert_unavailable(&r, "vector index");
    let batch = format!("/api/v1/interactions/organization/{org}/batch");
    let r = send(
        s.as_key(Method::POST, &batch, &t.key)
            .json(&json!({ "interactions": interactions("v", 5) })),
    )
    .await;
    assert_unavailable(&r, "vector index");
    for mode in ["semantic", "hybrid"] {
        let url = format!("/api/v1/products/search?query=hiking%20boot&mode={mode}");
        assert_unavailable(&send(s.as_key(Method::GET, &url, &t.key)).await, "vector index");
    }
    assert!(started.elapsed() < Duration::from_secs(10), "prompt: {:?}", started.elapsed());
    let n = |table: &str| {
        count(
            &s,
            "gateway",
            &format!("SELECT COUNT(*) AS n FROM {table} WHERE organization_id = '{org}'"),
        )
    };
    assert_eq!((n("products"), n("interactions")), (1, 0), "nothing half-written");
    let r =
        send(s.as_key(Method::GET, "/api/v1/products/search?query=boot&mode=fts", &t.key)).await;
    assert_eq!(r.assert_status(200)["data"].as_array().unwrap().len(), 1);
    drop(_restore);

    // The stand-in worker gone altogether: the same clean 503s, then recovery.
    stack_cmd(&s, &["stop", "standins"]);
    let _back = Started(&s, "standins");
    let r = send(
        s.as_key(Method::POST, "/api/v1/products", &t.key)
            .json(&json!({ "name": "Unreachable Boot", "category": "Footwear" })),
    )
    .await;
    assert_unavailable(&r, "embedding model");
    assert_eq!(n("products"), 1);
    drop(_back);
    send(
        s.as_key(Method::POST, "/api/v1/products", &t.key)
            .json(&json!({ "name": "Recovered Boot", "category": "Footwear" })),
    )
    .await
    .assert_status(201);
    // The index is persisted state: the first product's vector survived both restarts of the
    // stand-in, so semantic search still finds it.
    let r = send(s.as_key(
        Method::GET,
        "/api/v1/products/search?query=waterproof%20hiking%20boot&mode=semantic",
        &t.key,
    ))
    .await;
    let names: Vec<&str> = r.assert_status(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(names.contains(&"Basalt Trail Boot"), "{names:?}");
}

fn send_message(s: &Stack, t: &Tenant, text: &str) -> reqwest::RequestBuilder {
    let message = json!({ "jsonrpc": "2.0", "id": 3, "method": "SendMessage", "params": { "message": { "messageId": format!("m-{}", text.len()), "role": "ROLE_USER", "parts": [{ "text": text }] } } });
    s.a2a_rpc(&t.key, &message)
}

#[tokio::test]
async fn a2a_task_store_failing_is_a_clean_json_rpc_error_with_no_task_left() {
    let _serial = SERIAL.lock().await;
    let s = Stack::from_env();
    let t = s.tenant("a2a-d1-faults").await;
    {
        let _fault = FailingInserts::install(&s, "a2a", "a2a_tasks", &t.org_id);
        let r = send(send_message(&s, &t, "How many interactions do we have?")).await;
        assert!(r.status.is_server_error(), "{} {}", r.status, r.text);
        assert_eq!(r.body["jsonrpc"], "2.0");
        assert_eq!(r.body["id"], 3);
        assert_eq!(r.status.as_u16(), 503);
        assert_eq!(r.body["error"]["code"], -32603, "{}", r.text);
        assert_eq!(r.body["error"]["data"]["code"], "SERVICE_UNAVAILABLE", "{}", r.text);
        assert_eq!(r.body["error"]["data"]["details"]["dependency"], "database", "{}", r.text);
        assert!(!r.text.contains("injected fault"), "{}", r.text);
        let n = count(
            &s,
            "a2a",
            &format!(
                "SELECT COUNT(*) AS n FROM a2a_messages WHERE organization_id = '{}'",
                t.org_id
            ),
        );
        assert_eq!(n, 0, "no message without its task");
    }
    let r = send(send_message(&s, &t, "How many interactions do we have?")).await;
    assert_eq!(
        r.assert_status(200)["result"]["task"]["status"]["state"],
        "TASK_STATE_COMPLETED",
        "{}",
        r.text
    );
}

#[tokio::test]
async fn the_gateway_without_its_embedding_model_fails_semantic_work_cleanly() {
    let _serial = SERIAL.lock().await;
    let s = Stack::from_env();
    let t = s.tenant("ai-faults").await;
    let org = t.org_id.clone();
    send(s.as_key(Method::POST, "/api/v1/products", &t.key).json(&json!({ "name": "Granite Trail Boot", "category": "Footwear", "description": "Waterproof hiking boot" })))
        .await
        .assert_status(201);
    // Production's embedding model, which the local AI binding (the stand-in) does not serve:
    // it refuses every call with Workers AI's "5007: No such model" error.
    stack_cmd_with(
        &s,
        &["restart", "gateway"],
        &[("CROW_GATEWAY_VARS", "EMBEDDING_MODEL:@cf/baai/bge-base-en-v1.5")],
    );
    let _restore = Reconfigured(&s, "gateway");
    let started = Instant::now();
    for mode in ["semantic", "hybrid"] {
        let r = send(s.as_key(
            Method::GET,
            &format!("/api/v1/products/search?query=hiking%20boot&mode={mode}"),
            &t.key,
        ))
        .await;
        assert_unavailable(&r, "embedding model");
    }
    let r = send(
        s.as_key(Method::POST, "/api/v1/products", &t.key)
            .json(&json!({ "name": "Half Written Boot", "category": "Footwear" })),
    )
    .await;
    assert_unavailable(&r, "embedding model");
    assert!(started.elapsed() < Duration::from_secs(10), "prompt: {:?}", started.elapsed());
    assert_eq!(
        count(
            &s,
            "gateway",
            &format!("SELECT COUNT(*) AS n FROM products WHERE organization_id = '{org}'")
        ),
        1,
        "nothing half-written"
    );
    // Keyword search needs no model and keeps working.
    let r =
        send(s.as_key(Method::GET, "/api/v1/products/search?query=boot&mode=fts", &t.key)).await;
    assert_eq!(r.assert_status(200)["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failing_or_hanging_model_fails_the_task_promptly() {
    let _serial = SERIAL.lock().await;
    let s = Stack::from_env();
    let t = s.tenant("model-faults").await;
    for (label, base) in
        [("answers 500", serve_status(500).await), ("never answers", serve_hanging().await)]
    {
        let vars = format!("AI_BACKEND:openai OPENAI_BASE_URL:{base}/v1 OPENAI_MODEL:fault-model MODEL_TIMEOUT_MS:2000");
        stack_cmd_with(&s, &["restart", "a2a"], &[("CROW_A2A_VARS", vars.as_str())]);
        let _restore = Reconfigured(&s, "a2a");
        let started = Instant::now();
        let r = send(send_message(&s, &t, "What are our top performing products?")).await;
        let elapsed = started.elapsed();
        let task = &r.assert_status(200)["result"]["task"];
        assert_eq!(task["status"]["state"], "TASK_STATE_FAILED", "model {label}: {}", r.text);
        let status_text =
            task["status"]["message"]["parts"][0]["text"].as_str().unwrap_or_default();
        assert!(status_text.contains("model backend failed"), "model {label}: {}", r.text);
        assert!(
            !r.text.contains("upstream exploded"),
            "the model server's body stays in the log: {}",
            r.text
        );
        assert!(elapsed < Duration::from_secs(12), "model {label}: answered after {elapsed:?}");
        // The failed task is stored as failed, readable like any other.
        let id = task["id"].as_str().unwrap();
        let got = send(s.a2a_rpc(
            &t.key,
            &json!({ "jsonrpc": "2.0", "id": 4, "method": "GetTask", "params": { "id": id } }),
        ))
        .await;
        assert_eq!(got.assert_status(200)["result"]["status"]["state"], "TASK_STATE_FAILED");
    }
}

#[tokio::test]
async fn failing_d1_reads_answer_503_never_401() {
    let _serial = SERIAL.lock().await;
    let s = Stack::from_env();
    let t = s.tenant("d1-read-faults").await;
    let path = format!("/api/v1/organizations/{}", t.org_id);
    {
        // The key lookup cannot be read: that is an outage (503, retried once inside), not an
        // invalid key (401); nothing about the database reaches the client.
        let _gone = MissingTable::take(&s, "api_keys");
        let started = Instant::now();
        let r = send(s.as_key(Method::GET, &path, &t.key)).await;
        assert_unavailable(&r, "database");
        assert!(
            r.header("www-authenticate").is_none(),
            "not an authentication failure: {:?}",
            r.headers
        );
        assert!(!r.text.contains("api_keys"), "{}", r.text);
        let r =
            send(s.mcp_rpc(&t.key, &json!({ "jsonrpc": "2.0", "id": 9, "method": "tools/list" })))
                .await;
        assert!(r.status.is_server_error(), "MCP: {} {}", r.status, r.text);
        assert_eq!(r.body["id"], 9, "{}", r.text);
        assert!(started.elapsed() < Duration::from_secs(10), "prompt: {:?}", started.elapsed());
    }
    send(s.as_key(Method::GET, &path, &t.key)).await.assert_status(200);
}
