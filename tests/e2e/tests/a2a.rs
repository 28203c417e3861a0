//! Issue 07: the A2A agent (card, JSON-RPC 1.0 and 0.3, the seed's REST-ish endpoints), tasks
//! scoped to the caller's organization, the agent (the stand-in's planner on the AI binding)
//! answering from seeded data, an agent
//! driven by a scripted OpenAI-compatible model server over loopback, and the internal chat API.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crow_e2e::{demo, send, Reply, Stack, Tenant};
use reqwest::Method;
use serde_json::{json, Value};

fn professional(s: &Stack, t: &Tenant) {
    s.sql(&format!("UPDATE organizations SET plan = 'professional' WHERE id = '{}'", t.org_id));
}

/// A tenant with the demo catalogue (the first `products` products) and some interactions.
async fn seeded(s: &Stack, label: &str, products: usize) -> Tenant {
    let t = s.tenant(label).await;
    professional(s, &t);
    for p in demo::catalogue().into_iter().take(products) {
        send(s.as_key(Method::POST, "/api/v1/products", &t.key).json(&p)).await.assert_status(201);
    }
    let interactions = demo::interactions(&demo::catalogue_skus(), 200, demo::DEMO_SEED);
    let path = format!("/api/v1/interactions/organization/{}/batch", t.org_id);
    send(s.as_key(Method::POST, &path, &t.key).json(&json!({ "interactions": interactions })))
        .await
        .assert_status(200);
    t
}

async fn rpc_at(
    base: &str,
    key: Option<&str>,
    version: Option<&str>,
    method: &str,
    params: Value,
) -> Reply {
    let s = Stack::from_env();
    let mut req = s
        .client()
        .post(format!("{base}/a2a/jsonrpc"))
        .json(&json!({ "jsonrpc": "2.0", "id": "r1", "method": method, "params": params }));
    if let Some(k) = key {
        req = req.header("X-API-Key", k);
    }
    if let Some(v) = version {
        req = req.header("A2A-Version", v);
    }
    send(req.timeout(Duration::from_secs(120))).await
}

async fn rpc(s: &Stack, key: &str, method: &str, params: Value) -> Reply {
    rpc_at(&s.a2a, Some(key), Some("1.0"), method, params).await
}

fn user_message(text: &str) -> Value {
    json!({ "messageId": format!("m-{}", crow_e2e::unique_email("x")), "role": "ROLE_USER", "parts": [{ "text": text }] })
}

#[tokio::test]
async fn agent_card_is_public_dual_and_cacheable() {
    let s = Stack::from_env();
    let r = send(s.client().get(format!("{}/.well-known/agent-card.json", s.a2a))).await;
    let card = r.assert_status(200).clone();
    assert_eq!(card["name"], "CROW Analytics Agent");
    assert_eq!(card["version"], "1.0.0");
    assert_eq!(card["provider"]["organization"], "CROW AI");
    assert_eq!(
        card["supportedInterfaces"][0],
        json!({ "url": format!("{}/a2a/jsonrpc", s.a2a), "protocolBinding": "JSONRPC", "protocolVersion": "1.0" })
    );
    assert_eq!(card["supportedInterfaces"][1]["protocolVersion"], "0.3");
    assert_eq!(card["url"], format!("{}/a2a/jsonrpc", s.a2a));
    assert_eq!(card["protocolVersion"], "0.3");
    let skills: Vec<&str> =
        card["skills"].as_array().unwrap().iter().map(|k| k["id"].as_str().unwrap()).collect();
    assert_eq!(
        skills,
        [
            "product-search",
            "interaction-analysis",
            "retail-analytics",
            "pattern-insights",
            "org-context"
        ]
    );
    for k in card["skills"].as_array().unwrap() {
        assert!(
            k["description"].as_str().is_some_and(|d| d.len() > 20)
                && !k["tags"].as_array().unwrap().is_empty(),
            "{k}"
        );
    }
    assert_eq!(card["defaultInputModes"], json!(["text/plain", "application/json"]));
    assert_eq!(card["securitySchemes"]["apiKey"]["apiKeySecurityScheme"]["name"], "X-API-Key");
    assert_eq!(card["securitySchemes"]["bearer"]["httpAuthSecurityScheme"]["scheme"], "Bearer");
    assert_eq!(card["capabilities"]["streaming"], false);
    let etag = r.header("etag").expect("ETag").to_string();
    assert!(r.header("cache-control").is_some_and(|c| c.contains("max-age")));
    let again = send(
        s.client().get(format!("{}/.well-known/agent.json", s.a2a)).header("If-None-Match", &etag),
    )
    .await;
    assert_eq!(again.status.as_u16(), 304);
    let legacy = send(s.client().get(format!("{}/.well-known/agent.json", s.a2a))).await;
    assert_eq!(legacy.body, card);
}

#[tokio::test]
async fn authentication_failures() {
    let s = Stack::from_env();
    let none = rpc_at(&s.a2a, None, Some("1.0"), "GetTask", json!({ "id": "x" })).await;
    assert_eq!(none.status.as_u16(), 401);
    assert_eq!(none.body["error"]["code"], -32600);
    assert_eq!(none.body["id"], "r1");
    assert!(none.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")));
    let fake = format!("crow_{}", "A".repeat(64));
    let bad = rpc_at(&s.a2a, Some(&fake), Some("1.0"), "GetTask", json!({ "id": "x" })).await;
    assert_eq!(bad.status.as_u16(), 401);
    let rest = send(
        s.client()
            .post(format!("{}/a2a/tasks/send", s.a2a))
            .json(&json!({ "message": { "parts": [{ "text": "hi" }] } })),
    )
    .await;
    rest.assert_error(401, "UNAUTHORIZED");
    let get = send(s.client().get(format!("{}/a2a/tasks/task_x", s.a2a))).await;
    get.assert_error(401, "UNAUTHORIZED");
    // Chat is internal: no internal key, no entry.
    let chat = send(
        s.client()
            .get(format!("{}/internal/chat/sessions", s.a2a))
            .header("X-Organization-Id", "org_x")
            .header("X-User-Id", "usr_x"),
    )
    .await;
    chat.assert_error(401, "UNAUTHORIZED");
    let wrong = send(
        s.client()
            .get(format!("{}/internal/chat/sessions", s.a2a))
            .header("X-Internal-Key", "nope")
            .header("X-Organization-Id", "org_x")
            .header("X-User-Id", "usr_x"),
    )
    .await;
    wrong.assert_error(401, "UNAUTHORIZED");
}

#[tokio::test]
async fn negotiation_errors_and_unknown_tasks() {
    let s = Stack::from_env();
    let t = s.tenant("a2a-errors").await;
    let r =
        rpc_at(&s.a2a, Some(&t.key), None, "SendMessage", json!({ "message": user_message("hi") }))
            .await;
    assert_eq!(r.body["error"]["code"], -32009, "{}", r.text);
    let r = rpc_at(&s.a2a, Some(&t.key), Some("99.0"), "tasks/get", json!({ "id": "x" })).await;
    assert_eq!(r.body["error"]["code"], -32009);
    let r = rpc(&s, &t.key, "GetTask", json!({ "id": "task_unknown" })).await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.body["error"]["code"], -32001);
    assert_eq!(r.body["error"]["data"][0]["reason"], "TASK_NOT_FOUND");
    let r =
        rpc_at(&s.a2a, Some(&t.key), Some("0.3"), "tasks/cancel", json!({ "id": "task_unknown" }))
            .await;
    assert_eq!(r.body["error"]["code"], -32001);
    for (m, code) in [
        ("SendStreamingMessage", -32004),
        ("SubscribeToTask", -32004),
        ("GetTaskPushNotificationConfig", -32003),
        ("GetExtendedAgentCard", -32004),
        ("tasks/send", -32601),
    ] {
        let r = rpc(&s, &t.key, m, json!({})).await;
        assert_eq!(r.body["error"]["code"], code, "{m}: {}", r.text);
    }
    let r = rpc(&s, &t.key, "SendMessage", json!({ "message": { "messageId": "m", "role": "ROLE_USER", "parts": [{ "url": "https://x/y.pdf" }] } })).await;
    assert_eq!(r.body["error"]["code"], -32005);
    let r = rpc(&s, &t.key, "SendMessage", json!({ "message": user_message("hi"), "metadata": { "organizationId": "org_someone_else" } })).await;
    assert_eq!(r.body["error"]["code"], -32602);
    let r = rpc(&s, &t.key, "SendMessage", json!({ "message": { "messageId": "m", "role": "ROLE_USER", "taskId": "task_unknown", "parts": [{ "text": "x" }] } })).await;
    assert_eq!(r.body["error"]["code"], -32001);
    let rest = send(
        s.client().get(format!("{}/a2a/tasks/task_unknown", s.a2a)).header("X-API-Key", &t.key),
    )
    .await;
    rest.assert_error(404, "NOT_FOUND");
    let wrong_org = send(s.client().post(format!("{}/a2a/tasks/send", s.a2a)).header("Authorization", format!("Bearer {}", t.key)).json(&json!({
        "message": { "parts": [{ "text": "What sells?" }] }, "metadata": { "organizationId": "org_not_mine" }
    })))
    .await;
    wrong_org.assert_error(403, "FORBIDDEN");
    let missing = send(
        s.client()
            .post(format!("{}/a2a/tasks/send", s.a2a))
            .header("X-API-Key", &t.key)
            .json(&json!({ "message": { "parts": [{ "text": "x" }] } })),
    )
    .await;
    assert_eq!(missing.assert_error(400, "VALIDATION_ERROR")["field"], "metadata.organizationId");
}

/// The agent (Workers AI path, the stand-in's planner) answers from the tenant's real data, the task is persisted with its history,
/// listed, continued in its context, not cancelable, and invisible to another organization.
#[tokio::test]
async fn agent_answers_from_seeded_data_and_tasks_are_scoped() {
    let s = Stack::from_env();
    let t = seeded(&s, "a2a-agent", 12).await;
    let r = rpc(&s, &t.key, "SendMessage", json!({ "message": user_message("Which tents and backpacks do we sell?"), "configuration": {} })).await;
    let task = r.body["result"]["task"].clone();
    assert_eq!(task["status"]["state"], "TASK_STATE_COMPLETED", "{}", r.text);
    let answer = task["artifacts"][0]["parts"][0]["text"].as_str().unwrap();
    assert!(answer.starts_with("[crow-standin-planner]"), "{answer}");
    let sources = task["artifacts"][0]["parts"][1]["data"]["sources"].as_array().unwrap().clone();
    let products: Vec<&Value> = sources.iter().filter(|x| x["kind"] == "product").collect();
    assert!(!products.is_empty(), "{sources:?}");
    // Every product source is a real product of this organization, and the answer names it.
    let listed = send(s.as_key(
        Method::GET,
        &format!("/api/v1/products/organization/{}?limit=100", t.org_id),
        &t.key,
    ))
    .await;
    let ids: Vec<&str> =
        listed.body["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    for p in &products {
        assert!(ids.contains(&p["id"].as_str().unwrap()), "{p}");
        assert_eq!(p["tool"], "crow_search_products");
    }
    assert!(products.iter().any(|p| answer.contains(p["id"].as_str().unwrap())), "{answer}");
    assert_eq!(task["history"][0]["role"], "ROLE_USER");
    assert_eq!(task["history"][1]["role"], "ROLE_AGENT");
    let task_id = task["id"].as_str().unwrap().to_string();
    let context_id = task["contextId"].as_str().unwrap().to_string();
    assert!(context_id.starts_with("ctx_"));

    let got = rpc(&s, &t.key, "GetTask", json!({ "id": task_id, "historyLength": 1 })).await;
    assert_eq!(got.body["result"]["id"], task_id.as_str());
    assert_eq!(got.body["result"]["history"].as_array().unwrap().len(), 1);
    let v03 =
        rpc_at(&s.a2a, Some(&t.key), Some("0.3"), "tasks/get", json!({ "id": task_id })).await;
    assert_eq!(v03.body["result"]["kind"], "task");
    assert_eq!(v03.body["result"]["status"]["state"], "completed");
    let rest =
        send(s.client().get(format!("{}/a2a/tasks/{task_id}", s.a2a)).header("X-API-Key", &t.key))
            .await;
    assert_eq!(rest.assert_status(200)["status"]["state"], "completed");

    // Continue the context; the second task has its own id and the same context.
    let mut m = user_message("How many interactions per channel?");
    m["contextId"] = json!(context_id);
    let second = rpc(&s, &t.key, "SendMessage", json!({ "message": m })).await;
    assert_eq!(second.body["result"]["task"]["contextId"], context_id.as_str());
    assert!(second.body["result"]["task"]["artifacts"][0]["parts"][1]["data"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["kind"] == "summary"));
    let list = rpc(&s, &t.key, "ListTasks", json!({ "contextId": context_id })).await;
    assert_eq!(list.body["result"]["totalSize"], 2, "{}", list.text);
    assert_eq!(list.body["result"]["nextPageToken"], "");
    assert!(
        list.body["result"]["tasks"][0].get("artifacts").is_none(),
        "artifacts only with includeArtifacts"
    );
    let paged = rpc(&s, &t.key, "ListTasks", json!({ "pageSize": 1 })).await;
    let token = paged.body["result"]["nextPageToken"].as_str().unwrap().to_string();
    assert!(!token.is_empty());
    let next = rpc(&s, &t.key, "ListTasks", json!({ "pageSize": 1, "pageToken": token })).await;
    assert_ne!(next.body["result"]["tasks"][0]["id"], paged.body["result"]["tasks"][0]["id"]);

    let cancel = rpc(&s, &t.key, "CancelTask", json!({ "id": task_id })).await;
    assert_eq!(cancel.body["error"]["code"], -32002);
    let cont = rpc(&s, &t.key, "SendMessage", json!({ "message": { "messageId": "m2", "role": "ROLE_USER", "taskId": task_id, "parts": [{ "text": "more" }] } })).await;
    assert_eq!(cont.body["error"]["code"], -32004);

    // Another organization sees none of it.
    let other = s.tenant("a2a-other").await;
    let r = rpc(&s, &other.key, "GetTask", json!({ "id": task_id })).await;
    assert_eq!(r.body["error"]["code"], -32001);
    let r = rpc(&s, &other.key, "CancelTask", json!({ "id": task_id })).await;
    assert_eq!(r.body["error"]["code"], -32001);
    let r = send(
        s.client().get(format!("{}/a2a/tasks/{task_id}", s.a2a)).header("X-API-Key", &other.key),
    )
    .await;
    r.assert_error(404, "NOT_FOUND");
    let r = rpc(&s, &other.key, "ListTasks", json!({ "contextId": context_id })).await;
    assert_eq!(r.body["result"]["totalSize"], 0);

    // The seed's REST-ish send: metadata.organizationId is the key's organization.
    let rest = send(s.client().post(format!("{}/a2a/tasks/send", s.a2a)).header("X-API-Key", &t.key).json(&json!({
        "message": { "parts": [{ "text": "Which backpacks do we sell?" }] }, "metadata": { "organizationId": t.org_id }
    })))
    .await;
    let body = rest.assert_status(200);
    assert_eq!(body["status"]["state"], "completed");
    assert_eq!(body["artifacts"][0]["parts"][0]["kind"], "text");
    assert!(!body["artifacts"][0]["parts"][1]["data"]["sources"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn chat_sessions_over_the_internal_api() {
    let s = Stack::from_env();
    let t = seeded(&s, "a2a-chat", 8).await;
    let ik = s.internal_key();
    let chat = |method: Method, path: &str, user: &str| {
        s.client()
            .request(method, format!("{}/internal/chat{path}", s.a2a))
            .header("X-Internal-Key", &ik)
            .header("X-Organization-Id", &t.org_id)
            .header("X-User-Id", user)
            .timeout(Duration::from_secs(120))
    };
    let created = send(chat(Method::POST, "/sessions", &t.user_id).json(&json!({}))).await;
    let session = created.assert_status(201).clone();
    let sid = session["id"].as_str().unwrap().to_string();
    assert_eq!(session["title"], "New chat");
    let posted = send(
        chat(Method::POST, &format!("/sessions/{sid}/messages"), &t.user_id)
            .json(&json!({ "content": "Which jackets do we sell?" })),
    )
    .await;
    let m = posted.assert_status(201).clone();
    assert_eq!(m["role"], "assistant");
    assert!(m["content"].as_str().unwrap().starts_with("[crow-standin-planner]"));
    assert!(m["sources"].as_array().unwrap().iter().any(|x| x["kind"] == "product"), "{m}");
    let msgs = send(chat(Method::GET, &format!("/sessions/{sid}/messages"), &t.user_id)).await;
    let msgs = msgs.assert_status(200);
    assert_eq!(msgs["total"], 2);
    assert_eq!(msgs["data"][0]["role"], "user");
    assert_eq!(msgs["data"][1]["id"], m["id"]);
    let list = send(chat(Method::GET, "/sessions?limit=10", &t.user_id)).await;
    let list = list.assert_status(200);
    assert_eq!(list["data"][0]["id"], sid.as_str());
    assert_eq!(list["data"][0]["title"], "Which jackets do we sell?");
    assert_eq!(list["data"][0]["messageCount"], 2);
    // Another user of the same organization sees nothing.
    send(chat(Method::GET, &format!("/sessions/{sid}"), "usr_someone_else"))
        .await
        .assert_error(404, "NOT_FOUND");
    send(
        chat(Method::POST, &format!("/sessions/{sid}/messages"), "usr_someone_else")
            .json(&json!({ "content": "x" })),
    )
    .await
    .assert_error(404, "NOT_FOUND");
    send(
        chat(Method::POST, &format!("/sessions/{sid}/messages"), &t.user_id)
            .json(&json!({ "content": "  " })),
    )
    .await
    .assert_error(400, "VALIDATION_ERROR");
    send(chat(Method::DELETE, &format!("/sessions/{sid}"), &t.user_id)).await.assert_status(204);
    send(chat(Method::GET, &format!("/sessions/{sid}"), &t.user_id))
        .await
        .assert_error(404, "NOT_FOUND");
}

// ---------------------------------------------------------------------------------------------
// A scripted OpenAI-compatible model server on loopback, and an A2A worker that uses it
// ---------------------------------------------------------------------------------------------

/// Answers `/v1/chat/completions`: with no tool results yet, asks for `crow_search_products`;
/// once results are in, answers naming the products (name and id) the tool returned.
async fn scripted_model(seen: Arc<Mutex<Vec<Value>>>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let (head_end, len) = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i]).to_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        break (i + 4, len);
                    }
                };
                while buf.len() < head_end + len {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let request: Value =
                    serde_json::from_slice(&buf[head_end..]).unwrap_or(Value::Null);
                seen.lock().unwrap().push(request.clone());
                let messages = request["messages"].as_array().cloned().unwrap_or_default();
                let last_user = messages
                    .iter()
                    .rev()
                    .find(|m| m["role"] == "user")
                    .and_then(|m| m["content"].as_str())
                    .unwrap_or("");
                if last_user.contains("please fail") {
                    let body = r#"{"error":{"message":"model overloaded"}}"#;
                    let head = format!("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.write_all(body.as_bytes()).await;
                    return;
                }
                let tool_results: Vec<&Value> =
                    messages.iter().filter(|m| m["role"] == "tool").collect();
                let message = if tool_results.is_empty() {
                    json!({ "role": "assistant", "content": null, "tool_calls": [{ "id": "call_1", "type": "function",
                        "function": { "name": "crow_search_products", "arguments": "{\"query\":\"tent\",\"limit\":3}" } }] })
                } else {
                    let result: Value =
                        serde_json::from_str(tool_results[0]["content"].as_str().unwrap_or("{}"))
                            .unwrap_or(Value::Null);
                    let items = result["items"].as_array().cloned().unwrap_or_default();
                    let named: Vec<String> = items
                        .iter()
                        .map(|p| {
                            format!(
                                "{} ({})",
                                p["name"].as_str().unwrap_or("?"),
                                p["id"].as_str().unwrap_or("?")
                            )
                        })
                        .collect();
                    json!({ "role": "assistant", "content": format!("Scripted answer. Matching tents: {}.", named.join("; ")) })
                };
                let body = json!({ "id": "chatcmpl-1", "object": "chat.completion", "model": "scripted-llm",
                    "choices": [{ "index": 0, "message": message, "finish_reason": "stop" }] })
                .to_string();
                let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(body.as_bytes()).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}/v1")
}

/// A second A2A worker (`crow-a2a-scripted`) on the same state (D1, dev registry, secrets),
/// configured with `AI_BACKEND=openai` against the scripted server. Stopped on drop.
struct ScriptedWorker {
    child: std::process::Child,
    url: String,
}

impl Drop for ScriptedWorker {
    fn drop(&mut self) {
        // setsid made the child the leader of its own process group (wrangler and workerd).
        let group = format!("-{}", self.child.id());
        let _ = std::process::Command::new("kill").args(["-TERM", "--", &group]).status();
        std::thread::sleep(Duration::from_millis(500));
        let _ = std::process::Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

async fn start_scripted_worker(s: &Stack, model_url: &str) -> ScriptedWorker {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let inspector =
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let root = crow_e2e::repo_root();
    let log = std::fs::File::create(format!("{}/logs/a2a-scripted.log", s.state_dir)).unwrap();
    let script = format!(
        "source scripts/env.sh; export WRANGLER_REGISTRY_PATH='{state}/registry'; exec wrangler dev -c wrangler/a2a/wrangler.toml \
         --name crow-a2a-scripted --local --ip 127.0.0.1 --port {port} --inspector-port {inspector} --persist-to '{state}/persist' \
         --env-file '{state}/secrets.env' --show-interactive-dev-session=false --var AI_BACKEND:openai \
         --var OPENAI_BASE_URL:{model_url} --var OPENAI_MODEL:scripted-llm",
        state = s.state_dir
    );
    let child = std::process::Command::new("setsid")
        .args(["bash", "-c", &script])
        .current_dir(&root)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("starting wrangler");
    let worker = ScriptedWorker { child, url: format!("http://127.0.0.1:{port}") };
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(r) = s.client().get(format!("{}/health", worker.url)).send().await {
            if r.status().is_success() {
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the scripted A2A worker did not start; see {}/logs/a2a-scripted.log",
            s.state_dir
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    worker
}

#[tokio::test]
async fn scripted_openai_model_calls_real_tools_and_cites_them() {
    let s = Stack::from_env();
    let t = seeded(&s, "a2a-scripted", 40).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let model_url = scripted_model(seen.clone()).await;
    let worker = start_scripted_worker(&s, &model_url).await;

    let r = rpc_at(
        &worker.url,
        Some(&t.key),
        Some("1.0"),
        "SendMessage",
        json!({ "message": user_message("Which tents do we sell?") }),
    )
    .await;
    let task = r.body["result"]["task"].clone();
    assert_eq!(task["status"]["state"], "TASK_STATE_COMPLETED", "{}", r.text);
    let answer = task["artifacts"][0]["parts"][0]["text"].as_str().unwrap().to_string();
    let data = &task["artifacts"][0]["parts"][1]["data"];
    assert_eq!(data["model"], "scripted-llm");
    assert_eq!(data["toolCalls"][0]["name"], "crow_search_products");
    assert_eq!(data["toolCalls"][0]["ok"], true);
    // Both model rounds are metered (as `model`, next to the tool's service call).
    let timing =
        crow_common::timing::Tally::parse_header(r.header("server-timing").expect("Server-Timing"));
    assert_eq!(
        (timing.count("model"), timing.count("svc")),
        (2, 2),
        "{:?}",
        r.header("server-timing")
    );
    let sources = data["sources"].as_array().unwrap();
    assert!(!sources.is_empty() && sources.len() <= 3, "{sources:?}");
    // The answer cites exactly the products the real tool call returned from the seeded catalogue.
    for src in sources {
        assert_eq!(src["kind"], "product");
        assert!(answer.contains(src["id"].as_str().unwrap()), "{answer} / {src}");
        assert!(answer.contains(src["title"].as_str().unwrap()), "{answer} / {src}");
    }
    let catalogue: Vec<String> =
        demo::catalogue().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect();
    assert!(sources
        .iter()
        .all(|src| catalogue.contains(&src["title"].as_str().unwrap().to_string())));
    assert!(answer.to_lowercase().contains("tent"), "{answer}");

    // What the model server was sent: every tool (the six search tools and the five analytics
    // tools), then the tool result as a tool message.
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0]["model"], "scripted-llm");
    let tools: Vec<&str> = requests[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(tools.len(), 11, "{tools:?}");
    assert!(tools.contains(&"crow_get_product_performance"), "{tools:?}");
    let tool_msg =
        requests[1]["messages"].as_array().unwrap().iter().find(|m| m["role"] == "tool").unwrap();
    assert_eq!(tool_msg["tool_call_id"], "call_1");

    // A failing model ends the task in FAILED with a status message, and nothing internal leaks.
    let r = rpc_at(
        &worker.url,
        Some(&t.key),
        Some("1.0"),
        "SendMessage",
        json!({ "message": user_message("please fail") }),
    )
    .await;
    let task = &r.body["result"]["task"];
    assert_eq!(task["status"]["state"], "TASK_STATE_FAILED", "{}", r.text);
    let status_text = task["status"]["message"]["parts"][0]["text"].as_str().unwrap();
    assert!(status_text.contains("model") && !status_text.contains("overloaded"), "{status_text}");
    assert!(task.get("artifacts").is_none());

    // Non-blocking send: WORKING at once, COMPLETED when polled.
    let r = rpc_at(&worker.url, Some(&t.key), Some("1.0"), "SendMessage", json!({
        "message": user_message("Which tents do we sell?"), "configuration": { "returnImmediately": true }
    }))
    .await;
    let id = r.body["result"]["task"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["result"]["task"]["status"]["state"], "TASK_STATE_WORKING", "{}", r.text);
    let mut state = Value::Null;
    for _ in 0..60 {
        let g = rpc(&s, &t.key, "GetTask", json!({ "id": id })).await;
        state = g.body["result"]["status"]["state"].clone();
        if state != "TASK_STATE_WORKING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(state, "TASK_STATE_COMPLETED");
    drop(worker);
}

/// The production model path (Workers AI's wire format on the `AI` binding, the Workers AI
/// parser and the loop) against a model that misbehaves: the stand-in's scripts, chosen by a
/// marker in the question, send what Llama sends on a bad day.
#[tokio::test]
async fn the_workers_ai_path_handles_malformed_model_output() {
    let s = Stack::from_env();
    let t = seeded(&s, "a2a-malformed", 6).await;
    let planner = "ai:@local/crow-standin-planner-v1";
    let calls_before = s.standin_calls().await[planner].as_u64().unwrap_or(0);
    let ask = |script: &str| {
        rpc(
            &s,
            &t.key,
            "SendMessage",
            json!({ "message": user_message(&format!("Which boots do we sell? [[standin:{script}]]")) }),
        )
    };
    // A rejected call is fed back to the model as a tool error; the model then answers and the
    // rejected call is listed, with why.
    for (script, why) in
        [("bad-arguments", "JSON object"), ("unknown-tool", "crow_drop_all_tables")]
    {
        let r = ask(script).await;
        let task = &r.assert_status(200)["result"]["task"];
        assert_eq!(task["status"]["state"], "TASK_STATE_COMPLETED", "{script}: {}", r.text);
        let parts = task["artifacts"][0]["parts"].as_array().unwrap();
        let answer = parts[0]["text"].as_str().unwrap();
        assert!(answer.starts_with("[crow-standin-planner]"), "{script}: {answer}");
        let calls = parts.iter().find_map(|p| p["data"]["toolCalls"].as_array()).unwrap();
        assert_eq!(calls.len(), 1, "{script}: {calls:?}");
        assert_eq!(calls[0]["ok"], false, "{script}: {calls:?}");
        let error = calls[0]["error"].as_str().unwrap_or_default();
        assert!(error.contains(why), "{script}: {error}");
        assert!(answer.contains("failed"), "the error reached the model: {answer}");
    }
    // Tool calls written as JSON text in `response`, and in the OpenAI form with string
    // arguments: both parsed, run, and answered from the real results.
    for script in ["text-call", "openai-shape"] {
        let r = ask(script).await;
        let task = &r.assert_status(200)["result"]["task"];
        assert_eq!(task["status"]["state"], "TASK_STATE_COMPLETED", "{script}: {}", r.text);
        let sources = task["artifacts"][0]["parts"][1]["data"]["sources"].as_array().unwrap();
        let product = sources.iter().find(|x| x["kind"] == "product").unwrap_or_else(|| {
            panic!("{script}: no product source: {sources:?}");
        });
        let answer = task["artifacts"][0]["parts"][0]["text"].as_str().unwrap();
        assert!(answer.contains(product["id"].as_str().unwrap()), "{script}: {answer}");
    }
    // No answer at all, even when asked without tools: a failed task, said plainly.
    let r = ask("empty").await;
    let task = &r.assert_status(200)["result"]["task"];
    assert_eq!(task["status"]["state"], "TASK_STATE_FAILED", "{}", r.text);
    let text = task["status"]["message"]["parts"][0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("could not produce an answer"), "{text}");
    // Workers AI failing (a documented error), and a model slower than MODEL_TIMEOUT_MS (5 s
    // locally): failed tasks, promptly, with nothing of the model's error in the answer.
    for script in ["fail", "slow"] {
        let started = std::time::Instant::now();
        let r = ask(script).await;
        let elapsed = started.elapsed();
        let task = &r.assert_status(200)["result"]["task"];
        assert_eq!(task["status"]["state"], "TASK_STATE_FAILED", "{script}: {}", r.text);
        let text = task["status"]["message"]["parts"][0]["text"].as_str().unwrap_or_default();
        assert!(text.contains("model backend failed"), "{script}: {text}");
        assert!(!r.text.contains("3040") && !r.text.contains("data centers"), "{}", r.text);
        assert!(elapsed < Duration::from_secs(8), "{script}: answered after {elapsed:?}");
    }
    // Every round went through the AI binding to the stand-in.
    let calls_after = s.standin_calls().await[planner].as_u64().unwrap_or(0);
    assert!(calls_after >= calls_before + 11, "{calls_before} -> {calls_after}");
}
