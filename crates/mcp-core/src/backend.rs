//! Where tool calls go: the worker implements [`ToolBackend`] over the gateway service binding
//! (using [`crow_tools::ToolCall::rest_request`] with the organization it authenticated); tests
//! use a fake.

use crow_tools::ToolCall;
use serde_json::Value;
use thiserror::Error;

/// Why the backend could not answer. The message is shown to the client and the model, so it
/// must be safe to show: no secrets, no internal addresses, no stack traces.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BackendError {
    /// The gateway answered with an error.
    #[error("the CROW API returned an error: {0}")]
    Upstream(String),
    /// The gateway could not be reached or timed out.
    #[error("the CROW API is temporarily unavailable: {0}")]
    Unavailable(String),
    /// The thing asked for does not exist (or is not visible to this organization).
    #[error("not found: {0}")]
    NotFound(String),
}

/// Executes validated tool calls. Returns the gateway's JSON body, which the server renders
/// with [`crow_tools::ToolCall::render`]. Runs single-threaded in WASM, so no `Send` bounds.
#[allow(async_fn_in_trait)]
pub trait ToolBackend {
    async fn call(&self, call: &ToolCall) -> Result<Value, BackendError>;
}
