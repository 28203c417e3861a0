//! Issue 03: per-tier limits, exact under concurrency, shared across REST and MCP.

use std::collections::BTreeSet;

use crow_e2e::{random_client_ip, send, Reply, Stack};
use futures::future::join_all;
use reqwest::Method;
use serde_json::json;

fn num(r: &Reply, name: &str) -> u64 {
    r.header(name).unwrap_or_else(|| panic!("{name} missing: {:?}", r.headers)).parse().unwrap()
}

#[tokio::test]
async fn a_free_key_gets_exactly_sixty_of_a_concurrent_burst() {
    let s = Stack::from_env();
    let t = s.tenant("burst").await;
    let path = format!("/api/v1/organizations/{}", t.org_id);
    let replies = join_all((0..120).map(|_| send(s.as_key(Method::GET, &path, &t.key)))).await;

    let ok: Vec<&Reply> = replies.iter().filter(|r| r.status.as_u16() == 200).collect();
    let limited: Vec<&Reply> = replies.iter().filter(|r| r.status.as_u16() == 429).collect();
    assert_eq!(
        ok.len(),
        60,
        "statuses: {:?}",
        replies.iter().map(|r| r.status.as_u16()).collect::<Vec<_>>()
    );
    assert_eq!(limited.len(), 60);

    // Coherent headers: every success saw its own remaining count, from 59 down to 0.
    let remaining: BTreeSet<u64> = ok.iter().map(|r| num(r, "x-ratelimit-remaining")).collect();
    assert_eq!(remaining, (0..60).collect::<BTreeSet<_>>());
    let resets: BTreeSet<u64> = replies.iter().map(|r| num(r, "x-ratelimit-reset")).collect();
    assert_eq!(resets.len(), 1, "one window, one reset: {resets:?}");
    let reset = *resets.iter().next().unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!(
        reset > now && reset <= now + 61,
        "reset {reset} is the end of the minute window (now {now})"
    );
    for r in &replies {
        assert_eq!(num(r, "x-ratelimit-limit"), 60);
        assert!(r.header("ratelimit-policy").unwrap().contains("\"minute\";q=60;w=60"));
    }
    for r in &limited {
        let details = r.assert_error(429, "RATE_LIMITED");
        assert_eq!(details["policy"], "free");
        assert_eq!(details["window"], "minute");
        assert_eq!(details["limit"], 60);
        assert_eq!(num(r, "x-ratelimit-remaining"), 0);
        let retry = num(r, "retry-after");
        assert!((1..=61).contains(&retry), "Retry-After {retry}");
        assert_eq!(details["retry_after"], retry);
    }

    // A second key of the same organization has its own budget.
    let (_, second) = s.create_key(&t.cookie, &t.org_id, "second").await;
    let r = send(s.as_key(Method::GET, &path, &second)).await;
    r.assert_status(200);
    assert_eq!(num(&r, "x-ratelimit-remaining"), 59);
    // The first is still refused.
    send(s.as_key(Method::GET, &path, &t.key)).await.assert_error(429, "RATE_LIMITED");
}

#[tokio::test]
async fn anonymous_clients_get_ten_a_minute_per_address() {
    let s = Stack::from_env();
    let ip = random_client_ip();
    let replies =
        join_all((0..15).map(|_| send(s.gw_from(&ip, Method::GET, "/api/v1/organizations")))).await;
    let unauthorized = replies.iter().filter(|r| r.status.as_u16() == 401).count();
    let limited = replies.iter().filter(|r| r.status.as_u16() == 429).count();
    assert_eq!((unauthorized, limited), (10, 5));
    for r in replies.iter().filter(|r| r.status.as_u16() == 429) {
        assert_eq!(r.assert_error(429, "RATE_LIMITED")["policy"], "public");
        assert_eq!(num(r, "x-ratelimit-limit"), 10);
    }
    // Another address is unaffected.
    send(s.gw(Method::GET, "/api/v1/organizations")).await.assert_error(401, "UNAUTHORIZED");
    // Failed credentials count against the address too (brute-force guard), not a key.
    let ip2 = random_client_ip();
    let bad = (0..12).map(|_| {
        send(
            s.gw_from(&ip2, Method::GET, "/api/v1/organizations")
                .header("Authorization", "Bearer crow_guess"),
        )
    });
    let replies = join_all(bad).await;
    assert_eq!(replies.iter().filter(|r| r.status.as_u16() == 429).count(), 2);
}

#[tokio::test]
async fn refused_credentials_and_forbidden_answers_do_not_spend_the_key() {
    let s = Stack::from_env();
    let t = s.tenant("refund").await;
    // API keys may not use user-only routes: 403, five times.
    for _ in 0..5 {
        send(s.as_key(Method::GET, "/api/v1/users/me", &t.key))
            .await
            .assert_error(403, "FORBIDDEN");
    }
    // Refunds are written after the response; give them a moment.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let r =
        send(s.as_key(Method::GET, &format!("/api/v1/organizations/{}", t.org_id), &t.key)).await;
    r.assert_status(200);
    assert_eq!(num(&r, "x-ratelimit-remaining"), 59, "only this request counted");
}

#[tokio::test]
async fn one_key_has_one_budget_through_rest_and_mcp() {
    let s = Stack::from_env();
    let t = s.tenant("shared").await;
    let mcp = |id: u32| {
        s.client()
            .post(format!("{}/mcp", s.mcp))
            .header("Authorization", format!("Bearer {}", t.key))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .body(json!({ "jsonrpc": "2.0", "id": id, "method": "ping" }).to_string())
    };
    let rest = || s.as_key(Method::GET, &format!("/api/v1/organizations/{}", t.org_id), &t.key);
    let r = send(mcp(1)).await;
    assert_eq!(r.assert_status(200)["result"], json!({}));
    assert_eq!(num(&r, "x-ratelimit-remaining"), 59);
    let r = send(rest()).await;
    assert_eq!(num(&r, "x-ratelimit-remaining"), 58);
    let r = send(mcp(2)).await;
    assert_eq!(num(&r, "x-ratelimit-remaining"), 57);
    assert_eq!(num(&r, "x-ratelimit-limit"), 60);

    // Spend the rest through REST; MCP is then refused with 429 and a JSON-RPC error.
    let burst = join_all((0..57).map(|_| send(rest()))).await;
    assert!(burst.iter().all(|r| r.status.as_u16() == 200));
    let r = send(mcp(3)).await;
    assert_eq!(r.status.as_u16(), 429, "{}", r.text);
    assert_eq!(r.body["id"], 3);
    assert_eq!(r.body["error"]["data"]["policy"], "free");
    assert!(num(&r, "retry-after") >= 1);
}

#[tokio::test]
async fn the_plan_decides_the_tier() {
    let s = Stack::from_env();
    let t = s.tenant("tiers").await;
    let path = format!("/api/v1/organizations/{}", t.org_id);
    s.sql(&format!("UPDATE organizations SET plan = 'starter' WHERE id = '{}'", t.org_id));
    let r = send(s.as_key(Method::GET, &path, &t.key)).await;
    assert_eq!(num(&r, "x-ratelimit-limit"), 300);
    assert_eq!(
        r.body["rateLimits"],
        json!({ "tier": "starter", "perMinute": 300, "perDay": 50000 })
    );
    s.sql(&format!("UPDATE organizations SET plan = 'professional' WHERE id = '{}'", t.org_id));
    assert_eq!(num(&send(s.as_key(Method::GET, &path, &t.key)).await, "x-ratelimit-limit"), 1000);
    // Enterprise: limits stored with the organization.
    s.sql(&format!(
        "UPDATE organizations SET plan = 'enterprise', custom_limit_per_minute = 3, custom_limit_per_day = 100000 WHERE id = '{}'",
        t.org_id
    ));
    let replies = join_all((0..5).map(|_| send(s.as_key(Method::GET, &path, &t.key)))).await;
    assert_eq!(replies.iter().filter(|r| r.status.as_u16() == 200).count(), 3);
    let refused = replies.iter().find(|r| r.status.as_u16() == 429).unwrap();
    assert_eq!(refused.assert_error(429, "RATE_LIMITED")["policy"], "enterprise:3:100000");
    // Health is not limited.
    assert!(send(s.gw(Method::GET, "/health")).await.header("x-ratelimit-limit").is_none());
}
