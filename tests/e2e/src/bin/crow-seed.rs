//! Seeds a local stack with a demo user, a demo organization and a demo API key, through the
//! public REST API (so seeding exercises the same code as real clients), then fills the demo
//! organization with the retail dataset of `crow_e2e::demo`: the product catalogue, three months
//! of interactions and the patterns measured on them. Idempotent: a second run signs in instead
//! of signing up, keeps a key that still verifies, creates only missing products (SKUs are
//! unique, so a 409 means the product is there), re-sends interactions (ingest skips event ids
//! it has seen) and adds patterns only when the organization has none.
//!
//!   crow-seed <gateway-url> <demo.env path>
//!
//! A first run signs the demo user up through the mailed verification token, which it reads
//! from the local mail catcher at `CROW_MAIL_URL` (in `urls.env` of the stack's state).
//!
//! Writes `CROW_ORG_ID`, `CROW_API_KEY`, `CROW_USER_EMAIL` and `CROW_USER_PASSWORD` lines to the
//! given file, says on stderr whether the key is new, and ends with a one-line summary of the
//! data. Data writes use the session cookie; a run makes at most about 55 requests (the user's
//! budget is 60 a minute) and waits out any 429 for its `Retry-After`.

use std::time::Duration;

use crow_e2e::{demo, send, session_cookie, Reply, Stack};
use reqwest::{Method, RequestBuilder};
use serde_json::json;

const DEMO_EMAIL: &str = "demo@crowai.dev";
const DEMO_PASSWORD: &str = "crow-edge-local-only";
const DEMO_ORG: &str = "CROW Demo Retail";

/// Interactions per ingest call (the endpoint's maximum).
const INTERACTION_BATCH: usize = 500;
/// Patterns per create call (the endpoint's maximum).
const PATTERN_BATCH: usize = 200;
/// Attempts of one request when it keeps answering 429.
const ATTEMPTS: u32 = 5;

fn fail(message: &str) -> ! {
    eprintln!("seeding failed: {message}");
    std::process::exit(1);
}

/// Sends the request `make` builds, waiting out 429 answers for their `Retry-After`; fails the
/// run on a transport error or on any status outside `expected`.
async fn call(what: &str, expected: &[u16], make: impl Fn() -> RequestBuilder) -> Reply {
    for attempt in 1..=ATTEMPTS {
        let resp =
            make().send().await.unwrap_or_else(|e| fail(&format!("{what}: request failed: {e}")));
        let reply = Reply::of(resp).await;
        let status = reply.status.as_u16();
        if status == 429 && attempt < ATTEMPTS {
            let secs = reply
                .header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(5)
                .clamp(1, 120);
            eprintln!("seed: {what} was rate-limited; retrying in {secs}s");
            tokio::time::sleep(Duration::from_secs(secs)).await;
            continue;
        }
        if !expected.contains(&status) {
            fail(&format!("{what} answered {}: {}", reply.status, reply.text));
        }
        return reply;
    }
    unreachable!("the last attempt returns or fails")
}

/// `total` of a list response.
fn total(reply: &Reply, what: &str) -> u64 {
    reply.body["total"]
        .as_u64()
        .unwrap_or_else(|| fail(&format!("{what}: no total in {}", reply.text)))
}

/// Seeds products, interactions and patterns; returns the summary line.
async fn seed_data(stack: &Stack, org_id: &str, cookie: &str) -> String {
    // Products: create what is missing while the organization has fewer than the catalogue.
    let products_path = format!("/api/v1/products/organization/{org_id}?limit=1");
    let listed =
        call("listing products", &[200], || stack.as_user(Method::GET, &products_path, cookie))
            .await;
    let existing = total(&listed, "listing products");
    let catalogue = demo::catalogue();
    let mut created = 0u64;
    if (existing as usize) < catalogue.len() {
        let create_path = format!("/api/v1/products?organizationId={org_id}");
        for product in &catalogue {
            let what = format!("creating product {}", product["sku"].as_str().unwrap_or("?"));
            let r = call(&what, &[201, 409], || {
                stack.as_user(Method::POST, &create_path, cookie).json(product)
            })
            .await;
            if r.status.as_u16() == 201 {
                if r.body["id"].as_str().is_none() {
                    fail(&format!("{what}: no id in {}", r.text));
                }
                created += 1;
            } else if r.body["error"]["details"]["field"] != "sku" {
                fail(&format!("{what} answered {}: {}", r.status, r.text));
            }
        }
    }

    // Interactions: always sent; ingest skips event ids it has stored already. The window is
    // moved by whole weeks to end before today, so "last week" and "last month" have data; an
    // event id keeps the time of its first ingest.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(demo::WINDOW_END);
    let shift = demo::shift_to(now);
    let interactions = demo::shifted(
        demo::interactions(&demo::catalogue_skus(), demo::DEMO_INTERACTIONS, demo::DEMO_SEED),
        shift,
    );
    let batch_path = format!("/api/v1/interactions/organization/{org_id}/batch");
    let (mut inserted, mut linked) = (0u64, 0u64);
    for (i, chunk) in interactions.chunks(INTERACTION_BATCH).enumerate() {
        let what = format!("ingesting interactions batch {}", i + 1);
        let body = json!({ "interactions": chunk });
        let r =
            call(&what, &[200], || stack.as_user(Method::POST, &batch_path, cookie).json(&body))
                .await;
        if r.body["received"].as_u64() != Some(chunk.len() as u64) {
            fail(&format!("{what}: expected received = {}, got {}", chunk.len(), r.text));
        }
        inserted += r.body["inserted"]
            .as_u64()
            .unwrap_or_else(|| fail(&format!("{what}: no inserted in {}", r.text)));
        linked += r.body["linked"].as_u64().unwrap_or(0);
    }

    // Patterns: only into an organization that has none (patterns have no natural key).
    let patterns_path = format!("/api/v1/patterns/organization/{org_id}");
    let listed = call("listing patterns", &[200], || {
        stack.as_user(Method::GET, &format!("{patterns_path}?limit=1"), cookie)
    })
    .await;
    let mut patterns_total = total(&listed, "listing patterns");
    let mut patterns_new = 0u64;
    if patterns_total == 0 {
        for (i, chunk) in demo::patterns().chunks(PATTERN_BATCH).enumerate() {
            let what = format!("creating patterns batch {}", i + 1);
            let body = json!({ "patterns": chunk });
            let r = call(&what, &[201], || {
                stack.as_user(Method::POST, &patterns_path, cookie).json(&body)
            })
            .await;
            patterns_new += r.body["created"]
                .as_u64()
                .unwrap_or_else(|| fail(&format!("{what}: no created in {}", r.text)));
        }
        patterns_total = patterns_new;
    }

    // The knowledge base (`demo::knowledge_base`) is seeded once its endpoint exists.
    format!(
        "seed: {} products ({created} new), {} interactions ({inserted} new, {linked} of them linked to their product by SKU), {patterns_total} patterns ({patterns_new} new)",
        existing + created,
        interactions.len(),
    )
}

fn read_env(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).map(str::to_string)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(gateway), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: crow-seed <gateway-url> <demo.env path>");
        std::process::exit(2);
    };
    let stack = Stack {
        gateway: gateway.clone(),
        mcp: String::new(),
        a2a: String::new(),
        standins: String::new(),
        state_dir: String::new(),
    };

    // Sign in, or sign up when the demo user does not exist yet: sign-up answers the same for
    // every address, so the account is finished with the token the local mail catcher
    // (CROW_MAIL_URL) received.
    let r = send(stack.gw(Method::POST, "/api/v1/auth/sign-in/email").json(&json!({
        "email": DEMO_EMAIL, "password": DEMO_PASSWORD
    })))
    .await;
    let r = if r.status.as_u16() == 401 {
        stack.sign_up_verified("Demo User", DEMO_EMAIL, DEMO_PASSWORD).await
    } else {
        r
    };
    if !r.status.is_success() {
        eprintln!("seeding failed: sign-in/sign-up answered {}: {}", r.status, r.text);
        std::process::exit(1);
    }
    let cookie = session_cookie(&r);

    // The demo organization: reuse it if the user has one by that name.
    let orgs = send(stack.as_user(Method::GET, "/api/v1/organizations", &cookie)).await;
    let existing = orgs.body["data"]
        .as_array()
        .and_then(|a| a.iter().find(|o| o["name"] == DEMO_ORG))
        .and_then(|o| o["id"].as_str())
        .map(str::to_string);
    let org_id = match existing {
        Some(id) => id,
        None => stack.create_org(&cookie, DEMO_ORG).await,
    };

    // Keep the previous key if it still verifies for this organization.
    let previous = read_env(&out, "CROW_API_KEY").filter(|k| !k.is_empty());
    let mut reused = false;
    let key = match previous {
        Some(k) => {
            let check =
                send(stack.as_key(Method::GET, &format!("/api/v1/organizations/{org_id}"), &k))
                    .await;
            if check.status.is_success() {
                reused = true;
                k
            } else {
                stack.create_key(&cookie, &org_id, "demo key").await.1
            }
        }
        None => stack.create_key(&cookie, &org_id, "demo key").await.1,
    };

    let text = format!(
        "CROW_ORG_ID={org_id}\nCROW_API_KEY={key}\nCROW_USER_EMAIL={DEMO_EMAIL}\nCROW_USER_PASSWORD={DEMO_PASSWORD}\n"
    );
    if let Err(e) = std::fs::write(&out, text) {
        eprintln!("writing {out} failed: {e}");
        std::process::exit(1);
    }
    eprintln!(
        "{}",
        if reused { "seed: kept the existing demo key" } else { "seed: created a new demo key" }
    );

    let summary = seed_data(&stack, &org_id, &cookie).await;
    eprintln!("{summary}");
}
