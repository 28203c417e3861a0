//! Issue 09: load and soak, bounded in count and time.
//! - Concurrent interaction ingest with client retries (some first attempts abandoned mid-flight,
//!   as a client whose connection drops would) loses nothing and duplicates nothing.
//! - Keys revoked while traffic runs never pass again, over REST and MCP, from the moment the
//!   revocation has answered.
//! - No 5xx anywhere in either.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crow_e2e::{send, Reply, Stack, Tenant};
use futures::future::join_all;
use reqwest::{Client, Method};
use serde_json::{json, Value};

/// Lifts the tenant's limits far above what these tests send: they measure correctness under
/// load, not the limiter (issue 03's tests cover that).
fn unlimited(s: &Stack, t: &Tenant) {
    s.sql(&format!(
        "UPDATE organizations SET plan = 'enterprise', custom_limit_per_minute = 1000000, custom_limit_per_day = 10000000 WHERE id = '{}'",
        t.org_id
    ));
}

fn count(s: &Stack, sql: &str) -> u64 {
    s.sql(sql)[0]["n"].as_u64().unwrap_or_else(|| panic!("count of {sql}"))
}

const CLIENTS: usize = 8;
const BATCHES: usize = 6;
const PER_BATCH: usize = 40;
/// Each batch also repeats this many events of the client's previous batch.
const OVERLAP: usize = 10;

fn event(client: usize, batch: usize, i: usize) -> Value {
    let source = ["web", "cctv", "social"][(client + batch + i) % 3];
    json!({
        "eventId": format!("load-{client}-{batch}-{i}"),
        "sourceType": source,
        "kind": if source == "cctv" { "footfall" } else { "page_view" },
        "occurredAt": format!("2026-11-{:02}T{:02}:{:02}:00Z", 1 + batch, client, i % 60),
        // Few distinct texts (the event id is what identifies an event): the embedding model
        // computes each text once, so the test measures the ingest path, not the model.
        "content": format!("event {i}: trail shoes in aisle {}", i % 7),
    })
}

fn batch_items(client: usize, batch: usize) -> Vec<Value> {
    let mut items: Vec<Value> = (0..PER_BATCH).map(|i| event(client, batch, i)).collect();
    if batch > 0 {
        items.extend((PER_BATCH - OVERLAP..PER_BATCH).map(|i| event(client, batch - 1, i)));
    }
    items
}

/// What one client saw for one batch.
struct Outcome {
    /// Statuses of every attempt that got an answer.
    statuses: Vec<u16>,
    /// The body of the attempt that succeeded.
    accepted: Value,
    /// Whether an earlier attempt was abandoned before its answer arrived.
    abandoned_first: bool,
}

async fn ingest_with_retries(
    url: &str,
    key: &str,
    items: &[Value],
    abandon_first: bool,
) -> Outcome {
    let body = json!({ "interactions": items }).to_string();
    let impatient = Client::builder().timeout(Duration::from_millis(25)).build().expect("client");
    let patient = Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
    let mut statuses = Vec::new();
    let mut abandoned_first = false;
    for attempt in 0..12 {
        let client = if attempt == 0 && abandon_first { &impatient } else { &patient };
        let req = client
            .post(url)
            .header("Authorization", format!("Bearer {key}"))
            .header("Content-Type", "application/json")
            .body(body.clone());
        match req.send().await {
            Ok(resp) => {
                let reply = Reply::of(resp).await;
                let status = reply.status.as_u16();
                statuses.push(status);
                if status == 200 {
                    return Outcome { statuses, accepted: reply.body, abandoned_first };
                }
                // A client retries what may succeed later; anything else is a test failure below.
                if !matches!(status, 429 | 503) {
                    return Outcome { statuses, accepted: reply.body, abandoned_first };
                }
            }
            Err(e) if e.is_timeout() && attempt == 0 => abandoned_first = true,
            Err(e) => panic!("ingest attempt {attempt} failed: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(50 * (attempt + 1) as u64)).await;
    }
    panic!("a batch was not accepted after 12 attempts: {statuses:?}");
}

#[tokio::test]
async fn concurrent_ingest_with_client_retries_loses_and_duplicates_nothing() {
    let s = Stack::from_env();
    let t = s.tenant("load-ingest").await;
    unlimited(&s, &t);
    let url = format!("{}/api/v1/interactions/organization/{}/batch", s.gateway, t.org_id);
    let started = Instant::now();

    let clients = (0..CLIENTS).map(|c| {
        let (url, key) = (url.clone(), t.key.clone());
        tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for b in 0..BATCHES {
                let items = batch_items(c, b);
                // Every other batch's first attempt is abandoned after 25 ms (it may or may not
                // have been committed: the client cannot know), then retried in full. Some
                // batches are also sent a second time after succeeding (a retry after a lost
                // acknowledgement).
                let abandon = (c + b) % 2 == 0;
                let first = ingest_with_retries(&url, &key, &items, abandon).await;
                outcomes.push((items.len(), first));
                if (c + b) % 3 == 0 {
                    let again = ingest_with_retries(&url, &key, &items, false).await;
                    assert_eq!(
                        again.accepted["inserted"], 0,
                        "a repeated batch inserts nothing: {}",
                        again.accepted
                    );
                    assert_eq!(again.accepted["duplicates"], items.len());
                    outcomes.push((items.len(), again));
                }
            }
            outcomes
        })
    });
    let outcomes: Vec<(usize, Outcome)> =
        join_all(clients).await.into_iter().flat_map(|r| r.expect("client task")).collect();
    let elapsed = started.elapsed();

    let distinct = (CLIENTS * BATCHES * PER_BATCH) as u64;
    let mut inserted_seen = 0u64;
    let mut abandoned = 0;
    for (len, o) in &outcomes {
        assert_eq!(
            o.statuses.last(),
            Some(&200),
            "accepted in the end: {:?} {}",
            o.statuses,
            o.accepted
        );
        assert_eq!(o.accepted["received"], *len as u64);
        let (ins, dup) =
            (o.accepted["inserted"].as_u64().unwrap(), o.accepted["duplicates"].as_u64().unwrap());
        assert_eq!(ins + dup, *len as u64, "{}", o.accepted);
        inserted_seen += ins;
        abandoned += usize::from(o.abandoned_first);
    }
    let fivexx: usize =
        outcomes.iter().map(|(_, o)| o.statuses.iter().filter(|s| **s >= 500).count()).sum();
    assert_eq!(fivexx, 0, "no 5xx at all under this load");
    // What the acknowledged answers say was inserted can only fall short of the distinct events
    // by what abandoned attempts committed; it can never exceed them.
    assert!(inserted_seen <= distinct, "{inserted_seen} inserted > {distinct} distinct events");
    eprintln!(
        "ingest load: {} batches ({} first attempts abandoned) from {CLIENTS} clients in {elapsed:?}; {inserted_seen} of {distinct} acknowledged as inserted",
        outcomes.len(),
        abandoned
    );

    // Exactly one row per distinct event, each indexed once for full-text and vector search.
    let org = &t.org_id;
    assert_eq!(
        count(
            &s,
            &format!("SELECT COUNT(*) AS n FROM interactions WHERE organization_id = '{org}'")
        ),
        distinct
    );
    assert_eq!(count(&s, &format!("SELECT COUNT(DISTINCT event_id) AS n FROM interactions WHERE organization_id = '{org}'")), distinct);
    assert_eq!(
        count(&s, &format!("SELECT COUNT(*) AS n FROM interactions_fts f JOIN interactions i ON i.rowid = f.rowid WHERE i.organization_id = '{org}'")),
        distinct
    );
    // Every row has its vector in the organization's Vectorize namespace (a vector of an
    // abandoned attempt whose row was never written may remain: it is never shown).
    let vectors: std::collections::HashSet<String> =
        s.vectors(org).await.iter().filter_map(|v| v["id"].as_str().map(str::to_string)).collect();
    let rows = s.sql(&format!("SELECT id FROM interactions WHERE organization_id = '{org}'"));
    let unindexed: Vec<&Value> = rows
        .iter()
        .filter(|r| !vectors.contains(&format!("interaction:{}", r["id"].as_str().unwrap_or(""))))
        .collect();
    assert!(unindexed.is_empty(), "rows without a vector: {unindexed:?}");
    // The daily rollups (issue 12) count every stored event once, and per day as the rows do.
    assert_eq!(count(&s, &format!("SELECT SUM(interactions) AS n FROM interaction_daily WHERE organization_id = '{org}'")), distinct);
    assert_eq!(
        count(&s, &format!("SELECT COUNT(*) AS n FROM (SELECT occurred_at / 86400000 AS d, COUNT(*) AS c FROM interactions WHERE organization_id = '{org}' GROUP BY d) x \
             JOIN (SELECT day, SUM(interactions) AS c FROM interaction_daily WHERE organization_id = '{org}' GROUP BY day) y ON y.day = x.d AND y.c = x.c")),
        count(&s, &format!("SELECT COUNT(DISTINCT occurred_at / 86400000) AS n FROM interactions WHERE organization_id = '{org}'"))
    );
    let summary = send(s.as_key(
        Method::GET,
        &format!("/api/v1/interactions/organization/{org}/summary"),
        &t.key,
    ))
    .await;
    assert_eq!(summary.assert_status(200)["total"], distinct);
}

/// One request of the revocation traffic: which key, when it was sent, what came back.
struct Sample {
    key: usize,
    sent: Instant,
    status: u16,
}

/// A tool call over MCP with `key` (the MCP server verifies the key through the gateway).
async fn mcp_probe(s: &Stack, key: &str) -> u16 {
    let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": { "name": "crow_get_interaction_summary", "arguments": {} } });
    match s.mcp_rpc(key, &call).send().await {
        Ok(r) => r.status().as_u16(),
        Err(e) => panic!("request failed under load: {e}"),
    }
}

#[tokio::test]
async fn revoked_keys_never_pass_after_revocation_under_traffic() {
    let s = Arc::new(Stack::from_env());
    let t = s.tenant("load-revoke").await;
    unlimited(&s, &t);
    // Key 0 stays valid; keys 1 to 3 are revoked, all at once, while traffic runs on all four.
    let mut keys = vec![(t.key_id.clone(), t.key.clone())];
    for i in 1..4 {
        keys.push(s.create_key(&t.cookie, &t.org_id, &format!("revoked {i}")).await);
    }
    // REST probes name the key's own organization.
    let org = t.org_id.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let traffic: Vec<_> = (0..keys.len() * 3)
        .map(|n| {
            let (s, stop, org) = (s.clone(), stop.clone(), org.clone());
            let (key_idx, key) = (n % keys.len(), keys[n % keys.len()].1.clone());
            tokio::spawn(async move {
                let client = s.client();
                let mut samples = Vec::new();
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    let via_mcp = (n + i) % 2 == 1;
                    let status = if via_mcp {
                        mcp_probe(&s, &key).await
                    } else {
                        let r = client
                            .get(format!(
                                "{}/api/v1/interactions/organization/{org}/summary",
                                s.gateway
                            ))
                            .header("Authorization", format!("Bearer {key}"))
                            .send()
                            .await
                            .unwrap_or_else(|e| panic!("request failed under load: {e}"));
                        r.status().as_u16()
                    };
                    samples.push(Sample { key: key_idx, sent, status });
                    i += 1;
                }
                samples
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let revocations = keys[1..].iter().map(|(id, _)| {
        let (s, cookie, id) = (s.clone(), t.cookie.clone(), id.clone());
        async move {
            let r =
                send(s.as_user(Method::DELETE, &format!("/api/v1/auth/api-keys/{id}"), &cookie))
                    .await;
            assert!(r.assert_status(200)["revokedAt"].is_string());
            Instant::now()
        }
    });
    let revoked_at: Vec<Instant> = join_all(revocations).await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    stop.store(true, Ordering::Relaxed);
    let samples: Vec<Sample> =
        join_all(traffic).await.into_iter().flat_map(|r| r.expect("traffic task")).collect();

    let mut after = [0usize; 4];
    let mut before_ok = [0usize; 4];
    for smp in &samples {
        assert!(
            smp.status < 500,
            "no 5xx under revocation traffic: key {} got {}",
            smp.key,
            smp.status
        );
        assert!(matches!(smp.status, 200 | 401), "key {} got {}", smp.key, smp.status);
        if smp.key == 0 {
            assert_eq!(smp.status, 200, "the key that was not revoked keeps working");
            continue;
        }
        let revoked = revoked_at[smp.key - 1];
        if smp.sent > revoked {
            assert_eq!(
                smp.status,
                401,
                "key {} passed a request sent {:?} after its revocation answered",
                smp.key,
                smp.sent - revoked
            );
            after[smp.key] += 1;
        } else if smp.status == 200 {
            before_ok[smp.key] += 1;
        }
    }
    for k in 1..4 {
        assert!(before_ok[k] > 0, "key {k} carried traffic before its revocation");
        assert!(after[k] > 0, "key {k} was tried after its revocation");
    }
    eprintln!(
        "revocation traffic: {} requests; refused after revocation per key: {:?}",
        samples.len(),
        &after[1..]
    );

    // And afterwards, on every surface.
    for (_, key) in &keys[1..] {
        send(s.as_key(Method::GET, &format!("/api/v1/organizations/{org}"), key))
            .await
            .assert_error(401, "UNAUTHORIZED");
        assert_eq!(mcp_probe(&s, key).await, 401);
        let r = send(s.a2a_rpc(
            key,
            &json!({ "jsonrpc": "2.0", "id": 1, "method": "ListTasks", "params": {} }),
        ))
        .await;
        assert_eq!(r.status.as_u16(), 401, "{}", r.text);
    }
}

#[tokio::test]
async fn a_sustained_mix_of_rest_mcp_and_a2a_is_counted_exactly_once_each() {
    let s = Arc::new(Stack::from_env());
    let t = s.tenant("load-soak").await;
    // A minute budget far above what this sends, so nothing is refused and the count stays in
    // the key's first window (windows are anchored at its first request; this runs ~10 s).
    const LIMIT: u64 = 10_000;
    s.sql(&format!(
        "UPDATE organizations SET plan = 'enterprise', custom_limit_per_minute = {LIMIT}, custom_limit_per_day = 1000000 WHERE id = '{}'",
        t.org_id
    ));
    let until = Instant::now() + Duration::from_secs(8);
    let workers = (0..6).map(|w| {
        let (s, key, org) = (s.clone(), t.key.clone(), t.org_id.clone());
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            let mut i = w;
            while Instant::now() < until {
                let r = match i % 3 {
                    0 => send(s.as_key(Method::GET, &format!("/api/v1/organizations/{org}"), &key)).await,
                    1 => send(s.mcp_rpc(&key, &json!({ "jsonrpc": "2.0", "id": i, "method": "tools/list" }))).await,
                    _ => send(s.a2a_rpc(&key, &json!({ "jsonrpc": "2.0", "id": i, "method": "ListTasks", "params": { "pageSize": 5 } }))).await,
                };
                statuses.push((i % 3, r.status.as_u16(), r.body.get("error").cloned()));
                i += 1;
            }
            statuses
        })
    });
    let statuses: Vec<(usize, u16, Option<Value>)> =
        join_all(workers).await.into_iter().flat_map(|r| r.expect("worker")).collect();
    let sent = statuses.len() as u64;
    for (surface, status, error) in &statuses {
        assert_eq!(*status, 200, "surface {surface}: {status} {error:?}");
        assert!(error.is_none(), "surface {surface}: {error:?}");
    }
    let per_surface: Vec<usize> =
        (0..3).map(|k| statuses.iter().filter(|x| x.0 == k).count()).collect();
    assert!(per_surface.iter().all(|n| *n > 3), "every surface carried traffic: {per_surface:?}");
    // Every request, whichever surface it came through, was counted once against the key.
    let r =
        send(s.as_key(Method::GET, &format!("/api/v1/organizations/{}", t.org_id), &t.key)).await;
    r.assert_status(200);
    let remaining: u64 =
        r.header("x-ratelimit-remaining").expect("remaining").parse().expect("number");
    assert_eq!(
        remaining,
        LIMIT - sent - 1,
        "{sent} requests ({per_surface:?} REST/MCP/A2A) then one more"
    );
    eprintln!(
        "soak: {sent} requests ({per_surface:?} REST/MCP/A2A) in 8 s, all 200, counted exactly"
    );
}
