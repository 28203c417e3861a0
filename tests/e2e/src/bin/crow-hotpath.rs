//! The CPU side of the hot path, measured on the host: what one request costs in our own code
//! (credential checks and hashing, the rate-limit decision, JSON-RPC parsing, serialising a page
//! of products, the local embedder and k-NN scan) as opposed to the binding round trips the
//! Server-Timing figures show. `scripts/bench.sh` runs it and puts the figures into
//! BENCHMARKS.md; the workers run the same code compiled to wasm, typically 1.5 to 2× slower.
//!
//!   crow-hotpath [--millis 300]    # time per operation, median of 5 rounds
//!
//! Prints one JSON object: {"ops": [{"label", "ns_per_op"}]}.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crow_common::credentials::{self, Presented};
use crow_common::ratelimit::{self, Policy, State, Tier};
use crow_common::{crypto, jsonrpc};
use crow_search::embed::LocalEmbedder;
use crow_search::vector::{dequantize_i8, quantize_i8, top_k};
use serde_json::json;

/// Nanoseconds per call of `f`: the median of 5 rounds, each running `f` for about `budget`.
fn measure(budget: Duration, mut f: impl FnMut()) -> f64 {
    // Calibrate: how many calls fill the budget.
    let mut n: u64 = 1;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        if t.elapsed() >= budget / 10 || n >= 1 << 30 {
            n = ((n as f64) * budget.as_secs_f64() / t.elapsed().as_secs_f64().max(1e-9)).max(1.0)
                as u64;
            break;
        }
        n *= 2;
    }
    let mut rounds: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[2]
}

fn main() {
    let mut millis = 300u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--millis" => millis = args.next().and_then(|v| v.parse().ok()).expect("--millis N"),
            other => panic!("unknown flag {other}"),
        }
    }
    let budget = Duration::from_millis(millis);
    let key = credentials::generate_api_key().expect("random").plaintext;
    let bearer = format!("Bearer {key}");
    let secret = "local-session-secret-of-32-bytes!";
    let cookie = format!(
        "other=1; better-auth.session_token={}",
        credentials::sign_session_token(secret, "tok_abcdefghijklmnopqrstuvwxyz")
    );
    let policy = Policy::for_tier(Tier::Professional, None);
    let rpc = json!({ "jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": { "name": "crow_search_products", "arguments": { "query": "waterproof hiking boots", "limit": 10, "mode": "hybrid" } } }).to_string();
    let page = json!({ "data": (0..50).map(|i| json!({
        "id": format!("prd_01m8kzq6tavrwafg15703we{i:03}"), "organizationId": "org_01m8kzq5zvrkamwyz59rzq41gn",
        "name": format!("Northvale Granite Mid GTX Hiking Boot {i}"), "sku": format!("NV-GM-{i}"), "category": "Footwear",
        "brand": "Northvale", "priceCents": 18900 + i, "currency": "USD", "tags": ["hiking", "waterproof", "leather"],
        "description": "Full-grain nubuck leather boot with a waterproof, breathable membrane and a grippy outsole for rocky trails.",
        "createdAt": "2026-11-29T15:45:29.861Z", "updatedAt": "2026-11-29T15:45:29.861Z" })).collect::<Vec<_>>(),
        "pagination": { "limit": 50, "total": 400, "nextCursor": "eyJ0IjoxNzY0NDMxMTI5ODYxLCJpIjoicHJkXzAxIn0" } });
    let embedder = LocalEmbedder::new();
    let catalogue: Vec<(usize, Vec<u8>)> = (0..400)
        .map(|i| {
            (
                i,
                quantize_i8(&embedder.embed(&format!(
                    "product {i} trail running shoe hiking boot rain jacket tent {}",
                    i % 17
                ))),
            )
        })
        .collect();
    let query = embedder.embed("waterproof hiking boots for rocky trails");

    let mut ops: Vec<(&str, f64)> = Vec::new();
    ops.push((
        "API key: parse the Authorization header, check format and checksum",
        measure(budget, || {
            let p = credentials::presented(black_box(Some(bearer.as_str())), None, None)
                .expect("valid");
            if let Some(Presented::ApiKey(k)) = p {
                credentials::check_api_key_format(&k).expect("valid");
            }
        }),
    ));
    ops.push((
        "API key: SHA-256 for the lookup",
        measure(budget, || {
            black_box(credentials::hash_api_key(black_box(&key)));
        }),
    ));
    ops.push((
        "session cookie: find and verify the HMAC",
        measure(budget, || {
            let v = credentials::session_cookie_value(black_box(&cookie)).expect("cookie");
            black_box(credentials::verify_session_cookie(secret, v));
        }),
    ));
    ops.push((
        "internal key: constant-time comparison",
        measure(budget, || {
            black_box(crypto::secret_eq(black_box(&key), black_box(&key)));
        }),
    ));
    let mut state = State::default();
    let mut now = 1_764_000_000_000u64;
    ops.push((
        "rate limit: sliding-window decision (two windows)",
        measure(budget, || {
            now += 1;
            let d = ratelimit::check(&policy, &mut state, now, 1);
            if !d.allowed {
                state = State::default();
            }
            black_box(d);
        }),
    ));
    ops.push((
        "JSON-RPC: parse a tools/call message",
        measure(budget, || {
            black_box(jsonrpc::parse(black_box(rpc.as_bytes())));
        }),
    ));
    ops.push((
        "JSON: serialise a page of 50 products",
        measure(budget, || {
            black_box(serde_json::to_vec(black_box(&page)).expect("json"));
        }),
    ));
    ops.push((
        "local embedder: embed a 6-word query",
        measure(budget, || {
            black_box(embedder.embed(black_box("waterproof hiking boots for rocky trails")));
        }),
    ));
    ops.push((
        "local k-NN: scan 400 int8 vectors, top 10",
        measure(budget, || {
            let hits = top_k(&query, catalogue.iter().map(|(i, v)| (*i, dequantize_i8(v))), 10)
                .expect("scan");
            black_box(hits);
        }),
    ));
    let out = json!({ "ops": ops.iter().map(|(label, ns)| json!({ "label": label, "ns_per_op": ns })).collect::<Vec<_>>() });
    println!("{out}");
}
