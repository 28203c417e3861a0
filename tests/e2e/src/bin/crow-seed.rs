//! Seeds a local stack with a demo user, a demo organization and a demo API key, through the
//! public REST API (so seeding exercises the same code as real clients). Idempotent: a second
//! run signs in instead of signing up and keeps a key that still verifies.
//!
//!   crow-seed <gateway-url> <demo.env path>
//!
//! Writes `CROW_ORG_ID`, `CROW_API_KEY`, `CROW_USER_EMAIL` and `CROW_USER_PASSWORD` lines to the
//! given file and says on stderr whether the key is new.

use crow_e2e::{send, session_cookie, Stack};
use reqwest::Method;
use serde_json::json;

const DEMO_EMAIL: &str = "demo@crowai.dev";
const DEMO_PASSWORD: &str = "crow-edge-local-only";
const DEMO_ORG: &str = "CROW Demo Retail";

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
    let stack = Stack { gateway: gateway.clone(), mcp: String::new(), a2a: String::new(), state_dir: String::new() };

    // Sign up, or sign in when the demo user exists already.
    let r = send(stack.gw(Method::POST, "/api/v1/auth/sign-up/email").json(&json!({
        "name": "Demo User", "email": DEMO_EMAIL, "password": DEMO_PASSWORD
    })))
    .await;
    let r = if r.status.as_u16() == 409 {
        send(stack.gw(Method::POST, "/api/v1/auth/sign-in/email").json(&json!({
            "email": DEMO_EMAIL, "password": DEMO_PASSWORD
        })))
        .await
    } else {
        r
    };
    if !r.status.is_success() {
        eprintln!("seeding failed: sign-up/sign-in answered {}: {}", r.status, r.text);
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
            let check = send(stack.as_key(Method::GET, &format!("/api/v1/organizations/{org_id}"), &k)).await;
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
    eprintln!("{}", if reused { "seed: kept the existing demo key" } else { "seed: created a new demo key" });
}
