//! `/api/v1/billing/*`: plans, Stripe Checkout and the customer portal, cancel/resume,
//! invoices, and the signed webhook that keeps each organization's plan (and so its rate-limit
//! tier) in step with Stripe.
//!
//! Stripe is called over its real HTTP API (form-encoded, `Idempotency-Key` on POSTs, a pinned
//! `Stripe-Version`) at `STRIPE_API_BASE`, which tests and local development point at a fake.
//! Every Stripe call happens before any D1 write, so a failing Stripe leaves nothing half-written.
//! Secrets (`STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`) come only from Worker secrets and are
//! never logged or returned.

use crow_common::identity::{Action, Role};
use crow_common::ratelimit::{Policy, Tier};
use crow_common::stripe::{self, apply_subscription, Billing, SubscriptionView};
use crow_common::time::iso8601;
use crow_common::{crypto, ids, ApiError};
use crow_edge::{header, json, now_ms, read_body, read_json};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{console_error, Env, Fetch, Headers, Method, Request, RequestInit, Response};

use crate::config;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::{args, scope, App};

const STRIPE_VERSION: &str = "2025-11-17.clover";
const PLANS: [(&str, &str); 3] = [
    ("starter", "STRIPE_PRICE_STARTER"),
    ("professional", "STRIPE_PRICE_PROFESSIONAL"),
    ("enterprise", "STRIPE_PRICE_ENTERPRISE"),
];

fn price_for(env: &Env, plan: &str) -> Option<String> {
    PLANS
        .iter()
        .find(|(p, _)| *p == plan)
        .map(|(_, var)| config::var(env, var, ""))
        .filter(|p| !p.is_empty())
}

fn plan_for_price(env: &Env, price: &str) -> Option<String> {
    PLANS.iter().find(|(_, var)| config::var(env, var, "") == price).map(|(p, _)| p.to_string())
}

/// `GET /api/v1/billing/plans`.
pub fn plans(app: &App<'_>) -> Result<Response> {
    let data: Vec<Value> = ["free", "starter", "professional", "enterprise"]
        .iter()
        .map(|plan| {
            let policy = Policy::for_tier(Tier::from_plan(plan), None);
            json!({
                "id": plan,
                "priceId": price_for(app.env, plan),
                "rateLimits": { "perMinute": policy.windows[0].limit, "perDay": policy.windows[1].limit },
                "custom": *plan == "enterprise",
            })
        })
        .collect();
    Ok(json(200, &json!({ "data": data }))?)
}

// ---------------------------------------------------------------------------------------------
// The Stripe client

struct Stripe {
    base: String,
    key: String,
    /// The request's meter: each call to Stripe is counted as `stripe`.
    meter: crow_edge::Meter,
}

impl Stripe {
    fn new(app: &App<'_>) -> Result<Stripe> {
        let env = app.env;
        let key = config::secret(env, "STRIPE_SECRET_KEY")
            .ok_or_else(|| ApiError::unavailable("billing configuration"))?;
        Ok(Stripe {
            base: config::var(env, "STRIPE_API_BASE", "https://api.stripe.com"),
            key,
            meter: app.ctx.meter.clone(),
        })
    }

    /// One call. Network failures and 5xx are 503/502; Stripe's 4xx are 502 too (our request or
    /// our configuration is wrong, not the client's), with Stripe's message logged, not returned.
    async fn call(
        &self,
        method: Method,
        path: &str,
        form: &[(&str, &str)],
        idempotency: Option<&str>,
    ) -> Result<Value> {
        let headers = Headers::new();
        let _ = headers.set("Authorization", &format!("Bearer {}", self.key));
        let _ = headers.set("Stripe-Version", STRIPE_VERSION);
        let mut init = RequestInit::new();
        init.with_method(method.clone()).with_headers(headers.clone());
        if method == Method::Post {
            let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
            if let Some(k) = idempotency {
                let _ = headers.set("Idempotency-Key", k);
            }
            init.with_headers(headers).with_body(Some(stripe::form_encode(form).into()));
        }
        let req = Request::new_with_init(&format!("{}{path}", self.base), &init)
            .map_err(Error::Internal)?;
        let _span = self.meter.span("stripe");
        let mut resp = Fetch::Request(req).send().await.map_err(|e| {
            console_error!("Stripe unreachable: {e}");
            Error::from(ApiError::unavailable("payment provider"))
        })?;
        let status = resp.status_code();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            console_error!("Stripe {path} answered {status}: {}", body["error"]["message"]);
            return Err(if status >= 500 {
                ApiError::unavailable("payment provider")
            } else {
                ApiError::bad_gateway("payment provider")
            }
            .into());
        }
        Ok(body)
    }
}

#[derive(Deserialize, Default)]
struct SubscriptionRow {
    customer_id: Option<String>,
    subscription_id: Option<String>,
    status: Option<String>,
    plan: String,
    current_period_end: Option<i64>,
    cancel_at_period_end: i64,
    last_event_at: i64,
}

async fn load_billing(db: &Db, org_id: &str) -> Result<Billing> {
    let row: Option<SubscriptionRow> = db
        .first(
            "SELECT customer_id, subscription_id, status, plan, current_period_end, cancel_at_period_end, last_event_at FROM subscriptions WHERE organization_id = ?1",
            args![org_id],
        )
        .await?;
    let r = row.unwrap_or(SubscriptionRow { plan: "free".into(), ..Default::default() });
    Ok(Billing {
        plan: r.plan,
        status: r.status,
        customer_id: r.customer_id,
        subscription_id: r.subscription_id,
        current_period_end: r.current_period_end,
        cancel_at_period_end: r.cancel_at_period_end != 0,
        last_event_at: r.last_event_at,
    })
}

fn billing_json(org_id: &str, b: &Billing) -> Value {
    json!({
        "organizationId": org_id,
        "plan": b.plan,
        "status": b.status,
        "subscriptionId": b.subscription_id,
        "currentPeriodEnd": b.current_period_end.map(|t| iso8601(t * 1000)),
        "cancelAtPeriodEnd": b.cancel_at_period_end,
    })
}

/// Statements storing `b` for the organization and setting its plan (its rate-limit tier).
fn store_statements(
    db: &Db,
    org_id: &str,
    b: &Billing,
) -> Result<Vec<worker::D1PreparedStatement>> {
    let now = now_ms();
    Ok(vec![
        db.statement(
            "INSERT INTO subscriptions (organization_id, customer_id, subscription_id, status, plan, current_period_end, cancel_at_period_end, last_event_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(organization_id) DO UPDATE SET customer_id = excluded.customer_id, \
             subscription_id = excluded.subscription_id, status = excluded.status, plan = excluded.plan, current_period_end = excluded.current_period_end, \
             cancel_at_period_end = excluded.cancel_at_period_end, last_event_at = excluded.last_event_at, updated_at = excluded.updated_at",
            args![org_id, b.customer_id.as_ref(), b.subscription_id.as_ref(), b.status.as_ref(), &b.plan, b.current_period_end, b.cancel_at_period_end as i64, b.last_event_at, now],
        )?,
        db.statement("UPDATE organizations SET plan = ?1, updated_at = ?2 WHERE id = ?3", args![&b.plan, now, org_id])?,
    ])
}

// ---------------------------------------------------------------------------------------------
// Routes for owners and admins

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CheckoutRequest {
    plan: String,
    success_url: Option<String>,
    cancel_url: Option<String>,
}

fn https_or_local(field: &str, url: &str) -> Result<()> {
    if url.len() <= 2048
        && (url.starts_with("https://")
            || url.starts_with("http://localhost")
            || url.starts_with("http://127.0.0.1"))
    {
        Ok(())
    } else {
        Err(ApiError::invalid_field(field, "must be an https URL").into())
    }
}

/// `POST /api/v1/billing/checkout/session`: a subscription-mode Checkout Session for the
/// organization; the organization is the client reference and in metadata.
pub async fn checkout(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let access = scope::implied_org(app, Action::ManageBilling).await?;
    let body: CheckoutRequest = read_json(req, 8 * 1024).await?;
    let price = match body.plan.as_str() {
        "starter" | "professional" | "enterprise" => price_for(app.env, &body.plan)
            .ok_or_else(|| ApiError::unavailable("billing configuration"))?,
        _ => {
            return Err(ApiError::invalid_field(
                "plan",
                "must be one of starter, professional, enterprise",
            )
            .into())
        }
    };
    let dashboard =
        config::var(app.env, "BILLING_RETURN_URL", "https://app.crowai.dev/settings/billing");
    let success = body.success_url.unwrap_or_else(|| {
        format!("{dashboard}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}")
    });
    let cancel = body.cancel_url.unwrap_or_else(|| format!("{dashboard}?checkout=cancelled"));
    https_or_local("successUrl", &success)?;
    https_or_local("cancelUrl", &cancel)?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let billing = load_billing(&db, &access.org_id).await?;
    // A client's Idempotency-Key, else one per org, plan and minute: double clicks make one session.
    let idem = header(req, "Idempotency-Key")
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .unwrap_or_else(|| {
            crypto::sha256_hex(
                format!("{}:{}:{}", access.org_id, body.plan, now_ms() / 60_000).as_bytes(),
            )
        });
    let mut form: Vec<(&str, &str)> = vec![
        ("mode", "subscription"),
        ("line_items[0][price]", &price),
        ("line_items[0][quantity]", "1"),
        ("client_reference_id", &access.org_id),
        ("metadata[org_id]", &access.org_id),
        ("subscription_data[metadata][org_id]", &access.org_id),
        ("success_url", &success),
        ("cancel_url", &cancel),
    ];
    if let Some(c) = &billing.customer_id {
        form.push(("customer", c));
    }
    let session =
        Stripe::new(app)?.call(Method::Post, "/v1/checkout/sessions", &form, Some(&idem)).await?;
    Ok(json(201, &json!({ "id": session["id"], "url": session["url"], "plan": body.plan }))?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PortalRequest {
    return_url: Option<String>,
}

/// `POST /api/v1/billing/portal-session`.
pub async fn portal(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let access = scope::implied_org(app, Action::ManageBilling).await?;
    let body: PortalRequest = if header(req, "Content-Length").is_some_and(|l| l != "0") {
        read_json(req, 8 * 1024).await?
    } else {
        PortalRequest { return_url: None }
    };
    let return_url = body.return_url.unwrap_or_else(|| {
        config::var(app.env, "BILLING_RETURN_URL", "https://app.crowai.dev/settings/billing")
    });
    https_or_local("returnUrl", &return_url)?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let billing = load_billing(&db, &access.org_id).await?;
    let customer = billing.customer_id.ok_or_else(|| {
        ApiError::conflict("This organization has no billing account yet; start a checkout first")
    })?;
    let idem =
        crypto::sha256_hex(format!("portal:{}:{}", access.org_id, now_ms() / 60_000).as_bytes());
    let session = Stripe::new(app)?
        .call(
            Method::Post,
            "/v1/billing_portal/sessions",
            &[("customer", &customer), ("return_url", &return_url)],
            Some(&idem),
        )
        .await?;
    Ok(json(201, &json!({ "url": session["url"] }))?)
}

/// `GET /api/v1/billing/subscription`.
pub async fn subscription(app: &App<'_>) -> Result<Response> {
    let access = scope::implied_org(app, Action::ManageBilling).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    Ok(json(200, &billing_json(&access.org_id, &load_billing(&db, &access.org_id).await?))?)
}

fn view(obj: &Value) -> Option<SubscriptionView> {
    Some(SubscriptionView {
        id: obj["id"].as_str()?.to_string(),
        customer: obj["customer"].as_str()?.to_string(),
        status: obj["status"].as_str()?.to_string(),
        price_id: obj["items"]["data"][0]["price"]["id"].as_str().map(str::to_string),
        current_period_end: obj["current_period_end"]
            .as_i64()
            .or_else(|| obj["items"]["data"][0]["current_period_end"].as_i64()),
        cancel_at_period_end: obj["cancel_at_period_end"].as_bool().unwrap_or(false),
    })
}

/// `POST /api/v1/billing/subscriptions/:orgId/cancel` (at period end) and `.../resume` (undo).
pub async fn set_cancel(app: &App<'_>, cancel: bool) -> Result<Response> {
    let access = scope::path_org(app, Action::ManageBilling).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let billing = load_billing(&db, &access.org_id).await?;
    let sub_id = billing
        .subscription_id
        .clone()
        .filter(|_| billing.status.as_deref().is_some_and(stripe::is_entitled))
        .ok_or_else(|| ApiError::conflict("This organization has no active subscription"))?;
    if billing.cancel_at_period_end == cancel {
        return Ok(json(200, &billing_json(&access.org_id, &billing))?);
    }
    let flag = if cancel { "true" } else { "false" };
    let idem =
        crypto::sha256_hex(format!("{sub_id}:cancel={flag}:{}", now_ms() / 60_000).as_bytes());
    let obj = Stripe::new(app)?
        .call(
            Method::Post,
            &format!("/v1/subscriptions/{sub_id}"),
            &[("cancel_at_period_end", flag)],
            Some(&idem),
        )
        .await?;
    let v = view(&obj).ok_or_else(|| ApiError::bad_gateway("payment provider"))?;
    let mut next = billing.clone();
    next.cancel_at_period_end = v.cancel_at_period_end;
    next.status = Some(v.status);
    next.current_period_end = v.current_period_end.or(billing.current_period_end);
    db.batch(store_statements(&db, &access.org_id, &next)?).await?;
    Ok(json(200, &billing_json(&access.org_id, &next))?)
}

#[derive(Deserialize)]
struct InvoiceRow {
    id: String,
    status: String,
    amount_due: i64,
    amount_paid: i64,
    currency: String,
    hosted_invoice_url: Option<String>,
    created: i64,
}

/// `GET /api/v1/billing/invoices`: as recorded from invoice webhooks, newest first.
pub async fn invoices(app: &App<'_>) -> Result<Response> {
    let access = scope::implied_org(app, Action::ManageBilling).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let rows: Vec<InvoiceRow> = db
        .all(
            "SELECT id, status, amount_due, amount_paid, currency, hosted_invoice_url, created FROM invoices WHERE organization_id = ?1 ORDER BY created DESC LIMIT 100",
            args![&access.org_id],
        )
        .await?;
    let data: Vec<Value> = rows
        .iter()
        .map(|r| json!({ "id": r.id, "status": r.status, "amountDue": r.amount_due, "amountPaid": r.amount_paid, "currency": r.currency, "hostedInvoiceUrl": r.hosted_invoice_url, "createdAt": iso8601(r.created * 1000) }))
        .collect();
    Ok(json(200, &json!({ "data": data }))?)
}

// ---------------------------------------------------------------------------------------------
// The webhook

async fn org_for(db: &Db, obj: &Value) -> Result<Option<String>> {
    for candidate in [
        &obj["metadata"]["org_id"],
        &obj["client_reference_id"],
        &obj["subscription_details"]["metadata"]["org_id"],
    ] {
        if let Some(org) = candidate.as_str().filter(|o| !o.is_empty()) {
            let exists: Option<Value> =
                db.first("SELECT id FROM organizations WHERE id = ?1", args![org]).await?;
            if exists.is_some() {
                return Ok(Some(org.to_string()));
            }
        }
    }
    if let Some(customer) = obj["customer"].as_str() {
        #[derive(Deserialize)]
        struct Org {
            organization_id: String,
        }
        let row: Option<Org> = db
            .first(
                "SELECT organization_id FROM subscriptions WHERE customer_id = ?1",
                args![customer],
            )
            .await?;
        return Ok(row.map(|r| r.organization_id));
    }
    Ok(None)
}

/// Notifications to the organization's owners and admins, as statements.
async fn notify_admins(
    db: &Db,
    org_id: &str,
    kind: &str,
    title: &str,
    body: &str,
) -> Result<Vec<worker::D1PreparedStatement>> {
    #[derive(Deserialize)]
    struct U {
        user_id: String,
    }
    let admins: Vec<U> = db
        .all(
            "SELECT user_id FROM memberships WHERE organization_id = ?1 AND role IN (?2, ?3)",
            args![org_id, Role::Owner.as_str(), Role::Admin.as_str()],
        )
        .await?;
    let now = now_ms() as i64;
    admins
        .iter()
        .map(|u| {
            let id = ids::new_id("ntf", now as u64).map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
            db.statement(
                "INSERT INTO notifications (id, organization_id, user_id, kind, title, body, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, '{}', ?7)",
                args![&id, org_id, &u.user_id, kind, title, body, now],
            )
        })
        .collect()
}

/// `POST /api/v1/billing/webhook`: verifies `Stripe-Signature` over the raw body, records the
/// event id once (a redelivery changes nothing), and applies it together with that record in
/// one batch. Bad signatures are a 400 and change nothing.
pub async fn webhook(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let payload = read_body(req, 512 * 1024).await?;
    let secret = config::secret(app.env, "STRIPE_WEBHOOK_SECRET")
        .ok_or_else(|| ApiError::unavailable("billing configuration"))?;
    let now = (now_ms() / 1000) as i64;
    stripe::verify_signature(
        header(req, "Stripe-Signature").as_deref(),
        &payload,
        &secret,
        now,
        stripe::TOLERANCE_SECS,
    )
    .map_err(|e| {
        ApiError::validation(format!("Invalid webhook signature: {e}"))
            .detail("field", "Stripe-Signature")
    })?;
    let event: Value = serde_json::from_slice(&payload)
        .map_err(|_| ApiError::validation("The event is not JSON").detail("field", "body"))?;
    let (Some(id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
        return Err(ApiError::validation("The event has no id or type")
            .detail("field", "body")
            .into());
    };
    let created = event["created"].as_i64().unwrap_or(now);
    let obj = &event["data"]["object"];
    let db = Db::new(app.env, &app.ctx.meter)?;
    let seen: Option<Value> =
        db.first("SELECT id FROM stripe_events WHERE id = ?1", args![id]).await?;
    if seen.is_some() {
        return Ok(json(200, &json!({ "received": true, "duplicate": true }))?);
    }
    let org = org_for(&db, obj).await?;
    let mut statements = vec![db.statement(
        "INSERT INTO stripe_events (id, type, organization_id, received_at) VALUES (?1, ?2, ?3, ?4)",
        args![id, kind, org.as_ref(), now_ms()],
    )?];
    let mut applied = false;
    if let Some(org_id) = &org {
        let current = load_billing(&db, org_id).await?;
        match kind {
            "checkout.session.completed" => {
                let mut next = current.clone();
                next.customer_id =
                    obj["customer"].as_str().map(str::to_string).or(current.customer_id.clone());
                if next.subscription_id.is_none() {
                    next.subscription_id = obj["subscription"].as_str().map(str::to_string);
                }
                statements.extend(store_statements(&db, org_id, &next)?);
                applied = true;
            }
            "customer.subscription.created"
            | "customer.subscription.updated"
            | "customer.subscription.deleted" => {
                if let Some(v) = view(obj) {
                    if let Some(next) = apply_subscription(&current, kind, &v, created, |p| {
                        plan_for_price(app.env, p)
                    }) {
                        if next.plan != current.plan
                            || next.cancel_at_period_end != current.cancel_at_period_end
                        {
                            let title = format!("Plan: {}", next.plan);
                            let body = if next.cancel_at_period_end {
                                "The subscription ends at the end of the period.".to_string()
                            } else {
                                format!("The organization is on the {} plan.", next.plan)
                            };
                            statements.extend(
                                notify_admins(&db, org_id, "billing.plan_changed", &title, &body)
                                    .await?,
                            );
                        }
                        statements.extend(store_statements(&db, org_id, &next)?);
                        applied = true;
                    }
                }
            }
            "invoice.paid" | "invoice.payment_failed" => {
                if let Some(inv) = obj["id"].as_str() {
                    let status = if kind == "invoice.paid" { "paid" } else { "payment_failed" };
                    statements.push(db.statement(
                        "INSERT INTO invoices (id, organization_id, status, amount_due, amount_paid, currency, hosted_invoice_url, created, updated_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO UPDATE SET status = excluded.status, amount_paid = excluded.amount_paid, updated_at = excluded.updated_at",
                        args![inv, org_id, status, obj["amount_due"].as_i64().unwrap_or(0), obj["amount_paid"].as_i64().unwrap_or(0),
                              obj["currency"].as_str().unwrap_or("usd"), obj["hosted_invoice_url"].as_str(), obj["created"].as_i64().unwrap_or(created), now_ms()],
                    )?);
                    if kind == "invoice.payment_failed" {
                        statements.extend(
                            notify_admins(
                                &db,
                                org_id,
                                "billing.payment_failed",
                                "Payment failed",
                                "Update the payment method in the billing portal.",
                            )
                            .await?,
                        );
                    }
                    applied = true;
                }
            }
            _ => {}
        }
    }
    db.batch(statements).await?;
    Ok(json(200, &json!({ "received": true, "applied": applied }))?)
}
