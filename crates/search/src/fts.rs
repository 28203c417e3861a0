//! Safe SQLite FTS5 `MATCH` expressions from arbitrary user input, plus the request-parameter
//! helpers shared by all search endpoints ([`SearchMode`], result limits).
//!
//! FTS5 has its own query language (`"phrases"`, `prefix*`, `^initial`, `column:`, `(...)`,
//! `AND`/`OR`/`NOT`/`NEAR(...)`, `+`). Passing user text straight into `MATCH` lets a user
//! trigger syntax errors (`"unterminated`), restrict columns or craft expensive queries. So
//! [`build_match_expression`] never passes syntax through: it keeps only word tokens and
//! rebuilds the expression itself.
//!
//! Rules:
//! - Tokens are maximal runs of Unicode alphanumeric characters (the same split as FTS5's
//!   default `unicode61` tokenizer, which treats everything else as a separator). Every FTS5
//!   syntax character is therefore dropped.
//! - The FTS5 operator keywords `AND`, `OR`, `NOT` and `NEAR` are dropped when written in
//!   capitals, which is how FTS5 recognises them (they are case-sensitive); lowercase "and"
//!   is an ordinary word.
//! - English stop words ([`crate::embed::STOP_WORDS`]) are dropped because with `OR`
//!   semantics "shoes for the beach" would otherwise match every document containing "the".
//!   If the query consists *only* of stop words they are kept, so "The Who" still searches.
//! - Tokens are lowercased, de-duplicated (first occurrence wins), truncated to
//!   [`MAX_TOKEN_CHARS`] chars and capped at [`MAX_TERMS`] to bound query cost.
//! - Each token is double-quoted (so it can never be read as syntax) and made a prefix query
//!   (`"tok"*`) so "sneak" finds "sneakers". Single-character tokens are matched exactly
//!   (`"x"`): a one-letter prefix would match a large share of the index.
//! - Terms are joined with `OR` for recall: a document needs only one term to match, and
//!   FTS5's `bm25()` ranking already puts documents matching more (and rarer) terms first, so
//!   precision comes from ranking rather than from excluding partial matches. With `AND`, one
//!   typo or one word missing from a product description would return nothing.
//!
//! The result is `None` when nothing searchable remains; callers should then return an empty
//! result (or fall back to semantic search) instead of running `MATCH ''`, which is an error.

use crate::embed::{is_stop_word, words};
use crate::error::{Result, SearchError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Maximum number of terms in one generated expression.
pub const MAX_TERMS: usize = 32;
/// Tokens longer than this (in chars) are truncated; still prefix-matched, so they can match.
pub const MAX_TOKEN_CHARS: usize = 64;

/// Smallest accepted result limit.
pub const MIN_LIMIT: usize = 1;
/// Largest accepted result limit (keeps D1 rows read and response size bounded).
pub const MAX_LIMIT: usize = 50;
/// Limit used when the request does not give one.
pub const DEFAULT_LIMIT: usize = 10;

const FTS_OPERATORS: [&str; 4] = ["AND", "OR", "NOT", "NEAR"];

/// Builds a safe FTS5 `MATCH` expression from user input (rules in the module docs), e.g.
/// `Trail "running" shoes*` → `"trail"* OR "running"* OR "shoes"*`.
pub fn build_match_expression(input: &str) -> Option<String> {
    // Operator keywords are case-sensitive in FTS5, so test them before lowercasing.
    let raw: Vec<&str> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !FTS_OPERATORS.contains(w))
        .collect();
    let mut tokens: Vec<String> = Vec::new();
    for w in raw {
        for t in words(w) {
            let t: String = t.chars().take(MAX_TOKEN_CHARS).collect();
            if !tokens.contains(&t) {
                tokens.push(t);
            }
        }
    }
    let content: Vec<&String> = tokens.iter().filter(|t| !is_stop_word(t)).collect();
    let chosen: Vec<&String> = if content.is_empty() { tokens.iter().collect() } else { content };
    let terms: Vec<String> = chosen
        .into_iter()
        .take(MAX_TERMS)
        .map(|t| if t.chars().count() == 1 { format!("\"{t}\"") } else { format!("\"{t}\"*") })
        .collect();
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" OR "))
    }
}

/// Lenient limit handling: `None` → [`DEFAULT_LIMIT`], otherwise clamped into
/// `MIN_LIMIT..=MAX_LIMIT` (for callers that prefer correcting to rejecting).
pub fn clamp_limit(requested: Option<i64>) -> usize {
    match requested {
        None => DEFAULT_LIMIT,
        Some(n) if n < MIN_LIMIT as i64 => MIN_LIMIT,
        Some(n) if n > MAX_LIMIT as i64 => MAX_LIMIT,
        Some(n) => n as usize,
    }
}

/// Strict limit handling: `None` → [`DEFAULT_LIMIT`], a value in `1..=50` is returned, anything
/// else is [`SearchError::InvalidLimit`] (→ `VALIDATION_ERROR` at the API).
pub fn validate_limit(requested: Option<i64>) -> Result<usize> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (MIN_LIMIT as i64..=MAX_LIMIT as i64).contains(&n) => Ok(n as usize),
        Some(value) => Err(SearchError::InvalidLimit { value, min: MIN_LIMIT, max: MAX_LIMIT }),
    }
}

/// Which retrieval path(s) a search uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// Embeddings + vector similarity only.
    Semantic,
    /// SQLite FTS5 keyword search (bm25) only.
    Fts,
    /// Both, fused with reciprocal rank fusion. The default: it is never worse than the
    /// better single mode on our evaluation set.
    #[default]
    Hybrid,
}

impl SearchMode {
    /// All modes, in documentation order.
    pub const ALL: [SearchMode; 3] = [SearchMode::Semantic, SearchMode::Fts, SearchMode::Hybrid];

    /// Canonical lowercase name (`"semantic"`, `"fts"`, `"hybrid"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            SearchMode::Semantic => "semantic",
            SearchMode::Fts => "fts",
            SearchMode::Hybrid => "hybrid",
        }
    }

    /// Whether this mode runs the keyword (FTS5) path.
    pub const fn uses_fts(self) -> bool {
        matches!(self, SearchMode::Fts | SearchMode::Hybrid)
    }

    /// Whether this mode runs the vector path.
    pub const fn uses_vectors(self) -> bool {
        matches!(self, SearchMode::Semantic | SearchMode::Hybrid)
    }
}

impl fmt::Display for SearchMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SearchMode {
    type Err = SearchError;

    /// Case-insensitive, surrounding whitespace ignored. Unknown values give
    /// [`SearchError::InvalidSearchMode`], whose message lists the allowed values.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        SearchMode::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| SearchError::InvalidSearchMode { value: t.chars().take(64).collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Option<String> {
        build_match_expression(s)
    }

    #[test]
    fn plain_words_become_prefix_terms_joined_with_or() {
        assert_eq!(
            m("Trail running shoes").as_deref(),
            Some(r#""trail"* OR "running"* OR "shoes"*"#)
        );
    }

    #[test]
    fn fts_syntax_characters_are_stripped() {
        assert_eq!(
            m(r#""red dress"* ^title:(silk) -cotton + {x} [y]"#).as_deref(),
            Some(r#""red"* OR "dress"* OR "title"* OR "silk"* OR "cotton"* OR "x" OR "y""#)
        );
        assert_eq!(m(r#"unterminated "quote"#).as_deref(), Some(r#""unterminated"* OR "quote"*"#));
    }

    #[test]
    fn uppercase_operators_are_dropped_lowercase_words_kept() {
        assert_eq!(
            m("shoes AND socks NOT sandals").as_deref(),
            Some(r#""shoes"* OR "socks"* OR "sandals"*"#)
        );
        assert_eq!(m("NEAR(wool scarf, 3)").as_deref(), Some(r#""wool"* OR "scarf"* OR "3""#));
        // Mixed-case "Or" is not an FTS5 operator: it is a word (and here a stop word).
        assert_eq!(m("Oregon OR Orlando").as_deref(), Some(r#""oregon"* OR "orlando"*"#));
        assert_eq!(m("AND OR NOT NEAR"), None);
    }

    #[test]
    fn stop_words_dropped_unless_nothing_else_remains() {
        assert_eq!(m("shoes for the beach").as_deref(), Some(r#""shoes"* OR "beach"*"#));
        assert_eq!(m("The Who").as_deref(), Some(r#""the"* OR "who"*"#));
    }

    #[test]
    fn nothing_searchable_is_none() {
        for s in ["", "   ", "\"\"", "*^:()", "-+-", "'\"'\"", "AND", "…—"] {
            assert_eq!(m(s), None, "{s:?}");
        }
    }

    #[test]
    fn output_never_contains_unquoted_syntax() {
        let nasty = r#"a"b*c^d:e(f)g NEAR/3 h' OR "; DROP TABLE products; -- 日本語 ünïcödé"#;
        let expr = m(nasty).unwrap();
        // Every term is `"alnum"` or `"alnum"*`, separated by ` OR `.
        for term in expr.split(" OR ") {
            let inner = term.strip_suffix('*').unwrap_or(term);
            let inner = inner.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap();
            assert!(!inner.is_empty() && inner.chars().all(char::is_alphanumeric), "{term}");
        }
        assert!(expr.contains(r#""日本語"*"#) && expr.contains(r#""ünïcödé"*"#));
        assert!(expr.contains(r#""drop"*"#));
    }

    #[test]
    fn tokens_are_deduplicated_truncated_and_capped() {
        assert_eq!(m("Shoe shoe SHOE boot").as_deref(), Some(r#""shoe"* OR "boot"*"#));
        let long = "x".repeat(500);
        let expr = m(&long).unwrap();
        assert_eq!(expr, format!("\"{}\"*", "x".repeat(MAX_TOKEN_CHARS)));
        let many = (0..100).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
        let expr = m(&many).unwrap();
        assert_eq!(expr.split(" OR ").count(), MAX_TERMS);
        assert!(expr.starts_with(r#""w0"*"#));
    }

    #[test]
    fn robust_to_very_long_input() {
        let huge = "sneakers \"*^:() ".repeat(10_000);
        assert_eq!(m(&huge).as_deref(), Some(r#""sneakers"*"#));
    }

    #[test]
    fn limits() {
        assert_eq!(validate_limit(None), Ok(10));
        assert_eq!(validate_limit(Some(1)), Ok(1));
        assert_eq!(validate_limit(Some(50)), Ok(50));
        assert_eq!(
            validate_limit(Some(0)),
            Err(SearchError::InvalidLimit { value: 0, min: 1, max: 50 })
        );
        assert!(validate_limit(Some(51)).is_err());
        assert!(validate_limit(Some(-5)).is_err());
        assert!(validate_limit(Some(i64::MAX)).is_err());
        assert_eq!(clamp_limit(None), 10);
        assert_eq!(clamp_limit(Some(25)), 25);
        assert_eq!(clamp_limit(Some(0)), 1);
        assert_eq!(clamp_limit(Some(i64::MIN)), 1);
        assert_eq!(clamp_limit(Some(1000)), 50);
    }

    #[test]
    fn search_mode_parsing() {
        assert_eq!("semantic".parse::<SearchMode>(), Ok(SearchMode::Semantic));
        assert_eq!(" FTS ".parse::<SearchMode>(), Ok(SearchMode::Fts));
        assert_eq!("Hybrid".parse::<SearchMode>(), Ok(SearchMode::Hybrid));
        let err = "vector".parse::<SearchMode>().unwrap_err();
        assert_eq!(err, SearchError::InvalidSearchMode { value: "vector".into() });
        let msg = err.to_string();
        assert!(msg.contains("semantic") && msg.contains("fts") && msg.contains("hybrid"), "{msg}");
        assert!("".parse::<SearchMode>().is_err());
        let long = "z".repeat(1000);
        match long.parse::<SearchMode>() {
            Err(SearchError::InvalidSearchMode { value }) => assert_eq!(value.len(), 64),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn search_mode_round_trips_and_flags() {
        for mode in SearchMode::ALL {
            assert_eq!(mode.to_string().parse::<SearchMode>(), Ok(mode));
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{}\"", mode.as_str()));
            assert_eq!(serde_json::from_str::<SearchMode>(&json).unwrap(), mode);
        }
        assert_eq!(SearchMode::default(), SearchMode::Hybrid);
        assert!(SearchMode::Hybrid.uses_fts() && SearchMode::Hybrid.uses_vectors());
        assert!(SearchMode::Fts.uses_fts() && !SearchMode::Fts.uses_vectors());
        assert!(!SearchMode::Semantic.uses_fts() && SearchMode::Semantic.uses_vectors());
    }
}
