//! The single error type of `crow-search`.
//!
//! Every fallible function in the crate returns [`SearchError`]. The variants carry enough data
//! for the Workers glue to map them onto the API error envelope (`VALIDATION_ERROR` for bad user
//! input such as [`SearchError::InvalidSearchMode`] or [`SearchError::InvalidLimit`], an internal
//! error for corrupt stored vectors such as [`SearchError::InvalidByteLength`]).

/// Everything that can go wrong in this crate. No function in the crate panics instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// Two vectors (or a stored blob and the expected dimensionality) disagree on length.
    #[error("vector dimension mismatch: expected {expected}, got {actual}")]
    DimensionMismatch {
        /// The dimensionality that was required (usually the query's).
        expected: usize,
        /// The dimensionality that was found.
        actual: usize,
    },

    /// A stored vector blob whose length is not a whole number of little-endian `f32`s.
    #[error("invalid vector blob: {len} bytes is not a multiple of 4")]
    InvalidByteLength {
        /// The length of the rejected blob in bytes.
        len: usize,
    },

    /// A vector component is NaN or infinite, which would make every similarity meaningless.
    #[error("vector component {index} is not a finite number")]
    NonFiniteValue {
        /// Index of the first offending component.
        index: usize,
    },

    /// A chunking configuration that cannot produce progress (zero size, overlap too large).
    #[error("invalid chunk configuration: {reason}")]
    InvalidChunkConfig {
        /// Human-readable explanation.
        reason: &'static str,
    },

    /// A reciprocal-rank-fusion parameter (the `k` constant or a list weight) is unusable.
    #[error("invalid fusion parameter: {reason}")]
    InvalidFusionParameter {
        /// Human-readable explanation.
        reason: &'static str,
    },

    /// An unknown search mode string; the message names the allowed values.
    #[error("invalid search mode `{value}`: expected one of semantic, fts, hybrid")]
    InvalidSearchMode {
        /// The rejected input (trimmed, at most 64 characters so logs stay small).
        value: String,
    },

    /// A result limit outside `1..=50`.
    #[error("invalid limit {value}: must be between {min} and {max}")]
    InvalidLimit {
        /// The rejected value.
        value: i64,
        /// Smallest accepted value.
        min: usize,
        /// Largest accepted value.
        max: usize,
    },

    /// A relevance evaluation was asked for over an empty labelled set (no meaningful average).
    #[error("cannot evaluate relevance over an empty labelled set")]
    EmptyEvaluationSet,
}

/// Shorthand used throughout the crate.
pub type Result<T> = std::result::Result<T, SearchError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_mode_error_names_allowed_values() {
        let msg = SearchError::InvalidSearchMode { value: "fuzzy".into() }.to_string();
        assert!(msg.contains("fuzzy"));
        for allowed in ["semantic", "fts", "hybrid"] {
            assert!(msg.contains(allowed), "{msg}");
        }
    }

    #[test]
    fn dimension_mismatch_message_has_both_sizes() {
        let msg = SearchError::DimensionMismatch { expected: 384, actual: 3 }.to_string();
        assert!(msg.contains("384") && msg.contains('3'), "{msg}");
    }
}
