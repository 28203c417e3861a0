//! The chat and tool types the loop, the models and the wire helpers share.
//!
//! [`Message`], [`ToolSpec`] and [`ToolCallRequest`] use the OpenAI-style snake_case field names
//! (`tool_calls`, `tool_call_id`), because that is what both backends speak. The answer types
//! ([`AgentAnswer`], [`ExecutedCall`], [`SourceRef`]) are API-facing and serialize in camelCase,
//! like the A2A and REST payloads they end up in.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// Who wrote a [`Message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model (the loop's system prompt).
    System,
    /// The person or agent asking.
    User,
    /// The model: either text or a request to call tools.
    Assistant,
    /// The result of one tool call, linked to it by `tool_call_id`.
    Tool,
}

impl Role {
    /// The wire name: `system`, `user`, `assistant` or `tool`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// One chat message.
///
/// `content` is always a string (a `null` on input reads as `""`), because the Workers AI binding
/// rejects `content: null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// The text; empty for an assistant message that only requests tool calls.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub content: String,
    /// The tool calls an assistant message requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallRequest>>,
    /// For a tool message: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// For a tool message: the tool's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

impl Message {
    fn plain(role: Role, content: impl Into<String>) -> Self {
        Message { role, content: content.into(), tool_calls: None, tool_call_id: None, name: None }
    }

    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::plain(Role::System, content)
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::plain(Role::User, content)
    }

    /// An assistant message with text.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::plain(Role::Assistant, content)
    }

    /// An assistant message that requests tool calls (empty content).
    pub fn assistant_tool_calls(calls: Vec<ToolCallRequest>) -> Self {
        Message { tool_calls: Some(calls), ..Self::plain(Role::Assistant, "") }
    }

    /// A tool message answering the call `call_id` of tool `name`.
    pub fn tool_result(
        call_id: impl Into<String>,
        name: impl Into<String>,
        content: impl Into<String>,
    ) -> Self {
        Message {
            tool_call_id: Some(call_id.into()),
            name: Some(name.into()),
            ..Self::plain(Role::Tool, content)
        }
    }

    /// The requested tool calls, or an empty slice.
    pub fn calls(&self) -> &[ToolCallRequest] {
        self.tool_calls.as_deref().unwrap_or(&[])
    }
}

/// A tool offered to the model: its name, what it does, and a JSON Schema for its arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// The tool name, e.g. `crow_search_products`.
    pub name: String,
    /// A one-paragraph description the model reads to decide when to call it.
    pub description: String,
    /// A JSON Schema object (`{"type":"object","properties":{…},"required":[…]}`).
    pub parameters: Value,
}

impl ToolSpec {
    /// Builds a spec.
    pub fn new(name: impl Into<String>, description: impl Into<String>, parameters: Value) -> Self {
        ToolSpec { name: name.into(), description: description.into(), parameters }
    }
}

/// One tool call the model asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallRequest {
    /// The call id (generated when the backend gives none; the loop makes ids unique per run).
    pub id: String,
    /// The tool name as the model wrote it.
    pub name: String,
    /// The arguments as parsed. Normally an object; anything else is rejected by the loop and
    /// reported back to the model.
    pub arguments: Value,
}

impl ToolCallRequest {
    /// Builds a call.
    pub fn new(id: impl Into<String>, name: impl Into<String>, arguments: Value) -> Self {
        ToolCallRequest { id: id.into(), name: name.into(), arguments }
    }
}

/// What a model returns for one turn.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelTurn {
    /// The model wants these tools called, in this order.
    ToolCalls(Vec<ToolCallRequest>),
    /// The model's answer. May be empty when a backend returned nothing usable; the loop treats a
    /// blank answer as "no answer".
    Final(String),
}

/// The kind of record a [`SourceRef`] points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A catalog product.
    Product,
    /// A customer interaction (web, cctv or social).
    Interaction,
    /// A behavioural pattern.
    Pattern,
    /// A knowledge-base document or QnA entry.
    Document,
    /// An aggregate such as the channel breakdown.
    Summary,
}

impl SourceKind {
    /// The wire name: `product`, `interaction`, `pattern`, `document` or `summary`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Product => "product",
            SourceKind::Interaction => "interaction",
            SourceKind::Pattern => "pattern",
            SourceKind::Document => "document",
            SourceKind::Summary => "summary",
        }
    }
}

/// A record an answer is based on, reported by the tool that returned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRef {
    /// The tool that returned the record.
    pub tool: String,
    /// What kind of record it is.
    pub kind: SourceKind,
    /// The record's id (for a summary, a stable label such as `interaction-summary`).
    pub id: String,
    /// A human-readable title, when the tool has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl SourceRef {
    /// Builds a source without a title.
    pub fn new(tool: impl Into<String>, kind: SourceKind, id: impl Into<String>) -> Self {
        SourceRef { tool: tool.into(), kind, id: id.into(), title: None }
    }

    /// Sets the title.
    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
}

/// What a tool returns: JSON for the model and the records it used.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    /// The result, fed back to the model as compact (size-bounded) JSON.
    pub content: Value,
    /// The records the result is based on; collected into [`AgentAnswer::sources`].
    pub sources: Vec<SourceRef>,
}

impl ToolOutput {
    /// A result with no sources.
    pub fn new(content: Value) -> Self {
        ToolOutput { content, sources: Vec::new() }
    }

    /// A result with sources.
    pub fn with_sources(content: Value, sources: Vec<SourceRef>) -> Self {
        ToolOutput { content, sources }
    }
}

/// The record of one tool call the model requested during a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutedCall {
    /// The tool name (normalized when the loop recognised it, e.g. without a `functions.` prefix).
    pub name: String,
    /// The arguments the tool ran with (null-valued keys removed), or, for a rejected call, the
    /// arguments as the model sent them.
    pub arguments: Value,
    /// Whether the tool ran and succeeded.
    pub ok: bool,
    /// Why not, when `ok` is false (the same text the model was shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of [`crate::run_loop`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentAnswer {
    /// The final answer text (trimmed).
    pub text: String,
    /// Every source the tools reported, deduplicated by (kind, id), in first-seen order.
    pub sources: Vec<SourceRef>,
    /// Every tool call the model requested, in order, including rejected ones.
    pub tool_calls: Vec<ExecutedCall>,
    /// The number of model calls made, including the final no-tools call if one was needed.
    pub rounds: usize,
    /// The model's name ([`crate::Model::name`]).
    pub model: String,
}

/// An empty JSON object.
pub(crate) fn empty_object() -> Value {
    Value::Object(Map::new())
}
