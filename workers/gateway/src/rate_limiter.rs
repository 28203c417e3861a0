//! The Durable Object that owns rate-limit counters: one object per subject.

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

#[durable_object(fetch)]
pub struct RateLimiter {
    state: State,
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        RateLimiter { state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        match req.path().as_str() {
            // Liveness probe used by `/health/ready`: proves the namespace binding, the object
            // and its storage answer.
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
