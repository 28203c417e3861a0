//! Issue 08: billing with Stripe against the local fake (tests/fake_stripe.py, started by
//! scripts/stack.sh), with webhooks signed here exactly as Stripe signs them.

use crow_e2e::{send, unique_email, Reply, Stack, Tenant};
use reqwest::Method;
use serde_json::{json, Value};

fn fake() -> String {
    std::env::var("CROW_FAKE_STRIPE_URL").expect("CROW_FAKE_STRIPE_URL (set by scripts/stack.sh)")
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

async fn fake_requests() -> Vec<Value> {
    reqwest::get(format!("{}/_requests", fake())).await.unwrap().json().await.unwrap()
}

/// Delivers an event to the webhook, signed with `secret` at `t`.
async fn deliver(s: &Stack, event: &Value, secret: &str, t: i64) -> Reply {
    let body = event.to_string();
    let sig = crow_common::stripe::sign(body.as_bytes(), secret, t);
    send(
        s.gw(Method::POST, "/api/v1/billing/webhook")
            .header("Stripe-Signature", sig)
            .header("Content-Type", "application/json")
            .body(body),
    )
    .await
}

fn subscription(id: &str, org: &str, status: &str, cancel: bool) -> Value {
    json!({
        "id": id, "object": "subscription", "customer": format!("cus_{id}"), "status": status,
        "cancel_at_period_end": cancel, "current_period_end": now() + 30 * 86400,
        "items": { "data": [{ "price": { "id": "price_local_starter" } }] },
        "metadata": { "org_id": org },
    })
}

fn event(id: &str, kind: &str, created: i64, object: Value) -> Value {
    json!({ "id": id, "object": "event", "type": kind, "created": created, "data": { "object": object } })
}

async fn billing_state(s: &Stack, t: &Tenant) -> Value {
    let r = send(s.as_user(
        Method::GET,
        &format!("/api/v1/billing/subscription?organizationId={}", t.org_id),
        &t.cookie,
    ))
    .await;
    r.assert_status(200).clone()
}

async fn limit_of_key(s: &Stack, t: &Tenant) -> String {
    let r =
        send(s.as_key(Method::GET, &format!("/api/v1/organizations/{}", t.org_id), &t.key)).await;
    r.header("x-ratelimit-limit").unwrap().to_string()
}

#[tokio::test]
async fn checkout_to_starter_to_cancel_resume_and_back_to_free() {
    let s = Stack::from_env();
    let t = s.tenant("billing").await;
    let secret = s.secret("STRIPE_WEBHOOK_SECRET");
    let sub_id = format!("sub_{}", &t.org_id[4..]);

    let plans = send(s.gw(Method::GET, "/api/v1/billing/plans")).await;
    assert_eq!(
        plans.assert_status(200)["data"][1],
        json!({ "id": "starter", "priceId": "price_local_starter", "rateLimits": { "perMinute": 300, "perDay": 50000 }, "custom": false })
    );

    // Checkout: a subscription-mode session for the org, idempotent on the client's key.
    let checkout = |idem: &'static str| {
        s.as_user(
            Method::POST,
            &format!("/api/v1/billing/checkout/session?organizationId={}", t.org_id),
            &t.cookie,
        )
        .header("Idempotency-Key", idem)
        .json(&json!({ "plan": "starter" }))
    };
    let first = send(checkout("chk-1")).await;
    let session = first.assert_status(201).clone();
    assert!(session["url"].as_str().unwrap().starts_with("https://checkout.stripe.test/"));
    let again = send(checkout("chk-1")).await;
    assert_eq!(
        again.assert_status(201)["id"],
        session["id"],
        "the same idempotency key gives the same session"
    );
    let sent = fake_requests()
        .await
        .into_iter()
        .filter(|r| {
            r["path"] == "/v1/checkout/sessions"
                && r["form"]["client_reference_id"] == t.org_id.as_str()
        })
        .collect::<Vec<_>>();
    assert_eq!(sent[0]["form"]["mode"], "subscription");
    assert_eq!(sent[0]["form"]["line_items[0][price]"], "price_local_starter");
    assert_eq!(sent[0]["form"]["subscription_data[metadata][org_id]"], t.org_id.as_str());
    assert_eq!(sent[0]["idempotencyKey"], "chk-1");
    assert!(sent[0]["stripeVersion"].is_string());

    // Stripe completes the checkout and creates the subscription.
    reqwest::Client::new().post(format!("{}/_subscriptions", fake())).json(&json!({ "id": sub_id, "customer": format!("cus_{sub_id}"), "price": "price_local_starter", "metadata": { "org_id": t.org_id } })).send().await.unwrap();
    let t0 = now();
    let completed = event(
        &format!("evt_c_{sub_id}"),
        "checkout.session.completed",
        t0,
        json!({
            "id": session["id"], "object": "checkout.session", "client_reference_id": t.org_id, "customer": format!("cus_{sub_id}"), "subscription": sub_id,
        }),
    );
    assert_eq!(deliver(&s, &completed, &secret, now()).await.assert_status(200)["applied"], true);
    let created = event(
        &format!("evt_s1_{sub_id}"),
        "customer.subscription.created",
        t0 + 1,
        subscription(&sub_id, &t.org_id, "active", false),
    );
    assert_eq!(deliver(&s, &created, &secret, now()).await.assert_status(200)["applied"], true);
    let state = billing_state(&s, &t).await;
    assert_eq!(
        (state["plan"].as_str(), state["status"].as_str()),
        (Some("starter"), Some("active"))
    );
    assert_eq!(limit_of_key(&s, &t).await, "300", "the org's keys get Starter limits");
    let notes = send(s.as_user(Method::GET, "/api/v1/notifications", &t.cookie)).await;
    assert!(notes.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"] == "billing.plan_changed"));

    // Cancel at period end, then resume.
    let path = format!("/api/v1/billing/subscriptions/{}", t.org_id);
    let r = send(s.as_user(Method::POST, &format!("{path}/cancel"), &t.cookie)).await;
    assert_eq!(r.assert_status(200)["cancelAtPeriodEnd"], true);
    assert_eq!(billing_state(&s, &t).await["cancelAtPeriodEnd"], true);
    let last = fake_requests()
        .await
        .into_iter()
        .rfind(|r| r["path"] == format!("/v1/subscriptions/{sub_id}"))
        .unwrap();
    assert_eq!(last["form"]["cancel_at_period_end"], "true");
    assert_eq!(billing_state(&s, &t).await["plan"], "starter", "paid until the period ends");
    let r = send(s.as_user(Method::POST, &format!("{path}/resume"), &t.cookie)).await;
    assert_eq!(r.assert_status(200)["cancelAtPeriodEnd"], false);

    // The subscription ends: back to Free.
    let deleted = event(
        &format!("evt_s2_{sub_id}"),
        "customer.subscription.deleted",
        t0 + 10,
        subscription(&sub_id, &t.org_id, "canceled", false),
    );
    deliver(&s, &deleted, &secret, now()).await.assert_status(200);
    let state = billing_state(&s, &t).await;
    assert_eq!(
        (state["plan"].as_str(), state["status"].as_str()),
        (Some("free"), Some("canceled"))
    );
    assert_eq!(limit_of_key(&s, &t).await, "60");
    // Invoices arrive by webhook.
    let paid = event(
        &format!("evt_i_{sub_id}"),
        "invoice.paid",
        t0 + 2,
        json!({ "id": format!("in_{sub_id}"), "customer": format!("cus_{sub_id}"), "amount_due": 2900, "amount_paid": 2900, "currency": "usd", "created": t0 }),
    );
    deliver(&s, &paid, &secret, now()).await.assert_status(200);
    let inv = send(s.as_user(
        Method::GET,
        &format!("/api/v1/billing/invoices?organizationId={}", t.org_id),
        &t.cookie,
    ))
    .await;
    assert_eq!(inv.assert_status(200)["data"][0]["amountPaid"], 2900);
}

#[tokio::test]
async fn bad_signatures_change_nothing_and_events_apply_once_in_order() {
    let s = Stack::from_env();
    let t = s.tenant("webhooks").await;
    let secret = s.secret("STRIPE_WEBHOOK_SECRET");
    let sub_id = format!("sub_w{}", &t.org_id[4..]);
    let t0 = now();
    let created = event(
        &format!("evt_w1_{sub_id}"),
        "customer.subscription.created",
        t0,
        subscription(&sub_id, &t.org_id, "active", false),
    );
    let body = created.to_string();
    let forged = format!("t={},v1={}", now(), "0".repeat(64));
    for (label, header) in [
        ("forged", Some(forged)),
        (
            "wrong secret",
            Some(crow_common::stripe::sign(body.as_bytes(), "whsec_not_the_secret", now())),
        ),
        ("stale", Some(crow_common::stripe::sign(body.as_bytes(), &secret, now() - 301))),
        ("missing", None),
    ] {
        let mut req = s
            .gw(Method::POST, "/api/v1/billing/webhook")
            .header("Content-Type", "application/json")
            .body(body.clone());
        if let Some(h) = header {
            req = req.header("Stripe-Signature", h);
        }
        let r = send(req).await;
        assert_eq!(r.assert_error(400, "VALIDATION_ERROR")["field"], "Stripe-Signature", "{label}");
    }
    assert_eq!(billing_state(&s, &t).await["plan"], "free", "nothing changed");
    assert_eq!(
        s.sql(&format!("SELECT COUNT(*) AS n FROM stripe_events WHERE id = 'evt_w1_{sub_id}'"))[0]
            ["n"],
        0
    );

    // Delivered twice: applied once.
    deliver(&s, &created, &secret, now()).await.assert_status(200);
    let again = deliver(&s, &created, &secret, now()).await;
    assert_eq!(again.assert_status(200)["duplicate"], true);
    let notes = send(s.as_user(Method::GET, "/api/v1/notifications", &t.cookie)).await;
    assert_eq!(
        notes.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "billing.plan_changed")
            .count(),
        1
    );

    // Out of order: a newer update (cancel) then an older one (no cancel): the newer wins.
    let newer = event(
        &format!("evt_w3_{sub_id}"),
        "customer.subscription.updated",
        t0 + 20,
        subscription(&sub_id, &t.org_id, "active", true),
    );
    let older = event(
        &format!("evt_w2_{sub_id}"),
        "customer.subscription.updated",
        t0 + 10,
        subscription(&sub_id, &t.org_id, "active", false),
    );
    deliver(&s, &newer, &secret, now()).await.assert_status(200);
    assert_eq!(deliver(&s, &older, &secret, now()).await.assert_status(200)["applied"], false);
    let state = billing_state(&s, &t).await;
    assert_eq!(
        (state["plan"].as_str(), state["cancelAtPeriodEnd"].as_bool()),
        (Some("starter"), Some(true))
    );
}

#[tokio::test]
async fn only_owners_and_admins_manage_billing() {
    let s = Stack::from_env();
    let t = s.tenant("billing-roles").await;
    let email = unique_email("billing-member");
    let (_, member) = s.sign_up(&email).await;
    send(
        s.as_user(Method::POST, &format!("/api/v1/organizations/{}/members", t.org_id), &t.cookie)
            .json(&json!({ "email": email, "role": "member" })),
    )
    .await
    .assert_status(201);
    let url = format!("/api/v1/billing/checkout/session?organizationId={}", t.org_id);
    send(s.as_user(Method::POST, &url, &member).json(&json!({ "plan": "starter" })))
        .await
        .assert_error(403, "FORBIDDEN");
    send(s.as_key(Method::POST, &url, &t.key).json(&json!({ "plan": "starter" })))
        .await
        .assert_error(403, "FORBIDDEN");
    let other = s.tenant("billing-other").await;
    send(s.as_user(
        Method::POST,
        &format!("/api/v1/billing/subscriptions/{}/cancel", t.org_id),
        &other.cookie,
    ))
    .await
    .assert_error(404, "NOT_FOUND");
}
