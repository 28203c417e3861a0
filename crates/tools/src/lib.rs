//! The six CROW tools shared by the MCP server and the agent loop: names, JSON Schemas, argument
//! validation, the REST request each tool makes, and how a REST answer becomes a tool result.
//!
//! The flow for one call:
//!
//! 1. [`validate`] checks a tool name and its JSON arguments and returns a typed [`ToolCall`]
//!    (or a [`ToolError`] that distinguishes an unknown tool from bad arguments).
//! 2. [`ToolCall::rest_request`] gives the gateway request (`GET` + path and query) for the
//!    caller's organization.
//! 3. [`ToolCall::render`] turns the gateway's JSON answer into a [`ToolOutput`]: a structured
//!    result matching the tool's `outputSchema` and a short human-readable summary.
//!
//! Everything here is pure and synchronous, so it compiles for `wasm32-unknown-unknown` and
//! tests on the host.

mod catalogue;
mod output;
mod rest;
mod validate;

pub use catalogue::{definitions, ToolKind};
pub use output::{analytics_answer, ToolOutput, LIST_KEYS};
pub use rest::{encode_component, RestRequest};
pub use validate::{validate, Period, SearchMode, SourceType, ToolCall, ToolError};

/// Longest accepted query string, in characters, after trimming.
pub const MAX_QUERY_CHARS: usize = 512;

/// Highest `page` of `crow_search_interactions` (the gateway's page limit).
pub const MAX_PAGE: u32 = 10_000;
