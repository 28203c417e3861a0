//! Issue 08: a failing Stripe. Its own test binary: it switches the shared fake Stripe into
//! failure modes, which must not overlap other billing tests (cargo runs binaries one at a time).

use crow_e2e::{send, Stack};
use reqwest::Method;
use serde_json::json;

fn fake() -> String {
    std::env::var("CROW_FAKE_STRIPE_URL").expect("CROW_FAKE_STRIPE_URL (set by scripts/stack.sh)")
}

async fn fake_mode(mode: &str) {
    reqwest::Client::new()
        .post(format!("{}/_mode", fake()))
        .json(&json!({ "mode": mode }))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failing_stripe_is_a_5xx_and_writes_nothing() {
    let s = Stack::from_env();
    let t = s.tenant("stripedown").await;
    let checkout = || {
        s.as_user(Method::POST, "/api/v1/billing/checkout/session", &t.cookie)
            .json(&json!({ "plan": "professional" }))
    };
    fake_mode("error500").await;
    let r = send(checkout()).await;
    fake_mode("drop").await;
    let dropped = send(checkout()).await;
    fake_mode("ok").await;
    r.assert_error(503, "SERVICE_UNAVAILABLE");
    dropped.assert_error(503, "SERVICE_UNAVAILABLE");
    let state = send(s.as_user(Method::GET, "/api/v1/billing/subscription", &t.cookie)).await;
    assert_eq!(state.assert_status(200)["plan"], "free");
    assert_eq!(
        s.sql(&format!(
            "SELECT COUNT(*) AS n FROM subscriptions WHERE organization_id = '{}'",
            t.org_id
        ))[0]["n"],
        0
    );
    // Without a subscription there is nothing to cancel or open a portal for.
    send(s.as_user(
        Method::POST,
        &format!("/api/v1/billing/subscriptions/{}/cancel", t.org_id),
        &t.cookie,
    ))
    .await
    .assert_error(409, "CONFLICT");
    send(s.as_user(Method::POST, "/api/v1/billing/portal-session", &t.cookie))
        .await
        .assert_error(409, "CONFLICT");
    // Bad input: unknown plan, foreign return URL.
    let r = send(
        s.as_user(Method::POST, "/api/v1/billing/checkout/session", &t.cookie)
            .json(&json!({ "plan": "platinum" })),
    )
    .await;
    assert_eq!(r.assert_error(400, "VALIDATION_ERROR")["field"], "plan");
    let r = send(
        s.as_user(Method::POST, "/api/v1/billing/checkout/session", &t.cookie)
            .json(&json!({ "plan": "starter", "successUrl": "javascript:alert(1)" })),
    )
    .await;
    assert_eq!(r.assert_error(400, "VALIDATION_ERROR")["field"], "successUrl");
}
