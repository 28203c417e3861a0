//! Tool calls go to the gateway's REST API over the `GATEWAY` service binding, with the
//! caller's API key (the gateway resolves its organization and checks access exactly as for a
//! REST client) and `X-Internal-Key` (so the request is not counted against the key's budget a
//! second time: the MCP entry already counted it).

use crow_edge::entry::Entry;
use crow_edge::{Ctx, ServiceCall};
use crow_mcp_core::{BackendError, ToolBackend};
use crow_tools::ToolCall;
use serde_json::Value;
use worker::{console_error, Fetcher, Method};

pub struct GatewayBackend<'a> {
    pub gateway: Fetcher,
    pub internal_key: String,
    pub entry: &'a Entry,
    pub ctx: &'a Ctx,
}

impl ToolBackend for GatewayBackend<'_> {
    async fn call(&self, call: &ToolCall) -> Result<Value, BackendError> {
        let rest = call.rest_request(&self.entry.org_id);
        let method = match rest.method {
            "POST" => Method::Post,
            _ => Method::Get,
        };
        // The key was verified (and counted) by the gateway at the start of this request: name
        // it by id, so the gateway does not look it up a second time.
        let mut request = ServiceCall::new(method, &rest.path_and_query)
            .header("X-Internal-Key", self.internal_key.clone())
            .header("X-Api-Key-Id", self.entry.key_id.clone())
            .header("X-Organization-Id", self.entry.org_id.clone())
            .header("Accept", "application/json");
        if let Some(user) = &self.entry.user_id {
            request = request.header("X-User-Id", user.clone());
        }
        let mut resp = request.send(&self.gateway, self.ctx, "gateway").await.map_err(|_| {
            BackendError::Unavailable("the gateway could not be reached; try again shortly".into())
        })?;
        let status = resp.status_code();
        let text = resp.text().await.map_err(|e| {
            console_error!("reading the gateway's answer to {} failed: {e}", call.name());
            BackendError::Unavailable("the gateway's answer could not be read".into())
        })?;
        let body: Option<Value> = serde_json::from_str(&text).ok();
        classify(status, body).inspect_err(|e| {
            if matches!(e, BackendError::Unavailable(_)) {
                console_error!("{} answered {status} from the gateway", call.name());
            }
        })
    }
}

/// Maps a gateway answer: 2xx JSON is the result; 404 is "not found"; other 4xx carry the
/// envelope's message (safe to show: REST clients see it too); 5xx and unreadable bodies mean
/// the API is unavailable.
pub fn classify(status: u16, body: Option<Value>) -> Result<Value, BackendError> {
    match status {
        200..=299 => body.ok_or_else(|| {
            BackendError::Unavailable("the gateway sent an unreadable answer".into())
        }),
        404 => Err(BackendError::NotFound(
            envelope_message(body.as_ref())
                .unwrap_or_else(|| "the requested resource does not exist".into()),
        )),
        400..=499 => Err(BackendError::Upstream(
            envelope_message(body.as_ref())
                .unwrap_or_else(|| format!("the request was refused (HTTP {status})")),
        )),
        _ => Err(BackendError::Unavailable(format!("HTTP {status}"))),
    }
}

/// `error.message` of the envelope, with the offending field when the gateway names one.
fn envelope_message(body: Option<&Value>) -> Option<String> {
    let err = body?.get("error")?;
    let message = err.get("message")?.as_str()?.to_string();
    match err.get("details").and_then(|d| d.get("field")).and_then(Value::as_str) {
        Some(field) if !message.contains(field) => Some(format!("{message} (field `{field}`)")),
        _ => Some(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gateway_answers_map_to_backend_results() {
        assert_eq!(classify(200, Some(json!({"data": []}))), Ok(json!({"data": []})));
        assert!(matches!(classify(200, None), Err(BackendError::Unavailable(_))));
        let nf =
            json!({"error": {"code": "NOT_FOUND", "message": "Product not found", "details": {}}});
        assert_eq!(
            classify(404, Some(nf)),
            Err(BackendError::NotFound("Product not found".into()))
        );
        assert!(matches!(classify(404, None), Err(BackendError::NotFound(_))));
        let bad = json!({"error": {"code": "VALIDATION_ERROR", "message": "must be 1 to 100", "details": {"field": "limit"}}});
        assert_eq!(
            classify(400, Some(bad)),
            Err(BackendError::Upstream("must be 1 to 100 (field `limit`)".into()))
        );
        assert_eq!(
            classify(403, None),
            Err(BackendError::Upstream("the request was refused (HTTP 403)".into()))
        );
        assert_eq!(
            classify(503, Some(json!({}))),
            Err(BackendError::Unavailable("HTTP 503".into()))
        );
        assert_eq!(classify(500, None), Err(BackendError::Unavailable("HTTP 500".into())));
    }
}
