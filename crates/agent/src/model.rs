//! The two traits the loop drives ([`Model`], [`ToolExecutor`]) and [`ScriptedModel`], a model
//! that replays a script, for tests.
//!
//! Both traits use plain `async fn` without `Send` bounds: the loop runs single-threaded inside a
//! Worker (WASM), where futures are never moved across threads.

use std::cell::RefCell;
use std::collections::VecDeque;

use crate::error::{ModelError, ToolFailure};
use crate::types::{Message, ModelTurn, ToolCallRequest, ToolOutput, ToolSpec};

/// A chat model that can call tools.
///
/// Implementations: [`crate::OfflineModel`], [`ScriptedModel`], and in the workers an adapter
/// that sends [`crate::workers_ai_request`] / [`crate::openai_request`] and parses the reply
/// with [`crate::parse_workers_ai_output`] / [`crate::parse_openai_chat_completion`].
#[allow(async_fn_in_trait)]
pub trait Model {
    /// The model's name, reported in [`crate::AgentAnswer::model`].
    fn name(&self) -> &str;

    /// One turn: given the conversation so far and the tools on offer (empty when the loop wants
    /// a plain answer), either request tool calls or answer.
    async fn complete(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> Result<ModelTurn, ModelError>;
}

/// The tools the loop may call.
#[allow(async_fn_in_trait)]
pub trait ToolExecutor {
    /// The tools on offer. The loop reads this once per run; calls to other names are rejected
    /// before [`ToolExecutor::execute`] is reached.
    fn specs(&self) -> Vec<ToolSpec>;

    /// Runs one call. The loop has already checked that the tool exists and that the arguments
    /// are an object satisfying the schema's `required`, `type`, `enum` and
    /// `additionalProperties: false`; deeper validation is the executor's job.
    async fn execute(&self, call: &ToolCallRequest) -> Result<ToolOutput, ToolFailure>;
}

/// What a [`ScriptedModel`] was sent on one call.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    /// The conversation it was given.
    pub messages: Vec<Message>,
    /// The tools it was offered.
    pub tools: Vec<ToolSpec>,
}

/// A model for tests: returns queued turns in order and records every call.
///
/// When the queue is empty it fails with a [`ModelError`] saying so.
#[derive(Debug)]
pub struct ScriptedModel {
    name: String,
    script: RefCell<VecDeque<Result<ModelTurn, ModelError>>>,
    calls: RefCell<Vec<RecordedCall>>,
}

impl ScriptedModel {
    /// The name used unless [`ScriptedModel::named`] sets another.
    pub const DEFAULT_NAME: &'static str = "scripted-test-model";

    /// A model that returns these turns, in order.
    pub fn new(turns: impl IntoIterator<Item = ModelTurn>) -> Self {
        Self::with_results(turns.into_iter().map(Ok))
    }

    /// A model that returns these results (turns or errors), in order.
    pub fn with_results(results: impl IntoIterator<Item = Result<ModelTurn, ModelError>>) -> Self {
        ScriptedModel {
            name: Self::DEFAULT_NAME.to_owned(),
            script: RefCell::new(results.into_iter().collect()),
            calls: RefCell::new(Vec::new()),
        }
    }

    /// Renames the model.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Queues one more turn.
    pub fn push(&self, turn: ModelTurn) {
        if let Ok(mut script) = self.script.try_borrow_mut() {
            script.push_back(Ok(turn));
        }
    }

    /// Every call made so far, in order.
    pub fn recorded(&self) -> Vec<RecordedCall> {
        self.calls.try_borrow().map(|calls| calls.clone()).unwrap_or_default()
    }

    /// How many calls were made.
    pub fn call_count(&self) -> usize {
        self.calls.try_borrow().map(|calls| calls.len()).unwrap_or_default()
    }

    /// How many scripted turns are left.
    pub fn remaining(&self) -> usize {
        self.script.try_borrow().map(|script| script.len()).unwrap_or_default()
    }
}

impl Model for ScriptedModel {
    fn name(&self) -> &str {
        &self.name
    }

    async fn complete(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> Result<ModelTurn, ModelError> {
        let recorded = RecordedCall { messages: messages.to_vec(), tools: tools.to_vec() };
        self.calls
            .try_borrow_mut()
            .map_err(|_| ModelError::new("scripted model is already in use"))?
            .push(recorded);
        self.script
            .try_borrow_mut()
            .map_err(|_| ModelError::new("scripted model is already in use"))?
            .pop_front()
            .unwrap_or_else(|| Err(ModelError::new("scripted model has no more turns")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use serde_json::json;

    #[test]
    fn scripted_model_replays_in_order_and_records() {
        let model = ScriptedModel::new([
            ModelTurn::ToolCalls(vec![ToolCallRequest::new("a", "t", json!({}))]),
            ModelTurn::Final("done".into()),
        ])
        .named("script");
        assert_eq!(model.name(), "script");
        let tools = vec![ToolSpec::new("t", "d", json!({"type": "object"}))];
        let first = block_on(model.complete(&[Message::user("q1")], &tools));
        assert!(matches!(first, Ok(ModelTurn::ToolCalls(ref calls)) if calls[0].id == "a"));
        let second = block_on(model.complete(&[Message::user("q2")], &[]));
        assert_eq!(second, Ok(ModelTurn::Final("done".into())));
        let recorded = model.recorded();
        assert_eq!(recorded.len(), 2);
        assert_eq!(recorded[0].messages[0].content, "q1");
        assert_eq!(recorded[0].tools.len(), 1);
        assert!(recorded[1].tools.is_empty());
        assert_eq!(model.remaining(), 0);
    }

    #[test]
    fn scripted_model_fails_when_exhausted_and_replays_errors() {
        let model = ScriptedModel::with_results([Err(ModelError::new("quota"))]);
        assert_eq!(block_on(model.complete(&[], &[])), Err(ModelError::new("quota")));
        let exhausted = block_on(model.complete(&[], &[]));
        assert!(matches!(exhausted, Err(ref e) if e.message.contains("no more turns")));
        model.push(ModelTurn::Final("late".into()));
        assert_eq!(block_on(model.complete(&[], &[])), Ok(ModelTurn::Final("late".into())));
        assert_eq!(model.call_count(), 3);
    }
}
