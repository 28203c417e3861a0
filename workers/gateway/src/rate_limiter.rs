//! The Durable Object that owns rate-limit counters: one object per subject (`key:<key id>`,
//! `user:<user id>`, `ip:<address>`; never a raw key). Inside it, each policy has its own state
//! under its name, so different limits never share a counter. The runtime delivers one event at a
//! time to an object and the check-and-count below has no await between reading and updating the
//! in-memory state, so concurrent requests are counted exactly.

use std::cell::RefCell;
use std::collections::HashMap;

use crow_common::ratelimit::{self, Decision, Policy, State as Counters};
use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

#[derive(Deserialize)]
pub struct CheckRequest {
    pub policy: Policy,
    pub cost: u64,
    pub now_ms: u64,
}

#[derive(Deserialize)]
pub struct RefundRequest {
    pub policy: String,
    pub cost: u64,
}

#[durable_object(fetch)]
pub struct RateLimiter {
    state: State,
    cache: RefCell<HashMap<String, Counters>>,
}

impl RateLimiter {
    async fn load(&self, policy: &str) -> Counters {
        if let Some(c) = self.cache.borrow().get(policy) {
            return c.clone();
        }
        let stored: Option<Counters> =
            self.state.storage().get(&format!("policy:{policy}")).await.ok().flatten();
        let counters = stored.unwrap_or_default();
        // Another event may have filled the cache while storage was read; keep the newer one.
        self.cache.borrow_mut().entry(policy.to_string()).or_insert(counters).clone()
    }

    async fn check(&self, req: CheckRequest) -> Result<Decision> {
        self.load(&req.policy.name).await;
        // Read, decide and update with no await in between: atomic within the object.
        let (decision, snapshot) = {
            let mut cache = self.cache.borrow_mut();
            let counters = cache.entry(req.policy.name.clone()).or_default();
            // The object's own clock, not the caller's: one clock per subject. The caller's is
            // a fallback for the (unexpected) case of a zero clock.
            let now = match worker::Date::now().as_millis() {
                0 => req.now_ms,
                n => n,
            };
            let decision = ratelimit::check(&req.policy, counters, now, req.cost);
            (decision, counters.clone())
        };
        if decision.allowed {
            self.state.storage().put(&format!("policy:{}", req.policy.name), &snapshot).await?;
        }
        Ok(decision)
    }

    async fn refund(&self, req: RefundRequest) -> Result<()> {
        self.load(&req.policy).await;
        let snapshot = {
            let mut cache = self.cache.borrow_mut();
            let counters = cache.entry(req.policy.clone()).or_default();
            ratelimit::refund(counters, req.cost);
            counters.clone()
        };
        self.state.storage().put(&format!("policy:{}", req.policy), &snapshot).await
    }
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        RateLimiter { state, cache: RefCell::new(HashMap::new()) }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match req.path().as_str() {
            "/check" => {
                let body: CheckRequest = req.json().await?;
                Response::from_json(&self.check(body).await?)
            }
            "/refund" => {
                let body: RefundRequest = req.json().await?;
                self.refund(body).await?;
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            // Liveness probe used by `/health/ready`: the namespace, the object and its storage.
            "/ping" => {
                let storage = self.state.storage();
                let pings: u64 = storage.get::<u64>("pings").await.ok().flatten().unwrap_or(0) + 1;
                storage.put("pings", pings).await?;
                Response::from_json(&serde_json::json!({ "ok": true, "pings": pings }))
            }
            _ => Response::error("unknown rate limiter operation", 404),
        }
    }
}
