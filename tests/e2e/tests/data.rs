//! Issue 04: products, AI descriptions, interactions, patterns, notifications, crawler jobs.

use std::collections::BTreeSet;

use crow_e2e::{send, serve_hanging, serve_huge, serve_page, serve_redirects, Stack, Tenant};
use reqwest::Method;
use serde_json::{json, Value};

/// Lifts a test tenant to the Professional plan (1,000 requests a minute) for tests that make
/// many calls.
fn professional(s: &Stack, t: &Tenant) {
    s.sql(&format!("UPDATE organizations SET plan = 'professional' WHERE id = '{}'", t.org_id));
}

async fn create_product(s: &Stack, t: &Tenant, body: Value) -> Value {
    let r = send(s.as_key(Method::POST, "/api/v1/products", &t.key).json(&body)).await;
    r.assert_status(201).clone()
}

#[tokio::test]
async fn products_crud_and_errors() {
    let s = Stack::from_env();
    let t = s.tenant("products").await;
    let p = create_product(
        &s,
        &t,
        json!({
            "name": "Trail Runner 2", "sku": "TR-2", "category": "Footwear", "brand": "Crow",
            "priceCents": 12950, "currency": "EUR", "tags": ["running", "waterproof"],
            "description": "Lightweight trail shoe with a grippy outsole."
        }),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    assert_eq!(p["organizationId"], t.org_id.as_str());
    assert_eq!(p["tags"], json!(["running", "waterproof"]));
    let path = format!("/api/v1/products/{id}");
    let got = send(s.as_key(Method::GET, &path, &t.key)).await;
    assert_eq!(got.assert_status(200)["name"], "Trail Runner 2");

    let r = send(
        s.as_key(Method::PATCH, &path, &t.key)
            .json(&json!({ "name": "Trail Runner 3", "priceCents": 13950 })),
    )
    .await;
    let body = r.assert_status(200);
    assert_eq!(
        (body["name"].as_str(), body["priceCents"].as_i64(), body["sku"].as_str()),
        (Some("Trail Runner 3"), Some(13950), Some("TR-2"))
    );

    // Errors: duplicate SKU, bad fields, unknown fields; none of them change the product.
    let dup = send(
        s.as_key(Method::POST, "/api/v1/products", &t.key)
            .json(&json!({ "name": "Other", "sku": "TR-2" })),
    )
    .await;
    assert_eq!(dup.assert_error(409, "CONFLICT")["field"], "sku");
    for (body, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "priceCents": -5 }), "priceCents"),
        (json!({ "currency": "euro" }), "currency"),
        (json!({ "organizationId": "org_x" }), "organizationId"),
    ] {
        let r = send(s.as_key(Method::PATCH, &path, &t.key).json(&body)).await;
        assert_eq!(r.assert_error(400, "VALIDATION_ERROR")["field"], field, "{body}");
    }
    let after = send(s.as_key(Method::GET, &path, &t.key)).await;
    assert_eq!(after.body["name"], "Trail Runner 3");
    assert_eq!(after.body["priceCents"], 13950);

    send(s.as_key(Method::DELETE, &path, &t.key)).await.assert_status(200);
    send(s.as_key(Method::GET, &path, &t.key)).await.assert_error(404, "NOT_FOUND");
    send(s.as_key(Method::DELETE, &path, &t.key)).await.assert_error(404, "NOT_FOUND");
    send(s.as_key(Method::GET, "/api/v1/products/prd_does_not_exist", &t.key))
        .await
        .assert_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn product_lists_paginate_at_the_boundaries() {
    let s = Stack::from_env();
    let t = s.tenant("plist").await;
    let mut ids = BTreeSet::new();
    for i in 0..5 {
        let p = create_product(&s, &t, json!({ "name": format!("Item {i}"), "category": if i % 2 == 0 { "Even" } else { "Odd" } })).await;
        ids.insert(p["id"].as_str().unwrap().to_string());
    }
    let base = format!("/api/v1/products/organization/{}", t.org_id);
    // Walk with cursors: 2 + 2 + 1, no duplicates, nothing missed, null cursor at the end.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            Some(c) => format!("{base}?limit=2&cursor={c}"),
            None => format!("{base}?limit=2"),
        };
        let r = send(s.as_key(Method::GET, &url, &t.key)).await;
        let body = r.assert_status(200).clone();
        assert_eq!(body["total"], 5);
        pages += 1;
        seen.extend(
            body["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()),
        );
        match body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5);
    assert_eq!(seen.iter().cloned().collect::<BTreeSet<_>>(), ids);
    // Newest first.
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted);
    // Exactly one full page: no next cursor.
    let r = send(s.as_key(Method::GET, &format!("{base}?limit=5"), &t.key)).await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 5);
    assert_eq!(r.body["nextCursor"], Value::Null);
    // Page mode.
    let r = send(s.as_key(Method::GET, &format!("{base}?limit=2&page=3"), &t.key)).await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["page"], 3);
    let r = send(s.as_key(Method::GET, &format!("{base}?limit=2&page=4"), &t.key)).await;
    assert_eq!(r.body["data"], json!([]));
    // Filter.
    let r = send(s.as_key(Method::GET, &format!("{base}?category=Odd"), &t.key)).await;
    assert_eq!(r.body["total"], 2);
    // Invalid values are refused, not clamped.
    for (q, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("page=0", "page"),
        ("cursor=%21%21", "cursor"),
        ("page=1&cursor=x", "page"),
    ] {
        let r = send(s.as_key(Method::GET, &format!("{base}?{q}"), &t.key)).await;
        assert_eq!(r.assert_error(400, "VALIDATION_ERROR")["field"], field, "{q}");
    }
}

#[tokio::test]
async fn ai_descriptions_are_generated_from_the_product_and_stored() {
    let s = Stack::from_env();
    let t = s.tenant("aidesc").await;
    let p = create_product(&s, &t, json!({ "name": "Alpine Jacket", "brand": "Crow", "category": "Outerwear", "priceCents": 19900, "tags": ["waterproof"], "description": "Three-layer shell for wet ridges." })).await;
    let path = format!("/api/v1/products/{}/ai-descriptions", p["id"].as_str().unwrap());
    let r = send(s.as_key(Method::GET, &path, &t.key)).await;
    assert_eq!(r.assert_status(200)["descriptions"], json!([]));
    let before = s.standin_calls().await;
    let r = send(s.as_key(Method::POST, &path, &t.key)).await;
    let body = r.assert_status(201);
    // Written through the AI binding (the stand-in's describer, named as such), and metered.
    let model = "@local/crow-standin-describer-v1";
    let key = format!("ai:{model}");
    let calls = |v: &Value| v[key.as_str()].as_u64().unwrap_or(0);
    assert_eq!(calls(&s.standin_calls().await), calls(&before) + 1);
    assert!(r.header("server-timing").unwrap_or("").contains("ai;desc=\"1\""), "{:?}", r.headers);
    let d = body["descriptions"].as_array().unwrap();
    assert_eq!(d.len(), 3);
    let styles: BTreeSet<&str> = d.iter().map(|x| x["style"].as_str().unwrap()).collect();
    assert_eq!(styles, ["detailed", "seo", "short"].into_iter().collect());
    for x in d {
        assert_eq!(x["model"], model);
        assert!(x["text"].as_str().unwrap().contains("Alpine Jacket"), "{x}");
        assert!(x["generatedAt"].is_string());
    }
    assert!(d.iter().any(|x| x["text"].as_str().unwrap().contains("Three-layer shell")));
    // Regenerating replaces the set; reading returns what was stored.
    send(
        s.as_key(Method::PATCH, &format!("/api/v1/products/{}", p["id"].as_str().unwrap()), &t.key)
            .json(&json!({ "name": "Alpine Jacket Pro" })),
    )
    .await
    .assert_status(200);
    send(s.as_key(Method::POST, &path, &t.key)).await.assert_status(201);
    let r = send(s.as_key(Method::GET, &path, &t.key)).await;
    let d = r.body["descriptions"].as_array().unwrap().clone();
    assert_eq!(d.len(), 3);
    assert!(d.iter().all(|x| x["text"].as_str().unwrap().contains("Alpine Jacket Pro")));
}

fn interactions(prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let source = ["web", "cctv", "social"][i % 3];
            json!({
                "eventId": format!("{prefix}-{i}"),
                "sourceType": source,
                "kind": if source == "cctv" { "footfall" } else { "page_view" },
                "occurredAt": format!("2026-11-{:02}T10:{:02}:00Z", 1 + i % 28, i % 60),
                "content": format!("event {i} about trail shoes"),
            })
        })
        .collect()
}

#[tokio::test]
async fn interactions_ingest_idempotently_and_summaries_add_up() {
    let s = Stack::from_env();
    let t = s.tenant("interactions").await;
    professional(&s, &t);
    let batch = format!("/api/v1/interactions/organization/{}/batch", t.org_id);
    let items = interactions("ev", 90);
    let r =
        send(s.as_key(Method::POST, &batch, &t.key).json(&json!({ "interactions": items }))).await;
    assert_eq!(
        r.assert_status(200),
        &json!({ "received": 90, "inserted": 90, "duplicates": 0, "linked": 0 })
    );
    // The same batch again changes nothing.
    let r =
        send(s.as_key(Method::POST, &batch, &t.key).json(&json!({ "interactions": items }))).await;
    assert_eq!(
        r.assert_status(200),
        &json!({ "received": 90, "inserted": 0, "duplicates": 90, "linked": 0 })
    );
    // A batch overlapping the first by half inserts only the new half.
    let mut more = interactions("ev", 90)[45..].to_vec();
    more.extend(interactions("ev2", 30));
    let r =
        send(s.as_key(Method::POST, &batch, &t.key).json(&json!({ "interactions": more }))).await;
    assert_eq!(r.assert_status(200)["inserted"], 30);

    let summary = send(s.as_key(
        Method::GET,
        &format!("/api/v1/interactions/organization/{}/summary", t.org_id),
        &t.key,
    ))
    .await;
    let sm = summary.assert_status(200);
    assert_eq!(sm["total"], 120);
    assert_eq!(
        sm["web"].as_u64().unwrap() + sm["cctv"].as_u64().unwrap() + sm["social"].as_u64().unwrap(),
        120
    );
    assert_eq!(
        (sm["web"].as_u64(), sm["cctv"].as_u64(), sm["social"].as_u64()),
        (Some(40), Some(40), Some(40))
    );

    // An invalid item rejects the whole batch, naming the item; nothing is written.
    let mut bad = interactions("bad", 3);
    bad[2]["sourceType"] = json!("email");
    let r =
        send(s.as_key(Method::POST, &batch, &t.key).json(&json!({ "interactions": bad }))).await;
    assert_eq!(r.assert_error(400, "VALIDATION_ERROR")["field"], "interactions[2].sourceType");
    let too_many = interactions("big", 501);
    let r = send(s.as_key(Method::POST, &batch, &t.key).json(&json!({ "interactions": too_many })))
        .await;
    assert_eq!(r.assert_error(400, "VALIDATION_ERROR")["field"], "interactions");
    let again = send(s.as_key(
        Method::GET,
        &format!("/api/v1/interactions/organization/{}/summary", t.org_id),
        &t.key,
    ))
    .await;
    assert_eq!(again.body["total"], 120);

    // Listing: channel filter, date range, every row exactly once across pages.
    let list = format!("/api/v1/interactions/organization/{}", t.org_id);
    let r = send(s.as_key(Method::GET, &format!("{list}?sourceType=cctv&limit=100"), &t.key)).await;
    let rows = r.assert_status(200)["data"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 40);
    assert!(rows.iter().all(|x| x["sourceType"] == "cctv"));
    send(s.as_key(Method::GET, &format!("{list}?sourceType=email"), &t.key))
        .await
        .assert_error(400, "VALIDATION_ERROR");
    let r = send(s.as_key(
        Method::GET,
        &format!("{list}?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&limit=100"),
        &t.key,
    ))
    .await;
    let day1 = r.assert_status(200)["data"].as_array().unwrap().clone();
    assert!(
        !day1.is_empty()
            && day1.iter().all(|x| x["occurredAt"].as_str().unwrap().starts_with("2026-11-01"))
    );
    let range = send(s.as_key(
        Method::GET,
        &format!(
            "/api/v1/interactions/organization/{}/summary?from=2026-11-01&to=2026-11-02",
            t.org_id
        ),
        &t.key,
    ))
    .await;
    assert_eq!(range.body["total"].as_u64().unwrap() as usize, day1.len());
    send(s.as_key(Method::GET, &format!("{list}?from=yesterday"), &t.key))
        .await
        .assert_error(400, "VALIDATION_ERROR");
    let mut seen = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{list}?limit=33&cursor={c}"),
            None => format!("{list}?limit=33"),
        };
        let r = send(s.as_key(Method::GET, &url, &t.key)).await;
        for x in r.body["data"].as_array().unwrap() {
            assert!(
                seen.insert(x["eventId"].as_str().unwrap().to_string()),
                "duplicate across pages"
            );
        }
        match r.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 120);
}

#[tokio::test]
async fn patterns_by_period() {
    let s = Stack::from_env();
    let t = s.tenant("patterns").await;
    let path = format!("/api/v1/patterns/organization/{}", t.org_id);
    let r = send(s.as_key(Method::POST, &path, &t.key).json(&json!({ "patterns": [
        { "period": "weekly", "title": "Weekend footfall peak", "periodStart": "2026-11-02", "metric": "footfall", "value": 1.42, "confidence": 0.9 },
        { "period": "daily", "title": "Lunch-time web spike", "periodStart": "2026-11-03T12:00:00Z" },
        { "period": "monthly", "title": "Outerwear season", "periodStart": "2026-11-01", "description": "Jackets up 30%." },
    ]}))).await;
    assert_eq!(r.assert_status(201)["created"], 3);
    let r = send(s.as_key(Method::GET, &format!("{path}?period=weekly"), &t.key)).await;
    let rows = r.assert_status(200)["data"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["title"], "Weekend footfall peak");
    assert_eq!(rows[0]["value"], 1.42);
    assert_eq!(rows[0]["confidence"], 0.9);
    assert_eq!(send(s.as_key(Method::GET, &path, &t.key)).await.body["total"], 3);
    let r = send(s.as_key(Method::GET, &format!("{path}?period=hourly"), &t.key)).await;
    assert_eq!(r.assert_error(400, "VALIDATION_ERROR")["field"], "period");
    let r = send(s.as_key(Method::POST, &path, &t.key).json(&json!({ "patterns": [{ "period": "weekly", "title": "x", "periodStart": "2026-11-02", "confidence": 2 }] }))).await;
    assert_eq!(r.assert_error(400, "VALIDATION_ERROR")["field"], "patterns[0].confidence");
    assert_eq!(send(s.as_key(Method::GET, &path, &t.key)).await.body["total"], 3);
}

const PAGE: &str = "<html><head><title>Returns policy</title></head><body><h1>Returns</h1>\
<p>Unworn items can be returned within 30 days with the receipt.</p><script>ignored()</script></body></html>";

#[tokio::test]
async fn crawler_jobs_fetch_extract_store_and_notify() {
    let s = Stack::from_env();
    let t = s.tenant("crawler").await;
    let base = serve_page(PAGE).await;
    let r = send(
        s.as_user(Method::POST, "/api/v1/crawler-jobs", &t.cookie)
            .json(&json!({ "url": format!("{base}/returns") })),
    )
    .await;
    let job = r.assert_status(202).clone();
    assert_eq!(job["status"], "queued");
    let job = s.wait_for_job(&t.key, job["id"].as_str().unwrap(), 30).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["title"], "Returns policy");
    assert_eq!(job["progress"], 100);
    assert!(job["documentId"].as_str().unwrap().starts_with("doc_"));
    let doc = s.sql(&format!(
        "SELECT title, content, organization_id FROM documents WHERE id = '{}'",
        job["documentId"].as_str().unwrap()
    ));
    assert!(doc[0]["content"].as_str().unwrap().contains("returned within 30 days"));
    assert!(!doc[0]["content"].as_str().unwrap().contains("ignored()"));
    assert_eq!(doc[0]["organization_id"], t.org_id.as_str());

    // The user who created it is notified.
    let r = send(s.as_user(Method::GET, "/api/v1/notifications/unread-count", &t.cookie)).await;
    assert_eq!(r.assert_status(200)["unread"], 1);
    let r = send(s.as_user(Method::GET, "/api/v1/notifications?unread=true", &t.cookie)).await;
    let n = r.body["data"][0].clone();
    assert_eq!(n["kind"], "crawler.completed");
    assert_eq!(n["data"]["jobId"], job["id"]);
    let r = send(s.as_user(
        Method::POST,
        &format!("/api/v1/notifications/{}/read", n["id"].as_str().unwrap()),
        &t.cookie,
    ))
    .await;
    assert_eq!(r.assert_status(200)["read"], true);
    assert_eq!(
        send(s.as_user(Method::GET, "/api/v1/notifications/unread-count", &t.cookie)).await.body
            ["unread"],
        0
    );
    assert_eq!(
        send(s.as_user(Method::GET, "/api/v1/notifications?unread=false", &t.cookie)).await.body
            ["total"],
        1
    );
    send(s.as_user(Method::POST, "/api/v1/notifications/read-all", &t.cookie))
        .await
        .assert_status(200);
    // Someone else cannot touch it.
    let other = s.tenant("crawler-other").await;
    send(s.as_user(
        Method::POST,
        &format!("/api/v1/notifications/{}/read", n["id"].as_str().unwrap()),
        &other.cookie,
    ))
    .await
    .assert_error(404, "NOT_FOUND");

    // A finished job cannot be cancelled; the list shows it.
    let r = send(s.as_key(
        Method::POST,
        &format!("/api/v1/crawler-jobs/{}/cancel", job["id"].as_str().unwrap()),
        &t.key,
    ))
    .await;
    r.assert_error(409, "CONFLICT");
    let r = send(s.as_key(Method::GET, "/api/v1/crawler-jobs?status=completed", &t.key)).await;
    assert_eq!(r.assert_status(200)["total"], 1);
}

#[tokio::test]
async fn crawler_refuses_private_targets() {
    let s = Stack::from_env();
    let t = s.tenant("ssrf").await;
    for url in [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.1.1/admin",
        "file:///etc/passwd",
        "http://[fd00::1]/",
        "ftp://example.com/",
    ] {
        let r = send(
            s.as_key(Method::POST, "/api/v1/crawler-jobs", &t.key).json(&json!({ "url": url })),
        )
        .await;
        assert_eq!(r.assert_error(400, "VALIDATION_ERROR")["field"], "url", "{url}");
    }
    assert_eq!(
        send(s.as_key(Method::GET, "/api/v1/crawler-jobs", &t.key)).await.body["total"],
        0,
        "nothing was queued"
    );
}

#[tokio::test]
async fn crawler_redirects_are_resolved_by_the_url_standard_and_rechecked() {
    let s = Stack::from_env();
    let t = s.tenant("redirects").await;
    let (base, seen) = serve_redirects(
        &[
            // Odd spellings of 127.0.0.1 (allowed locally): fetched at the canonical address.
            ("/start", "http://127.0.0.0x1:{port}/hop"),
            ("/hop", "/\\127.0.0.1:{port}/final-a"),
            // A mapped IPv6 spelling of loopback: refused even with the local setting.
            ("/mapped", "http://[::ffff:127.0.0.1]:{port}/final-m"),
            ("/loop", "/loop"),
        ],
        PAGE,
    )
    .await;
    let port = base.rsplit(':').next().unwrap();
    let create = |url: String| {
        let s = &s;
        let t = &t;
        async move {
            let r = send(
                s.as_key(Method::POST, "/api/v1/crawler-jobs", &t.key).json(&json!({ "url": url })),
            )
            .await;
            let job = r.assert_status(202).clone();
            s.wait_for_job(&t.key, job["id"].as_str().unwrap(), 30).await
        }
    };

    // The job keeps the canonical form of what was submitted, and the page is stored under the
    // canonical URL of the last hop.
    let job = create(format!("http://0x7f.1:{port}/start")).await;
    assert_eq!(job["url"], format!("{base}/start"), "{job}");
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["title"], "Returns policy");
    let doc = s.sql(&format!(
        "SELECT source_url FROM documents WHERE id = '{}'",
        job["documentId"].as_str().unwrap()
    ));
    assert_eq!(doc[0]["source_url"], format!("{base}/final-a"));

    let job = create(format!("{base}/mapped")).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["error"].as_str().unwrap().contains("refused redirect"), "{job}");
    assert_eq!(job["documentId"], Value::Null);

    let job = create(format!("{base}/loop")).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["error"].as_str().unwrap().contains("more than 5 redirects"), "{job}");

    let seen = seen.lock().unwrap().clone();
    assert!(!seen.iter().any(|p| p == "/final-m"), "the refused hop was never fetched: {seen:?}");
    assert_eq!(seen.iter().filter(|p| *p == "/loop").count(), 6, "one fetch and five redirects");
    assert_eq!(seen.iter().filter(|p| *p == "/final-a").count(), 1, "{seen:?}");
}

#[tokio::test]
async fn a_cancelled_job_stays_cancelled_and_stores_nothing() {
    let s = Stack::from_env();
    let t = s.tenant("cancel").await;
    let base = serve_hanging().await;
    let r = send(
        s.as_key(Method::POST, "/api/v1/crawler-jobs", &t.key)
            .json(&json!({ "url": format!("{base}/slow") })),
    )
    .await;
    let id = r.assert_status(202)["id"].as_str().unwrap().to_string();
    let r =
        send(s.as_key(Method::POST, &format!("/api/v1/crawler-jobs/{id}/cancel"), &t.key)).await;
    assert_eq!(r.assert_status(200)["status"], "cancelled");
    // Past the crawler's 10 s deadline the job is still cancelled and left no document.
    tokio::time::sleep(std::time::Duration::from_secs(12)).await;
    let job = send(s.as_key(Method::GET, &format!("/api/v1/crawler-jobs/{id}"), &t.key)).await;
    assert_eq!(job.body["status"], "cancelled");
    assert_eq!(job.body["documentId"], Value::Null);
    let docs = s.sql(&format!(
        "SELECT COUNT(*) AS n FROM documents WHERE organization_id = '{}'",
        t.org_id
    ));
    assert_eq!(docs[0]["n"], 0);
}

#[tokio::test]
async fn a_hanging_site_fails_the_job_after_the_deadline() {
    let s = Stack::from_env();
    let t = s.tenant("hang").await;
    let base = serve_hanging().await;
    let r = send(
        s.as_key(Method::POST, "/api/v1/crawler-jobs", &t.key)
            .json(&json!({ "url": format!("{base}/never") })),
    )
    .await;
    let id = r.assert_status(202)["id"].as_str().unwrap().to_string();
    let started = std::time::Instant::now();
    let job = s.wait_for_job(&t.key, &id, 30).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["error"].as_str().unwrap().contains("timed out"), "{job}");
    assert!(started.elapsed().as_secs() < 25);
}

#[tokio::test]
async fn a_site_sending_100_mb_fails_the_job_at_the_size_cap() {
    let s = Stack::from_env();
    let t = s.tenant("huge").await;
    // Once announcing its length (refused from the headers), once streaming without a length
    // (refused once 2 MiB have arrived): either way the job fails promptly, reading only a small
    // part of the 100 MB, and leaves no document behind.
    for announce in [true, false] {
        let (base, sent) = serve_huge(announce).await;
        let r = send(
            s.as_key(Method::POST, "/api/v1/crawler-jobs", &t.key)
                .json(&json!({ "url": format!("{base}/huge") })),
        )
        .await;
        let id = r.assert_status(202)["id"].as_str().unwrap().to_string();
        let started = std::time::Instant::now();
        let job = s.wait_for_job(&t.key, &id, 30).await;
        assert_eq!(job["status"], "failed", "{job}");
        assert!(job["error"].as_str().unwrap().contains("larger than"), "{job}");
        assert_eq!(job["documentId"], Value::Null);
        assert!(started.elapsed().as_secs() < 20, "fails promptly: {:?}", started.elapsed());
        let read = sent.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            read < 50 * 1024 * 1024,
            "the crawler stopped reading early, not after {read} bytes"
        );
    }
    let docs = s.sql(&format!(
        "SELECT COUNT(*) AS n FROM documents WHERE organization_id = '{}'",
        t.org_id
    ));
    assert_eq!(docs[0]["n"], 0);
}
