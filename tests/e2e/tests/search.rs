//! Issue 05: full-text, semantic and hybrid search; the knowledge base; isolation; index upkeep.

use std::collections::{HashMap, HashSet};

use crow_e2e::{demo, send, Stack, Tenant};
use crow_search::{reciprocal_rank_fusion, RankedList};
use reqwest::Method;
use serde_json::{json, Value};

const MODES: [&str; 3] = ["fts", "semantic", "hybrid"];

fn professional(s: &Stack, t: &Tenant) {
    s.sql(&format!("UPDATE organizations SET plan = 'professional' WHERE id = '{}'", t.org_id));
}

fn enc(q: &str) -> String {
    q.bytes()
        .map(
            |b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            },
        )
        .collect()
}

async fn search(s: &Stack, t: &Tenant, path: &str, query: &str, mode: &str, limit: u32) -> Value {
    let sep = if path.contains('?') { '&' } else { '?' };
    let url = format!("{path}{sep}query={}&mode={mode}&limit={limit}", enc(query));
    let r = send(s.as_key(Method::GET, &url, &t.key)).await;
    r.assert_status(200).clone()
}

/// One labelled query: what counts as a right answer (SKUs, or knowledge-base titles).
struct Case {
    query: String,
    relevant: HashSet<String>,
    kb: bool,
}

/// recall@5 (a right answer in the first five) and MRR@10 of rankings against cases.
fn score(cases: &[Case], rankings: &[Vec<String>]) -> (f64, f64) {
    let (mut hits, mut rr) = (0.0, 0.0);
    for (c, ranking) in cases.iter().zip(rankings) {
        if let Some(pos) = ranking.iter().take(10).position(|id| c.relevant.contains(id)) {
            rr += 1.0 / (pos + 1) as f64;
            if pos < 5 {
                hits += 1.0;
            }
        }
    }
    (hits / cases.len() as f64, rr / cases.len() as f64)
}

/// The products' search text as the gateway embeds it (`routes::products::search_text`).
fn product_text(p: &Value) -> String {
    let tags: Vec<&str> =
        p["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    format!(
        "{}. {} {} {}. {}",
        p["name"].as_str().unwrap(),
        p["brand"].as_str().unwrap_or(""),
        p["category"].as_str().unwrap_or(""),
        tags.join(", "),
        p["description"].as_str().unwrap()
    )
}

/// The relevance suite over the demo catalogue and knowledge base: two sets (the exact-answer
/// set of `demo::relevance_set`, one right answer each; the shopper set of
/// `demo::shopper_queries`, right answers derived from the catalogue's attributes), recall@5 and
/// MRR@10 per mode, printed as `RELEVANCE` lines (BENCHMARKS.md). Served modes use the stack's
/// embedding model (locally multilingual-e5-small through the AI binding); for comparison the
/// previous local embedder (`crow_search::LocalEmbedder`, hashed n-grams, cosine floor 0.12) is
/// run on the host over the same product texts, fused with the served FTS ranking the way the
/// gateway fuses. Hybrid must be at least as good as the better single mode on every set.
#[tokio::test]
async fn relevance_of_each_mode() {
    let s = Stack::from_env();
    let t = s.tenant("relevance").await;
    professional(&s, &t);
    let catalogue = demo::catalogue();
    let started = std::time::Instant::now();
    for p in &catalogue {
        send(s.as_key(Method::POST, "/api/v1/products", &t.key).json(p)).await.assert_status(201);
    }
    for (title, text) in demo::knowledge_base() {
        let r = send(
            s.as_key(Method::POST, "/api/v1/qna/documents", &t.key)
                .json(&json!({ "title": title, "text": text })),
        )
        .await;
        assert!(r.assert_status(201)["chunks"].as_u64().unwrap() >= 1);
    }
    println!(
        "RELEVANCE indexing: {} products and {} documents in {:.1} s",
        catalogue.len(),
        demo::knowledge_base().len(),
        started.elapsed().as_secs_f64()
    );
    let skus: HashSet<String> = demo::catalogue_skus().into_iter().collect();
    let exact: Vec<Case> = demo::relevance_set()
        .into_iter()
        .map(|(query, expected)| Case {
            query,
            kb: !skus.contains(&expected),
            relevant: [expected].into_iter().collect(),
        })
        .collect();
    let shopper: Vec<Case> = demo::shopper_queries()
        .iter()
        .map(|q| Case {
            query: q.query.to_string(),
            relevant: demo::relevant_skus(q).into_iter().collect(),
            kb: false,
        })
        .collect();
    assert!(exact.len() >= 30 && shopper.len() >= 30);

    let hashed = crow_search::LocalEmbedder::new();
    let docs: Vec<(String, Vec<f32>)> = catalogue
        .iter()
        .map(|p| (p["sku"].as_str().unwrap().to_string(), hashed.embed(&product_text(p))))
        .collect();
    let hashed_semantic = |query: &str| -> Vec<String> {
        let hits = crow_search::top_k(&hashed.embed(query), docs.iter().cloned(), 100).unwrap();
        hits.into_iter().filter(|n| n.score >= 0.12).map(|n| n.id).collect()
    };

    for (set, cases) in [("exact", &exact), ("shopper", &shopper)] {
        let mut rankings: HashMap<&str, Vec<Vec<String>>> = HashMap::new();
        for c in cases.iter() {
            for mode in MODES {
                let ranking: Vec<String> = if c.kb {
                    let body = search(&s, &t, "/api/v1/qna/search", &c.query, mode, 10).await;
                    let mut titles: Vec<String> = Vec::new();
                    for p in body["data"].as_array().unwrap() {
                        let title = p["title"].as_str().unwrap().to_string();
                        if !titles.contains(&title) {
                            titles.push(title);
                        }
                    }
                    titles
                } else {
                    let limit = if mode == "fts" { 50 } else { 10 };
                    let body =
                        search(&s, &t, "/api/v1/products/search", &c.query, mode, limit).await;
                    body["data"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| p["sku"].as_str().unwrap().to_string())
                        .collect()
                };
                rankings.entry(mode).or_default().push(ranking);
            }
        }
        let line = |label: &str, cases: &[Case], rankings: &[Vec<String>]| {
            let (recall, mrr) = score(cases, rankings);
            println!(
                "RELEVANCE set={set} queries={} mode={label} recall@5={recall:.3} mrr@10={mrr:.3}",
                cases.len()
            );
            (recall, mrr)
        };
        let fts = line("fts", cases, &rankings["fts"]);
        let semantic = line("semantic", cases, &rankings["semantic"]);
        let hybrid = line("hybrid", cases, &rankings["hybrid"]);
        // The previous local embedder, on this set's product queries.
        let (products, fts_rankings): (Vec<&Case>, Vec<&Vec<String>>) =
            cases.iter().zip(&rankings["fts"]).filter(|(c, _)| !c.kb).unzip();
        let product_cases: Vec<Case> = products
            .iter()
            .map(|c| Case { query: c.query.clone(), relevant: c.relevant.clone(), kb: false })
            .collect();
        let hashed_sem: Vec<Vec<String>> =
            product_cases.iter().map(|c| hashed_semantic(&c.query)).collect();
        let hashed_hybrid: Vec<Vec<String>> = fts_rankings
            .iter()
            .zip(&hashed_sem)
            .map(|(f, h)| {
                let lists = [
                    RankedList::new("fts", f.as_slice()),
                    RankedList::new("semantic", h.as_slice()),
                ];
                reciprocal_rank_fusion(&lists).unwrap().into_iter().map(|hit| hit.id).collect()
            })
            .collect();
        let product_rankings = |mode: &str| -> Vec<Vec<String>> {
            cases
                .iter()
                .zip(&rankings[mode])
                .filter(|(c, _)| !c.kb)
                .map(|(_, r)| r.clone())
                .collect()
        };
        if product_cases.len() < cases.len() {
            for mode in MODES {
                line(&format!("{mode}(products)"), &product_cases, &product_rankings(mode));
            }
        }
        line("semantic-hashed(products)", &product_cases, &hashed_sem);
        line("hybrid-hashed(products)", &product_cases, &hashed_hybrid);
        assert!(
            hybrid.0 >= fts.0.max(semantic.0),
            "{set}: hybrid recall@5 {} < max(fts {}, semantic {})",
            hybrid.0,
            fts.0,
            semantic.0
        );
        assert!(hybrid.0 >= 0.8, "{set}: hybrid recall@5 {}", hybrid.0);
    }
}

#[tokio::test]
async fn another_organization_never_sees_these_items() {
    let s = Stack::from_env();
    let a = s.tenant("iso-a").await;
    let b = s.tenant("iso-b").await;
    let pa = send(s.as_key(Method::POST, "/api/v1/products", &a.key).json(&json!({ "name": "Glacier Trekking Pole", "description": "Carbon pole for glacier treks." }))).await;
    let a_id = pa.assert_status(201)["id"].as_str().unwrap().to_string();
    send(
        s.as_key(Method::POST, "/api/v1/products", &b.key)
            .json(&json!({ "name": "Glacier Mug", "description": "Enamel mug." })),
    )
    .await
    .assert_status(201);
    send(s.as_key(Method::POST, "/api/v1/qna/documents", &a.key).json(&json!({ "title": "A's secret glacier policy", "text": "Glacier treks need a guide and a permit." }))).await.assert_status(201);
    let batch = format!("/api/v1/interactions/organization/{}/batch", a.org_id);
    send(s.as_key(Method::POST, &batch, &a.key).json(&json!({ "interactions": [{ "eventId": "g1", "sourceType": "web", "kind": "search", "occurredAt": "2026-11-01", "content": "glacier trekking pole" }] }))).await.assert_status(200);
    for mode in MODES {
        let body =
            search(&s, &b, "/api/v1/products/search", "glacier trekking pole", mode, 50).await;
        assert!(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["id"] != a_id.as_str() && p["organizationId"] == b.org_id.as_str()),
            "{mode}: {body}"
        );
        let body = search(&s, &b, "/api/v1/qna/search", "glacier permit guide", mode, 20).await;
        assert_eq!(body["data"], json!([]), "{mode}");
        let body = search(
            &s,
            &b,
            &format!("/api/v1/interactions/organization/{}/search", b.org_id),
            "glacier",
            mode,
            50,
        )
        .await;
        assert_eq!(body["data"], json!([]), "{mode}");
        // And B cannot ask about A's organization directly.
        let url = format!(
            "/api/v1/interactions/organization/{}/search?query=glacier&mode={mode}",
            a.org_id
        );
        send(s.as_key(Method::GET, &url, &b.key)).await.assert_error(404, "NOT_FOUND");
        let url = format!(
            "/api/v1/products/search?query=glacier&mode={mode}&organizationId={}",
            a.org_id
        );
        send(s.as_key(Method::GET, &url, &b.key)).await.assert_error(404, "NOT_FOUND");
    }
    // A finds its own.
    for mode in MODES {
        let body =
            search(&s, &a, "/api/v1/products/search", "glacier trekking pole", mode, 5).await;
        assert_eq!(body["data"][0]["id"], a_id.as_str(), "{mode}: {body}");
    }
}

#[tokio::test]
async fn renamed_and_deleted_products_leave_the_index() {
    let s = Stack::from_env();
    let t = s.tenant("upkeep").await;
    let p = send(
        s.as_key(Method::POST, "/api/v1/products", &t.key)
            .json(&json!({ "name": "Zyxquokka Lamp", "description": "Zyxquokka lamp for tents." })),
    )
    .await;
    let id = p.assert_status(201)["id"].as_str().unwrap().to_string();
    for mode in MODES {
        let body = search(&s, &t, "/api/v1/products/search", "Zyxquokka", mode, 5).await;
        assert_eq!(body["data"][0]["id"], id.as_str(), "{mode} finds the new product: {body}");
    }
    send(
        s.as_key(Method::PATCH, &format!("/api/v1/products/{id}"), &t.key).json(
            &json!({ "name": "Plainwombat Lamp", "description": "Plainwombat lamp for huts." }),
        ),
    )
    .await
    .assert_status(200);
    for mode in MODES {
        let old = search(&s, &t, "/api/v1/products/search", "Zyxquokka", mode, 5).await;
        assert_eq!(old["data"], json!([]), "{mode}: the old name still finds it: {old}");
        let new = search(&s, &t, "/api/v1/products/search", "Plainwombat", mode, 5).await;
        assert_eq!(new["data"][0]["id"], id.as_str(), "{mode}: the new name does not: {new}");
    }
    send(s.as_key(Method::DELETE, &format!("/api/v1/products/{id}"), &t.key))
        .await
        .assert_status(200);
    for mode in MODES {
        let body = search(&s, &t, "/api/v1/products/search", "Plainwombat lamp", mode, 5).await;
        assert_eq!(body["data"], json!([]), "{mode}: deleted product still found: {body}");
    }
    let stale: Vec<Value> = s
        .vectors(&t.org_id)
        .await
        .into_iter()
        .filter(|v| v["id"] == format!("product:{id}").as_str())
        .collect();
    assert!(stale.is_empty(), "no stale vector: {stale:?}");
}

#[tokio::test]
async fn knowledge_base_documents_and_passages() {
    let s = Stack::from_env();
    let t = s.tenant("kb").await;
    let text = format!(
        "{}\n\nRentals: tents cost $15 per day and must be returned clean. {}",
        "Intro paragraph. ".repeat(60),
        "Filler sentence. ".repeat(40)
    );
    let r = send(
        s.as_key(Method::POST, "/api/v1/qna/documents", &t.key)
            .json(&json!({ "title": "Rental programme", "text": text })),
    )
    .await;
    let doc = r.assert_status(201).clone();
    assert!(doc["chunks"].as_u64().unwrap() >= 2, "{doc}");
    let body = search(
        &s,
        &t,
        "/api/v1/qna/search",
        "how much does a tent rental cost per day",
        "hybrid",
        3,
    )
    .await;
    let top = &body["data"][0];
    assert_eq!(top["documentId"], doc["id"]);
    assert_eq!(top["title"], "Rental programme");
    let (start, end) =
        (top["charStart"].as_u64().unwrap() as usize, top["charEnd"].as_u64().unwrap() as usize);
    let slice: String = text.chars().skip(start).take(end - start).collect();
    assert_eq!(slice, top["text"].as_str().unwrap(), "offsets point into the document");
    assert!(slice.contains("$15 per day"));
    // Listing, reading, deleting.
    assert_eq!(send(s.as_key(Method::GET, "/api/v1/qna/documents", &t.key)).await.body["total"], 1);
    let got = send(s.as_key(
        Method::GET,
        &format!("/api/v1/qna/documents/{}", doc["id"].as_str().unwrap()),
        &t.key,
    ))
    .await;
    assert_eq!(got.assert_status(200)["content"], text.trim());
    send(s.as_key(
        Method::DELETE,
        &format!("/api/v1/qna/documents/{}", doc["id"].as_str().unwrap()),
        &t.key,
    ))
    .await
    .assert_status(200);
    for mode in MODES {
        let body = search(&s, &t, "/api/v1/qna/search", "tent rental cost", mode, 3).await;
        assert_eq!(body["data"], json!([]), "{mode}");
    }
    // Validation from the product description: query length, mode allowlist, limit bounds.
    for (q, field) in [
        (format!("query={}", "a".repeat(513)), "query"),
        ("query=".to_string(), "query"),
        ("query=tent&mode=magic".to_string(), "mode"),
        ("query=tent&limit=0".to_string(), "limit"),
        ("query=tent&limit=21".to_string(), "limit"),
    ] {
        let r = send(s.as_key(Method::GET, &format!("/api/v1/qna/search?{q}"), &t.key)).await;
        assert_eq!(r.assert_error(400, "VALIDATION_ERROR")["field"], field, "{q}");
    }
}

#[tokio::test]
async fn crawled_pages_become_searchable() {
    let s = Stack::from_env();
    let t = s.tenant("crawlsearch").await;
    let base = crow_e2e::serve_page("<title>Bike repairs</title><p>Our workshop trues wheels and bleeds hydraulic brakes within 48 hours.</p>").await;
    let r = send(
        s.as_key(Method::POST, "/api/v1/crawler-jobs", &t.key)
            .json(&json!({ "url": format!("{base}/repairs") })),
    )
    .await;
    let job = s.wait_for_job(&t.key, r.assert_status(202)["id"].as_str().unwrap(), 30).await;
    assert_eq!(job["status"], "completed");
    let body = search(&s, &t, "/api/v1/qna/search", "hydraulic brake bleed", "hybrid", 3).await;
    assert_eq!(body["data"][0]["documentId"], job["documentId"], "{body}");
    assert_eq!(body["data"][0]["title"], "Bike repairs");
}

#[tokio::test]
async fn interaction_and_pattern_search_with_filters() {
    let s = Stack::from_env();
    let t = s.tenant("isearch").await;
    let batch = format!("/api/v1/interactions/organization/{}/batch", t.org_id);
    let items: Vec<Value> = demo::interactions(&demo::catalogue_skus(), 300, 11);
    send(s.as_key(Method::POST, &batch, &t.key).json(&json!({ "interactions": items })))
        .await
        .assert_status(200);
    send(
        s.as_key(Method::POST, &format!("/api/v1/patterns/organization/{}", t.org_id), &t.key)
            .json(&json!({ "patterns": demo::patterns() })),
    )
    .await
    .assert_status(201);
    let path = format!("/api/v1/interactions/organization/{}/search?sourceType=cctv", t.org_id);
    for mode in MODES {
        let body = search(&s, &t, &path, "climbing wall", mode, 10).await;
        let data = body["data"].as_array().unwrap();
        assert!(data.iter().all(|i| i["sourceType"] == "cctv"), "{mode}");
        if mode != "semantic" {
            assert!(!data.is_empty(), "{mode} found nothing");
        }
    }
    let body = search(
        &s,
        &t,
        &format!("/api/v1/patterns/organization/{}/search?period=weekly", t.org_id),
        "weekend",
        "hybrid",
        10,
    )
    .await;
    let data = body["data"].as_array().unwrap();
    assert!(!data.is_empty() && data.iter().all(|p| p["period"] == "weekly"), "{body}");
}
