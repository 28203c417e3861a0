//! Errors. [`AgentError`] is the crate's one error enum (what [`crate::run_loop`] can fail
//! with); [`ModelError`] and [`ToolFailure`] are the small error values the two traits return.

/// A model call failed (transport, quota, a malformed response the backend adapter gave up on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ModelError {
    /// What went wrong, for logs. Never shown to end users verbatim by this crate.
    pub message: String,
}

impl ModelError {
    /// Builds an error.
    pub fn new(message: impl Into<String>) -> Self {
        ModelError { message: message.into() }
    }
}

/// A tool call failed. The message is fed back to the model as the tool's result (so it can fix
/// its arguments or try something else), so it must be safe and useful for the model to read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolFailure {
    /// The text the model sees, e.g. `productId must be alphanumeric`.
    pub message: String,
}

impl ToolFailure {
    /// Builds a failure.
    pub fn new(message: impl Into<String>) -> Self {
        ToolFailure { message: message.into() }
    }
}

/// Why [`crate::run_loop`] produced no answer. Tool problems are never here: they are fed back
/// to the model instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    /// The question was empty or only whitespace.
    #[error("the question is empty")]
    EmptyQuestion,
    /// The question is longer than [`crate::MAX_QUESTION_CHARS`].
    #[error("the question is {len} characters long; the limit is {max}")]
    QuestionTooLong {
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A [`crate::LoopConfig`] value is out of range.
    #[error("invalid loop configuration: {0}")]
    InvalidConfig(&'static str),
    /// The model call failed.
    #[error("model `{model}` failed on call {round}: {source}")]
    Model {
        /// The model's name.
        model: String,
        /// Which model call (1-based) failed.
        round: usize,
        /// The model's error.
        source: ModelError,
    },
    /// The model used every round without answering, and the final no-tools call gave no answer
    /// either (it asked for tools again or returned nothing).
    #[error("model `{model}` gave no answer after {rounds} calls, even when asked to answer without tools")]
    NoFinalAnswer {
        /// The model's name.
        model: String,
        /// How many model calls were made.
        rounds: usize,
    },
}
