//! Issue 12: interactions linked to their products at ingest, and the analytics endpoints. Every
//! figure is checked against SQL written here, independently of the gateway's (products are
//! matched by the SKU in the interaction's attributes, not by the stored link).

use std::collections::BTreeMap;

use crow_e2e::{demo, send, Stack, Tenant};
use reqwest::Method;
use serde_json::{json, Value};

/// The demo window, fixed: 2026-08-03 .. 2026-11-01.
const FROM: &str = "2026-08-03T00:00:00Z";
const TO: &str = "2026-11-01T00:00:00Z";

/// A professional tenant with the demo catalogue and all 3,000 demo interactions.
async fn demo_tenant(s: &Stack, label: &str) -> (Tenant, u64) {
    let t = s.tenant(label).await;
    s.sql(&format!("UPDATE organizations SET plan = 'professional' WHERE id = '{}'", t.org_id));
    for p in demo::catalogue() {
        send(s.as_key(Method::POST, "/api/v1/products", &t.key).json(&p)).await.assert_status(201);
    }
    let items =
        demo::interactions(&demo::catalogue_skus(), demo::DEMO_INTERACTIONS, demo::DEMO_SEED);
    let path = format!("/api/v1/interactions/organization/{}/batch", t.org_id);
    let mut linked = 0;
    for chunk in items.chunks(500) {
        let r = send(s.as_key(Method::POST, &path, &t.key).json(&json!({ "interactions": chunk })))
            .await;
        linked += r.assert_status(200)["linked"].as_u64().unwrap();
    }
    (t, linked)
}

fn get(s: &Stack, t: &Tenant, path: &str) -> reqwest::RequestBuilder {
    s.as_key(Method::GET, &format!("/api/v1/analytics/organization/{}/{path}", t.org_id), &t.key)
}

fn n(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test]
async fn ingest_links_interactions_by_product_id_or_sku_inside_the_organization() {
    let s = Stack::from_env();
    let (t, linked) = demo_tenant(&s, "an-link").await;
    // Every demo event but footfall names a catalogue SKU.
    let expected =
        demo::interactions(&demo::catalogue_skus(), demo::DEMO_INTERACTIONS, demo::DEMO_SEED)
            .iter()
            .filter(|i| i["attributes"]["sku"].is_string())
            .count() as u64;
    assert!(expected > 2000, "{expected}");
    assert_eq!(linked, expected);
    let rows = s.sql(&format!(
        "SELECT COUNT(*) AS n, SUM(p.sku = json_extract(i.attributes, '$.sku')) AS right_sku FROM interactions i \
         JOIN products p ON p.id = i.product_id WHERE i.organization_id = '{}' AND p.organization_id = '{}'",
        t.org_id, t.org_id
    ));
    assert_eq!(
        (rows[0]["n"].as_u64(), rows[0]["right_sku"].as_u64()),
        (Some(expected), Some(expected))
    );

    // By productId; an unknown SKU and another tenant's product stay unlinked; a repeat counts
    // nothing.
    let other = s.tenant("an-link-other").await;
    let foreign = send(
        s.as_key(Method::POST, "/api/v1/products", &other.key)
            .json(&json!({ "name": "Theirs", "sku": "THEIRS-1" })),
    )
    .await;
    let foreign_id = foreign.assert_status(201)["id"].as_str().unwrap().to_string();
    let mine = s.sql(&format!(
        "SELECT id FROM products WHERE organization_id = '{}' ORDER BY id LIMIT 1",
        t.org_id
    ));
    let mine = mine[0]["id"].as_str().unwrap().to_string();
    let batch = json!({ "interactions": [
        { "eventId": "l1", "sourceType": "web", "kind": "page_view", "occurredAt": "2026-11-02", "productId": mine },
        { "eventId": "l2", "sourceType": "web", "kind": "page_view", "occurredAt": "2026-11-02", "attributes": { "sku": "NO-SUCH-SKU" } },
        { "eventId": "l3", "sourceType": "web", "kind": "page_view", "occurredAt": "2026-11-02", "productId": foreign_id },
        { "eventId": "l4", "sourceType": "web", "kind": "page_view", "occurredAt": "2026-11-02", "attributes": { "sku": "THEIRS-1" } },
    ]});
    let path = format!("/api/v1/interactions/organization/{}/batch", t.org_id);
    let r = send(s.as_key(Method::POST, &path, &t.key).json(&batch)).await;
    assert_eq!(
        r.assert_status(200),
        &json!({ "received": 4, "inserted": 4, "duplicates": 0, "linked": 1 })
    );
    let r = send(s.as_key(Method::POST, &path, &t.key).json(&batch)).await;
    assert_eq!(r.assert_status(200)["linked"], 0);
    // The daily rollups hold every stored interaction once (the repeat added nothing), with the
    // purchases and revenue of the rows themselves.
    let sums = s.sql(&format!(
        "SELECT (SELECT SUM(interactions) FROM interaction_daily WHERE organization_id = '{o}') AS rolled, \
         (SELECT COUNT(*) FROM interactions WHERE organization_id = '{o}') AS rows, \
         (SELECT SUM(revenue_cents) FROM interaction_daily WHERE organization_id = '{o}') AS rolled_revenue, \
         (SELECT TOTAL(json_extract(attributes, '$.orderValueCents')) FROM interactions WHERE organization_id = '{o}' AND kind = 'purchase') AS revenue",
        o = t.org_id
    ));
    assert_eq!(sums[0]["rolled"], sums[0]["rows"], "{sums:?}");
    assert_eq!(n(&sums[0]["rolled_revenue"]), n(&sums[0]["revenue"]), "{sums:?}");
    let rows = s.sql(&format!(
        "SELECT event_id, product_id FROM interactions WHERE organization_id = '{}' AND event_id IN ('l1','l2','l3','l4') ORDER BY event_id",
        t.org_id
    ));
    let links: Vec<&Value> = rows.iter().map(|r| &r["product_id"]).collect();
    assert_eq!(links, [&json!(mine), &Value::Null, &Value::Null, &Value::Null]);

    // The analytics endpoints on top: each figure against SQL written independently.
    analytics_match_sql(&s, &t).await;
}

async fn analytics_match_sql(s: &Stack, t: &Tenant) {
    let window = format!("from={FROM}&to={TO}");
    let (from_ms, to_ms) = (1_785_715_200_000i64, 1_793_491_200_000i64);
    assert_eq!(crow_common::time::parse_iso8601(FROM), Some(from_ms));
    assert_eq!(crow_common::time::parse_iso8601(TO), Some(to_ms));
    // Per product, joined on the SKU the event carries (not on the stored link).
    let truth = s.sql(&format!(
        "SELECT p.id AS id, p.name AS name, \
           SUM(i.kind = 'page_view') AS views, SUM(i.kind = 'add_to_cart') AS carts, SUM(i.kind = 'purchase') AS purchases, \
           TOTAL(CASE WHEN i.kind = 'purchase' THEN json_extract(i.attributes, '$.quantity') END) AS units, \
           TOTAL(CASE WHEN i.kind = 'purchase' THEN json_extract(i.attributes, '$.orderValueCents') END) AS revenue, \
           SUM(i.source_type = 'social') AS social, SUM(json_extract(i.attributes, '$.sentiment') = 'positive') AS positive, \
           TOTAL(CASE WHEN i.kind = 'dwell' THEN json_extract(i.attributes, '$.durationSec') END) AS dwell \
         FROM interactions i JOIN products p ON p.organization_id = i.organization_id AND p.sku = json_extract(i.attributes, '$.sku') \
         WHERE i.organization_id = '{}' AND i.occurred_at >= {from_ms} AND i.occurred_at < {to_ms} GROUP BY p.id",
        t.org_id
    ));
    let by_id: BTreeMap<String, &Value> =
        truth.iter().map(|r| (r["id"].as_str().unwrap().to_string(), r)).collect();
    let mut by_revenue: Vec<&Value> = truth.iter().collect();
    by_revenue.sort_by(|a, b| n(&b["revenue"]).total_cmp(&n(&a["revenue"])));

    let r = send(get(s, t, &format!("products?{window}&limit=5"))).await;
    let body = r.assert_status(200);
    assert_eq!((body["currency"].as_str(), body["timeZone"].as_str()), (Some("USD"), Some("UTC")));
    assert_eq!(body["sort"], "revenue");
    assert_eq!(body["productCount"], 40);
    let products = body["products"].as_array().unwrap();
    assert_eq!(products.len(), 5);
    for (got, want) in products.iter().zip(&by_revenue) {
        assert_eq!(got["productId"], want["id"]);
        assert_eq!(got["name"], want["name"]);
        let row = by_id[got["productId"].as_str().unwrap()];
        assert_eq!(n(&got["revenueCents"]), n(&row["revenue"]));
        assert_eq!(n(&got["purchases"]), n(&row["purchases"]));
        assert_eq!(n(&got["units"]), n(&row["units"]));
        assert_eq!(n(&got["views"]), n(&row["views"]));
        assert_eq!(n(&got["addToCarts"]), n(&row["carts"]));
        assert_eq!(n(&got["socialMentions"]), n(&row["social"]));
        assert_eq!(n(&got["positiveMentions"]), n(&row["positive"]));
        assert_eq!(n(&got["dwellSeconds"]), n(&row["dwell"]));
        if n(&row["views"]) > 0.0 {
            assert!(close(n(&got["conversionRate"]), n(&row["purchases"]) / n(&row["views"])));
        }
    }
    let total_revenue: f64 = truth.iter().map(|r| n(&r["revenue"])).sum();
    assert_eq!(n(&body["totals"]["revenueCents"]), total_revenue);

    // Sorted by views ascending within one category.
    let r = send(get(
        s,
        t,
        &format!("products?{window}&sort=views&order=asc&category=footwear&limit=100"),
    ))
    .await;
    let body = r.assert_status(200);
    let views: Vec<f64> =
        body["products"].as_array().unwrap().iter().map(|p| n(&p["views"])).collect();
    assert_eq!(views.len(), 5, "{body}");
    assert!(views.windows(2).all(|w| w[0] <= w[1]), "{views:?}");
    assert!(body["products"].as_array().unwrap().iter().all(|p| p["category"] == "Footwear"));

    // Weekly purchases: every week of the window, summing to the SQL count.
    let times = s.sql(&format!(
        "SELECT occurred_at AS t FROM interactions WHERE organization_id = '{}' AND kind = 'purchase' AND occurred_at >= {from_ms} AND occurred_at < {to_ms}",
        t.org_id
    ));
    let r = send(get(s, t, &format!("timeseries?{window}&interval=week&metric=purchases"))).await;
    let body = r.assert_status(200);
    let points = body["points"].as_array().unwrap();
    assert_eq!(points.len(), 13, "13 weeks from Monday 2026-08-03 to Sunday 2026-11-01");
    for p in points {
        let (a, b) = (
            crow_common::time::parse_iso8601(p["start"].as_str().unwrap()).unwrap(),
            crow_common::time::parse_iso8601(p["end"].as_str().unwrap()).unwrap(),
        );
        let count = times.iter().filter(|r| (a..b).contains(&r["t"].as_i64().unwrap())).count();
        assert_eq!(n(&p["value"]), count as f64, "{p}");
    }
    assert_eq!(n(&body["total"]), times.len() as f64);
    // Daily, with empty days as zeros (no events after the window).
    let r = send(get(s, t, "timeseries?from=2026-10-30&to=2026-11-05&metric=revenue")).await;
    let values: Vec<f64> =
        r.assert_status(200)["points"].as_array().unwrap().iter().map(|p| n(&p["value"])).collect();
    assert_eq!(values.len(), 6);
    assert_eq!(&values[2..], &[0.0, 0.0, 0.0, 0.0]);
    // A window with partial days at both edges (rollups inside, rows at the edges).
    let (a, b) = ("2026-10-03T13:30:00Z", "2026-10-20T08:15:00Z");
    let (am, bm) = (
        crow_common::time::parse_iso8601(a).unwrap(),
        crow_common::time::parse_iso8601(b).unwrap(),
    );
    let want = s.sql(&format!(
        "SELECT TOTAL(json_extract(attributes, '$.orderValueCents')) AS v, COUNT(*) AS n FROM interactions WHERE organization_id = '{}' \
         AND kind = 'purchase' AND occurred_at >= {am} AND occurred_at < {bm}",
        t.org_id
    ));
    let r =
        send(get(s, t, &format!("timeseries?from={a}&to={b}&metric=revenue&interval=week"))).await;
    assert_eq!(n(&r.assert_status(200)["total"]), n(&want[0]["v"]));
    let r = send(get(s, t, &format!("products?from={a}&to={b}&limit=100"))).await;
    let body = r.assert_status(200);
    assert_eq!(n(&body["totals"]["purchases"]), n(&want[0]["n"]));
    assert_eq!(n(&body["totals"]["revenueCents"]), n(&want[0]["v"]));
    let r =
        send(get(s, t, &format!("compare?from={a}&to={b}&metric=purchases&groupBy=product"))).await;
    let body = r.assert_status(200);
    assert_eq!(n(&body["current"]["value"]), n(&want[0]["n"]));
    // Default window (the last 30 days): nothing of the demo's falls in it, so zeros throughout.
    let r = send(get(s, t, "timeseries")).await;
    let body = r.assert_status(200);
    assert_eq!(body["points"].as_array().unwrap().len(), 31, "{body}");

    // This month against the previous one, and per category.
    let sum = |from: &str, to: &str| -> f64 {
        let rows = s.sql(&format!(
            "SELECT TOTAL(json_extract(attributes, '$.orderValueCents')) AS v FROM interactions WHERE organization_id = '{}' AND kind = 'purchase' \
             AND occurred_at >= {} AND occurred_at < {}",
            t.org_id,
            crow_common::time::parse_iso8601(from).unwrap(),
            crow_common::time::parse_iso8601(to).unwrap()
        ));
        n(&rows[0]["v"])
    };
    let (cur, prev) = (sum("2026-10-02", "2026-11-01"), sum("2026-09-02", "2026-10-02"));
    let r =
        send(get(s, t, "compare?from=2026-10-02&to=2026-11-01&metric=revenue&groupBy=category"))
            .await;
    let body = r.assert_status(200);
    assert_eq!((n(&body["current"]["value"]), n(&body["previous"]["value"])), (cur, prev));
    assert_eq!(body["previous"]["from"], "2026-09-02T00:00:00.000Z");
    assert!(close(n(&body["relativeChange"]), (cur - prev) / prev));
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 8);
    assert!(close(items.iter().map(|i| n(&i["current"])).sum::<f64>(), cur));

    // The funnel: counts of the three web kinds.
    let counts = s.sql(&format!(
        "SELECT SUM(kind = 'page_view') AS v, SUM(kind = 'add_to_cart') AS c, SUM(kind = 'purchase') AS p FROM interactions \
         WHERE organization_id = '{}' AND source_type = 'web' AND occurred_at >= {from_ms} AND occurred_at < {to_ms}",
        t.org_id
    ));
    let r = send(get(s, t, &format!("funnel?{window}"))).await;
    let o = &r.assert_status(200)["overall"];
    assert_eq!(
        (n(&o["views"]), n(&o["addToCarts"]), n(&o["purchases"])),
        (n(&counts[0]["v"]), n(&counts[0]["c"]), n(&counts[0]["p"]))
    );
    assert!(close(n(&o["viewToPurchaseRate"]), n(&counts[0]["p"]) / n(&counts[0]["v"])));

    // Stores: footfall (shoppers counted) per store.
    let foot = s.sql(&format!(
        "SELECT json_extract(attributes, '$.store') AS store, TOTAL(json_extract(attributes, '$.count')) AS f FROM interactions \
         WHERE organization_id = '{}' AND kind = 'footfall' AND occurred_at >= {from_ms} AND occurred_at < {to_ms} GROUP BY store ORDER BY f DESC",
        t.org_id
    ));
    let r = send(get(s, t, &format!("stores?{window}"))).await;
    let stores = r.assert_status(200)["stores"].as_array().unwrap().clone();
    assert_eq!(stores.len(), foot.len());
    for (got, want) in stores.iter().zip(&foot) {
        assert_eq!((&got["store"], n(&got["footfall"])), (&want["store"], n(&want["f"])));
    }
}

#[tokio::test]
async fn analytics_parameters_are_validated() {
    let s = Stack::from_env();
    let t = s.tenant("an-params").await;
    for (path, field) in [
        ("products?from=yesterday", "from"),
        ("products?to=2026-13-01", "to"),
        ("products?from=2026-11-02&to=2026-11-01", "from"),
        ("products?from=2023-01-01&to=2026-11-01", "from"),
        ("products?sort=price", "sort"),
        ("products?order=up", "order"),
        ("products?limit=0", "limit"),
        ("products?limit=101", "limit"),
        ("products?sourceType=email", "sourceType"),
        ("timeseries?interval=hour", "interval"),
        ("timeseries?metric=profit", "metric"),
        ("timeseries?productId=a%20b", "productId"),
        ("compare?groupBy=store", "groupBy"),
        ("funnel?category=%20", "category"),
        ("stores?from=2020-01-01", "from"),
    ] {
        let r = send(get(&s, &t, path)).await;
        assert_eq!(r.assert_error(400, "VALIDATION_ERROR")["field"], field, "{path}");
    }
    // Another tenant's product is not found, like a missing one.
    let other = s.tenant("an-params-other").await;
    let p =
        send(s.as_key(Method::POST, "/api/v1/products", &other.key).json(&json!({ "name": "x" })))
            .await;
    let id = p.assert_status(201)["id"].as_str().unwrap().to_string();
    send(get(&s, &t, &format!("timeseries?productId={id}"))).await.assert_error(404, "NOT_FOUND");
    send(get(&s, &t, "timeseries?productId=prd_missing")).await.assert_error(404, "NOT_FOUND");
    // An organization with no data: zeros and nulls, never an error.
    let r = send(get(&s, &t, "products")).await;
    let body = r.assert_status(200);
    assert_eq!((body["productCount"].as_u64(), body["currency"].as_str()), (Some(0), Some("USD")));
    let r = send(get(&s, &t, "funnel")).await;
    assert_eq!(r.assert_status(200)["overall"]["viewToPurchaseRate"], Value::Null);
}
