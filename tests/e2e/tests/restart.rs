//! Issue 01: D1 writes survive a worker restart within the same state directory. This binary
//! restarts the gateway, so it holds a single test (cargo runs test binaries one at a time).

use crow_e2e::{repo_root, send, unique_email, Stack, TEST_PASSWORD};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn d1_writes_survive_a_gateway_restart() {
    let s = Stack::from_env();
    let email = unique_email("restart");
    let (user_id, cookie) = s.sign_up(&email).await;
    let org_id = s.create_org(&cookie, "survives restarts").await;

    let status = std::process::Command::new("bash")
        .arg(repo_root().join("scripts/stack.sh"))
        .args(["restart", "gateway", "--state", &s.state_dir])
        .current_dir(repo_root())
        .status()
        .expect("restart");
    assert!(status.success(), "restarting the gateway failed");

    // The account, its session and its organization were read back from disk.
    let r = send(
        s.gw(Method::POST, "/api/v1/auth/sign-in/email")
            .json(&json!({ "email": email, "password": TEST_PASSWORD })),
    )
    .await;
    assert_eq!(r.assert_status(200)["user"]["id"], user_id.as_str());
    let r = send(s.as_user(Method::GET, &format!("/api/v1/organizations/{org_id}"), &cookie)).await;
    assert_eq!(r.assert_status(200)["name"], "survives restarts");
}
