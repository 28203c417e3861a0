//! Issue 09: binding calls per request, from the workers' `Server-Timing` header (local config
//! only). These are the counts BENCHMARKS.md explains; a change that adds a round trip to a hot
//! path fails here, not just in a benchmark.

use crow_common::timing::Tally;
use crow_e2e::{send, Reply, Stack};
use reqwest::Method;
use serde_json::json;

fn tally(r: &Reply) -> Tally {
    Tally::parse_header(
        r.header("server-timing")
            .unwrap_or_else(|| panic!("no Server-Timing on {}: {:?}", r.status, r.headers)),
    )
}

fn kinds(t: &Tally) -> Vec<String> {
    t.entries().iter().map(|e| format!("{}={}", e.name, e.count)).collect()
}

#[tokio::test]
async fn hot_paths_make_only_the_binding_calls_they_need() {
    let s = Stack::from_env();
    let t = s.tenant("budget").await;
    s.sql(&format!("UPDATE organizations SET plan = 'professional' WHERE id = '{}'", t.org_id));
    for (name, desc) in [
        ("Granite Trail Boot", "Waterproof hiking boot for rocky trails"),
        ("Summit Shell", "Rain jacket"),
    ] {
        send(
            s.as_key(Method::POST, "/api/v1/products", &t.key)
                .json(&json!({ "name": name, "description": desc, "category": "Outdoor" })),
        )
        .await
        .assert_status(201);
    }

    // The floor: no binding at all.
    let r = send(s.gw(Method::GET, "/health")).await;
    assert!(tally(&r).entries().is_empty(), "{:?}", kinds(&tally(&r)));

    // An authenticated, rate-limited read: the key (joined with its plan), the limiter's
    // Durable Object, the row itself.
    let r =
        send(s.as_key(Method::GET, &format!("/api/v1/organizations/{}", t.org_id), &t.key)).await;
    r.assert_status(200);
    let b = tally(&r);
    assert_eq!((b.count("d1"), b.count("do"), b.entries().len()), (2, 1, 2), "{:?}", kinds(&b));

    // A row by id: the key, the limiter, the row (read with the key's organization in the
    // WHERE clause; no separate lookup of the row's owner). Another organization's row is a 404.
    let r = send(s.as_key(
        Method::GET,
        &format!("/api/v1/products/organization/{}?limit=1", t.org_id),
        &t.key,
    ))
    .await;
    let id = r.assert_status(200)["data"][0]["id"].as_str().unwrap().to_string();
    let r = send(s.as_key(Method::GET, &format!("/api/v1/products/{id}"), &t.key)).await;
    r.assert_status(200);
    let b = tally(&r);
    assert_eq!((b.count("d1"), b.count("do")), (2, 1), "{:?}", kinds(&b));
    let stranger = s.tenant("budget-stranger").await;
    send(s.as_key(Method::GET, &format!("/api/v1/products/{id}"), &stranger.key))
        .await
        .assert_error(404, "NOT_FOUND");
    send(
        s.as_key(Method::PATCH, &format!("/api/v1/products/{id}"), &stranger.key)
            .json(&json!({ "name": "Mine now" })),
    )
    .await
    .assert_error(404, "NOT_FOUND");

    // Search: key, then per mode the ranking read(s) (FTS5 in D1; the query's embedding through
    // the AI binding and one Vectorize query), then one read of the ranked rows.
    for (mode, d1, ai) in [("fts", 3, 0), ("semantic", 2, 1), ("hybrid", 3, 1)] {
        let r = send(s.as_key(
            Method::GET,
            &format!("/api/v1/products/search?query=hiking%20boot&mode={mode}"),
            &t.key,
        ))
        .await;
        assert!(!r.assert_status(200)["data"].as_array().unwrap().is_empty());
        let b = tally(&r);
        assert_eq!(
            (b.count("d1"), b.count("do"), b.count("ai"), b.count("vectorize")),
            (d1, 1, ai, ai),
            "{mode}: {:?}",
            kinds(&b)
        );
    }

    // A product write: the key, the limiter, its embedding (one AI call) and vector (one
    // Vectorize upsert) before the row's batch, and the row read back.
    let r = send(s.as_key(Method::POST, "/api/v1/products", &t.key).json(
        &json!({ "name": "Cirrus Tarp", "description": "Ultralight tarp", "category": "Outdoor" }),
    ))
    .await;
    r.assert_status(201);
    let b = tally(&r);
    assert_eq!(
        (b.count("d1"), b.count("do"), b.count("ai"), b.count("vectorize")),
        (3, 1, 1, 1),
        "{:?}",
        kinds(&b)
    );
    // Analytics (issue 12): the key, the limiter, and one D1 batch holding every read of the
    // answer (figures and currency), whatever the endpoint.
    for path in [
        "products?sort=purchases",
        "timeseries?interval=week",
        "compare?groupBy=product",
        "funnel",
        "stores",
    ] {
        let r = send(s.as_key(
            Method::GET,
            &format!("/api/v1/analytics/organization/{}/{path}", t.org_id),
            &t.key,
        ))
        .await;
        r.assert_status(200);
        let b = tally(&r);
        assert_eq!((b.count("d1"), b.count("do")), (2, 1), "{path}: {:?}", kinds(&b));
    }

    // MCP tools/call: one service call to verify and count the key, one for the REST call; the
    // gateway looks the key up once (the tool call names it by id), so its D1 calls are those
    // of the same REST request made directly.
    let rest = send(s.as_key(
        Method::GET,
        "/api/v1/products/search?query=hiking%20boot&mode=hybrid&limit=5",
        &t.key,
    ))
    .await;
    let rest_d1 = tally(&rest).count("d1");
    let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": { "name": "crow_search_products", "arguments": { "query": "hiking boot", "limit": 5 } } });
    let r = send(s.mcp_rpc(&t.key, &call)).await;
    assert_eq!(r.body["result"]["isError"], false, "{}", r.text);
    let b = tally(&r);
    assert_eq!(
        (b.count("svc"), b.count("gw.do"), b.count("gw.d1"), b.count("d1")),
        (2, 1, rest_d1, 0),
        "{:?}",
        kinds(&b)
    );

    // A2A SendMessage (the stand-in's planner through the AI binding: one call choosing the
    // tools, one answering), new context: the task written in one batch, the outcome in another,
    // the task read back in a third; one service call to verify the key plus one per tool the
    // agent used.
    let message = json!({ "jsonrpc": "2.0", "id": 2, "method": "SendMessage", "params": { "message": { "messageId": "budget-1", "role": "ROLE_USER", "parts": [{ "text": "Find hiking boots" }] } } });
    let r = send(s.a2a_rpc(&t.key, &message)).await;
    let task = &r.assert_status(200)["result"]["task"];
    assert_eq!(task["status"]["state"], "TASK_STATE_COMPLETED", "{}", r.text);
    let tools_used = task["artifacts"][0]["parts"]
        .as_array()
        .and_then(|parts| parts.iter().find_map(|p| p["data"]["toolCalls"].as_array()))
        .map(|calls| calls.len() as u32)
        .unwrap_or_else(|| panic!("the answer lists its tool calls: {}", r.text));
    assert!(tools_used >= 1);
    let b = tally(&r);
    assert_eq!(b.count("d1"), 3, "{:?}", kinds(&b));
    assert_eq!(b.count("gw.do"), 1, "the key is counted once: {:?}", kinds(&b));
    assert_eq!(b.count("svc"), 1 + tools_used, "{:?}", kinds(&b));
    assert_eq!(b.count("ai"), 2, "two rounds of the model: {:?}", kinds(&b));
}
