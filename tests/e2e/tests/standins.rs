//! Issue 13: the Workers AI and Vectorize stand-ins (tests/standins) accept what the real
//! services accept, in their documented shapes, and refuse what they refuse: Vectorize's
//! dimensions, topK, batch, id, namespace and metadata limits, Workers AI's unknown models and
//! the embedding model's input limits. Called directly over the stand-in's test endpoints (the
//! gateway's handling of the same refusals is in `faults`).

use crow_e2e::Stack;
use serde_json::{json, Value};

const DIMS: usize = 384;
const E5: &str = "@local/multilingual-e5-small-q4";

async fn call(s: &Stack, path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", s.standins))
        .json(&body)
        .send()
        .await
        .expect("stand-in");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

async fn vectorize(s: &Stack, method: &str, args: Value) -> Result<Value, String> {
    match call(s, &format!("/_vectorize/{method}"), json!({ "args": args })).await {
        (200, body) => Ok(body["result"].clone()),
        (_, body) => Err(body["error"].as_str().unwrap_or_default().to_string()),
    }
}

async fn upsert(s: &Stack, vectors: Value) -> Result<Value, String> {
    vectorize(s, "upsert", json!([vectors])).await
}

async fn ai(s: &Stack, model: &str, inputs: Value) -> Result<Value, String> {
    match call(s, "/_ai/run", json!({ "model": model, "inputs": inputs })).await {
        (200, body) => Ok(body["result"].clone()),
        (_, body) => Err(body["error"].as_str().unwrap_or_default().to_string()),
    }
}

/// A unit vector along axis `i` (plus a little of axis 0), of `n` dimensions.
fn axis(i: usize, n: usize) -> Vec<f32> {
    let mut v = vec![0.0; n];
    v[i % n] = 1.0;
    v[0] += 0.1;
    v
}

fn vector(id: &str, ns: &str, kind: &str, values: Vec<f32>) -> Value {
    json!({ "id": id, "namespace": ns, "values": values, "metadata": { "kind": kind, "model": E5, "note": "x" } })
}

fn refused(r: Result<Value, String>, want: &str) {
    match r {
        Ok(v) => panic!("accepted, expected a refusal containing {want:?}: {v}"),
        Err(e) => assert!(e.contains(want), "{e:?} does not contain {want:?}"),
    }
}

#[tokio::test]
async fn vectorize_stand_in_keeps_the_documented_limits() {
    let s = Stack::from_env();
    let ns = format!("ns_{}", crow_e2e::unique_email("v").replace(['@', '.', '+'], "_"));
    let other = format!("{ns}_other");

    // Dimensions are fixed by the index: 384 for the local model, anything else refused.
    refused(
        upsert(&s, json!([vector("a", &ns, "product", axis(1, 768))])).await,
        "expected 384 dimensions, got 768",
    );
    refused(
        vectorize(&s, "query", json!([axis(1, 383), { "topK": 5, "namespace": ns }])).await,
        "expected 384 dimensions, got 383",
    );
    // At most 1,000 vectors per upsert from a Worker; ids and namespaces of at most 64 bytes;
    // metadata of at most 10 KiB.
    let many: Vec<Value> =
        (0..1001).map(|i| vector(&format!("m{i}"), &ns, "product", axis(i, DIMS))).collect();
    refused(upsert(&s, json!(many)).await, "exceeds the limit of 1000");
    refused(
        upsert(&s, json!([vector(&"x".repeat(65), &ns, "product", axis(1, DIMS))])).await,
        "longer than 64 bytes",
    );
    refused(
        upsert(&s, json!([vector("b", &"n".repeat(65), "product", axis(1, DIMS))])).await,
        "namespace",
    );
    let mut fat = vector("c", &ns, "product", axis(1, DIMS));
    fat["metadata"]["note"] = json!("y".repeat(10 * 1024));
    refused(upsert(&s, json!([fat])).await, "metadata is larger than 10240 bytes");

    // What is accepted: a full batch of 1,000 (ids of exactly 64 bytes are fine), two kinds,
    // two namespaces.
    let ids: Vec<String> = (0..1000).map(|i| format!("{:0>64}", i)).collect();
    let batch: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let kind = if i % 2 == 0 { "product" } else { "chunk" };
            vector(id, &ns, kind, axis(i + 1, DIMS))
        })
        .collect();
    let r = upsert(&s, json!(batch)).await.unwrap();
    assert!(r["mutationId"].is_string(), "{r}");
    upsert(&s, json!([vector("other-1", &other, "product", axis(1, DIMS))])).await.unwrap();

    // topK: at most 100, or 20 with values or all metadata.
    let q = axis(1, DIMS);
    let query = |opts: Value| vectorize(&s, "query", json!([q.clone(), opts]));
    refused(
        query(json!({ "topK": 101, "namespace": ns })).await,
        "topK must be an integer from 1 to 100",
    );
    refused(query(json!({ "topK": 0, "namespace": ns })).await, "topK");
    refused(
        query(json!({ "topK": 21, "namespace": ns, "returnValues": true })).await,
        "from 1 to 20",
    );
    refused(
        query(json!({ "topK": 21, "namespace": ns, "returnMetadata": "all" })).await,
        "from 1 to 20",
    );
    refused(query(json!({ "topK": 5, "returnMetadata": "some" })).await, "returnMetadata");
    let hits = query(json!({ "topK": 100, "namespace": ns })).await.unwrap();
    assert_eq!(hits["count"], 100);
    let matches = hits["matches"].as_array().unwrap();
    // The nearest is the vector equal to the query (cosine 1), then in falling order; the other
    // namespace is never searched; no values or metadata unless asked.
    assert_eq!(matches[0]["id"], ids[0].as_str());
    assert!((matches[0]["score"].as_f64().unwrap() - 1.0).abs() < 1e-4, "{}", matches[0]);
    let scores: Vec<f64> = matches.iter().map(|m| m["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(matches.iter().all(|m| m["id"] != "other-1" && m.get("values").is_none()));
    assert!(matches.iter().all(|m| m.get("metadata").is_none()));
    // Filters on metadata indexes (kind, model) apply; a filter on a property without a
    // metadata index matches nothing, as in Vectorize.
    let hits = query(json!({ "topK": 20, "namespace": ns, "filter": { "kind": "chunk" }, "returnMetadata": "all" }))
        .await
        .unwrap();
    let matches = hits["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 20);
    assert!(matches.iter().all(|m| m["metadata"]["kind"] == "chunk"), "{hits}");
    let hits =
        query(json!({ "topK": 5, "namespace": ns, "filter": { "note": "x" } })).await.unwrap();
    assert_eq!(hits["count"], 0, "{hits}");
    let hits =
        query(json!({ "topK": 5, "namespace": ns, "filter": { "kind": { "$in": ["nope"] } } }))
            .await
            .unwrap();
    assert_eq!(hits["count"], 0, "{hits}");

    // deleteByIds removes them for good.
    for chunk in ids.chunks(500) {
        vectorize(&s, "deleteByIds", json!([chunk])).await.unwrap();
    }
    vectorize(&s, "deleteByIds", json!([["other-1"]])).await.unwrap();
    let hits = query(json!({ "topK": 5, "namespace": ns })).await.unwrap();
    assert_eq!(hits["count"], 0, "{hits}");
    assert!(s.vectors(&ns).await.is_empty());
}

fn cosine(a: &Value, b: &Value) -> f64 {
    let (a, b) = (a.as_array().unwrap(), b.as_array().unwrap());
    a.iter().zip(b).map(|(x, y)| x.as_f64().unwrap() * y.as_f64().unwrap()).sum()
}

#[tokio::test]
async fn ai_stand_in_serves_a_real_embedding_model_in_workers_ai_shapes() {
    let s = Stack::from_env();
    // Workers AI's shape: {shape: [n, d], data: [[…]]}, unit vectors of the model's dimensions.
    let out = ai(
        &s,
        E5,
        json!({ "text": [
            "query: something warm for winter camping",
            "passage: Down sleeping bag rated to -10 C, for winter camping",
            "passage: Lightweight trail running shoe with a grippy outsole",
        ] }),
    )
    .await
    .unwrap();
    assert_eq!(out["shape"], json!([3, DIMS]));
    let data = out["data"].as_array().unwrap();
    for v in data {
        assert!((cosine(v, v) - 1.0).abs() < 1e-3);
    }
    // A real model: the query is nearer the sleeping bag than the shoe, with no shared words.
    assert!(cosine(&data[0], &data[1]) > cosine(&data[0], &data[2]) + 0.03, "{out}");
    // A single string is accepted too; the same text gives the same vector.
    let one =
        ai(&s, E5, json!({ "text": "query: something warm for winter camping" })).await.unwrap();
    assert_eq!(one["shape"], json!([1, DIMS]));
    assert!((cosine(&one["data"][0], &data[0]) - 1.0).abs() < 1e-5);

    // Refused: models it does not serve (Workers AI's error), more than 100 texts, empty
    // input, and e5 texts without their prefix.
    refused(
        ai(&s, "@cf/baai/bge-base-en-v1.5", json!({ "text": ["passage: x"] })).await,
        "5007: No such model @cf/baai/bge-base-en-v1.5 or task",
    );
    let many: Vec<String> = (0..101).map(|i| format!("passage: item {i}")).collect();
    refused(ai(&s, E5, json!({ "text": many })).await, "at most 100");
    refused(ai(&s, E5, json!({ "text": [] })).await, "non-empty");
    refused(ai(&s, E5, json!({ "text": ["warm tent"] })).await, "prefixes");

    // The chat model: function calling in Workers AI's native shape; a malformed tool list is
    // refused like the real input schema would.
    let planner = "@local/crow-standin-planner-v1";
    let tools = json!([{ "type": "function", "function": { "name": "crow_search_products", "description": "d", "parameters": { "type": "object", "properties": { "query": { "type": "string", "description": "q" } } } } }]);
    let out = ai(
        &s,
        planner,
        json!({ "messages": [{ "role": "user", "content": "Which tents do we sell?" }], "tools": tools }),
    )
    .await
    .unwrap();
    assert_eq!(out["tool_calls"][0]["name"], "crow_search_products", "{out}");
    assert!(out["tool_calls"][0]["arguments"].is_object(), "{out}");
    refused(
        ai(&s, planner, json!({ "messages": [{ "role": "user", "content": "x" }], "tools": [{ "type": "function", "function": { "name": "t" } }] }))
            .await,
        "parameters",
    );
    refused(ai(&s, planner, json!({ "messages": [] })).await, "messages");
}
