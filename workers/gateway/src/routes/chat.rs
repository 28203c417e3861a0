//! `/api/v1/chat/*`: dashboard chat. The gateway authenticates the user, resolves the
//! organization, and forwards to the A2A/chat service over the `A2A` service binding as
//! `/internal/chat/...` with the internal key and `X-Organization-Id` / `X-User-Id`; that service
//! runs the same agent loop as A2A and stores sessions and messages.

use crow_common::identity::Action;
use crow_common::ApiError;
use crow_edge::{header, read_body, ServiceCall};
use worker::{Method, Request, Response};

use crate::config;
use crate::error::Result;
use crate::{scope, App};

/// Largest chat request forwarded.
const MAX_BODY: usize = 64 * 1024;

/// Forwards the request to `/internal/chat/<suffix>` on the chat service.
pub async fn forward(app: &App<'_>, req: &mut Request, suffix: &str) -> Result<Response> {
    let caller = app.caller()?;
    let access = scope::implied_org(app, Action::Read).await?;
    let user_id = caller.require_user()?.to_string();
    let internal = config::secret(app.env, "INTERNAL_API_KEY")
        .ok_or_else(|| ApiError::unavailable("internal key configuration"))?;
    let method = req.method();
    let body = if matches!(method, Method::Post | Method::Put | Method::Patch) {
        crow_edge::require_json_content_type(req)?;
        Some(read_body(req, MAX_BODY).await?)
    } else {
        None
    };
    let query = req
        .url()
        .ok()
        .and_then(|u| u.query().map(str::to_string))
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let path = format!("/internal/chat/{suffix}{query}");
    let mut call = ServiceCall::new(method, &path)
        .header("X-Internal-Key", internal)
        .header("X-Organization-Id", access.org_id.clone())
        .header("X-User-Id", user_id);
    if let Some(b) = body {
        call.body = Some(b);
        call = call.header(
            "Content-Type",
            header(req, "Content-Type").unwrap_or_else(|| "application/json".into()),
        );
    }
    let fetcher = app.env.service("A2A").map_err(|_| ApiError::unavailable("chat service"))?;
    let resp = call.send(&fetcher, app.ctx, "chat service").await?;
    if resp.status_code() >= 500 {
        worker::console_error!("chat service answered {}", resp.status_code());
    }
    Ok(resp)
}
