//! The agentic tool loop shared by the CROW A2A agent and the dashboard chat: the chat types, the
//! [`Model`] and [`ToolExecutor`] traits, [`run_loop`], parsers and request builders for Workers AI
//! and OpenAI-compatible backends, the deterministic [`OfflineModel`] for development, and
//! [`ScriptedModel`] for tests.
//!
//! The crate is pure: no HTTP, no bindings, no JavaScript values. The workers supply a [`Model`]
//! (an adapter around the AI binding, or [`OfflineModel`]) and a [`ToolExecutor`] (the six CROW
//! tools), then call [`run_loop`]:
//!
//! ```
//! # use crow_agent::*;
//! # use serde_json::json;
//! struct NoTools;
//! impl ToolExecutor for NoTools {
//!     fn specs(&self) -> Vec<ToolSpec> { Vec::new() }
//!     async fn execute(&self, _: &ToolCallRequest) -> Result<ToolOutput, ToolFailure> {
//!         Err(ToolFailure::new("no tools"))
//!     }
//! }
//! let model = ScriptedModel::new([ModelTurn::Final("Hello!".into())]);
//! let answer = futures::executor::block_on(run_loop(
//!     &model, &NoTools, DEFAULT_SYSTEM_PROMPT, &[], "Hi?", LoopConfig::default(),
//! ))?;
//! assert_eq!((answer.text.as_str(), answer.rounds), ("Hello!", 1));
//! # Ok::<(), AgentError>(())
//! ```

pub mod agent_loop;
pub mod compact;
pub mod error;
pub mod insight;
pub mod model;
pub mod offline;
pub mod types;
pub mod wire;

pub use agent_loop::{
    run_loop, LoopConfig, DEFAULT_SYSTEM_PROMPT, FINAL_ANSWER_PROMPT, MAX_QUESTION_CHARS,
};
pub use error::{AgentError, ModelError, ToolFailure};
pub use model::{Model, RecordedCall, ScriptedModel, ToolExecutor};
pub use offline::{OfflineModel, OFFLINE_ANSWER_HEADER, OFFLINE_MODEL_NAME};
pub use types::{
    AgentAnswer, ExecutedCall, Message, ModelTurn, Role, SourceKind, SourceRef, ToolCallRequest,
    ToolOutput, ToolSpec,
};
pub use wire::{
    openai_request, parse_openai_chat_completion, parse_text_tool_calls, parse_workers_ai_output,
    workers_ai_request, WORKERS_AI_MODEL,
};
