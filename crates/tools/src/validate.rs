//! Argument validation: JSON arguments in, a typed [`ToolCall`] out.
//!
//! Rules (they match the input schemas in [`crate::catalogue`]):
//! - `arguments` must be an object; absent (`null`) means `{}`. Unknown argument names are refused.
//! - Query strings are trimmed and must then hold 1..=512 characters. An *optional* query that is
//!   `null` or blank after trimming counts as absent (models often send `""` for "no filter").
//! - Enumerations are exact, case-sensitive matches. An optional enum given as `null` is absent.
//! - Integers may be JSON integers or integral floats (`5.0`); strings, booleans and fractions are
//!   refused. An integer given as `null` takes its default.
//! - `productId` must match `^[A-Za-z0-9_-]{1,64}$` (not trimmed).

use serde_json::{json, Map, Value};
use thiserror::Error;

use crate::catalogue::ToolKind;
use crate::MAX_QUERY_CHARS;

/// Why a call was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ToolError {
    /// No tool has this name (MCP: JSON-RPC error -32602).
    #[error("Unknown tool: {0}")]
    UnknownTool(String),
    /// The tool exists but an argument is missing, unknown or out of range (MCP: a tool result
    /// with `isError: true`, so the model can correct itself). `message` names the field and,
    /// where it applies, the allowed values.
    #[error("Invalid argument `{field}`: {message}")]
    InvalidArguments { field: String, message: String },
}

impl ToolError {
    fn invalid(field: &str, message: impl Into<String>) -> Self {
        ToolError::InvalidArguments { field: field.to_string(), message: message.into() }
    }
}

/// `crow_search_products` strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMode {
    Semantic,
    Fts,
    Hybrid,
}

/// `crow_search_interactions` channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceType {
    Web,
    Cctv,
    Social,
}

/// `crow_search_patterns` aggregation period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

macro_rules! wire_enum {
    ($ty:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in schema order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            /// The value as it appears in JSON and in query strings.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $wire),+ }
            }
            /// Parses the exact wire value.
            pub fn parse(s: &str) -> Option<$ty> {
                match s { $($wire => Some($ty::$variant),)+ _ => None }
            }
        }
    };
}

wire_enum!(SearchMode { Semantic => "semantic", Fts => "fts", Hybrid => "hybrid" });
wire_enum!(SourceType { Web => "web", Cctv => "cctv", Social => "social" });
wire_enum!(Period { Daily => "daily", Weekly => "weekly", Monthly => "monthly", Yearly => "yearly" });

/// A validated call with typed arguments (defaults applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolCall {
    SearchProducts {
        query: String,
        mode: SearchMode,
        limit: u32,
    },
    SearchInteractions {
        query: Option<String>,
        source_type: Option<SourceType>,
        limit: u32,
        page: u32,
    },
    GetInteractionSummary,
    SearchPatterns {
        query: Option<String>,
        period: Option<Period>,
        limit: u32,
    },
    GetProductAiDescriptions {
        product_id: String,
    },
    SearchOrgContext {
        query: String,
        limit: u32,
    },
    /// One of the analytics tools ([`ToolKind::is_analytics`]).
    Analytics(AnalyticsCall),
}

/// The arguments of an analytics tool; fields a tool does not take stay `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsCall {
    pub kind: ToolKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub source_type: Option<SourceType>,
    /// `sort` (performance) or `metric` (trend, comparison): a metric name.
    pub metric: Option<&'static str>,
    pub order: Option<&'static str>,
    pub interval: Option<&'static str>,
    pub group_by: Option<&'static str>,
    pub limit: Option<u32>,
    pub category: Option<String>,
    pub product_id: Option<String>,
}

impl ToolCall {
    pub fn kind(&self) -> ToolKind {
        match self {
            ToolCall::SearchProducts { .. } => ToolKind::SearchProducts,
            ToolCall::SearchInteractions { .. } => ToolKind::SearchInteractions,
            ToolCall::GetInteractionSummary => ToolKind::GetInteractionSummary,
            ToolCall::SearchPatterns { .. } => ToolKind::SearchPatterns,
            ToolCall::GetProductAiDescriptions { .. } => ToolKind::GetProductAiDescriptions,
            ToolCall::SearchOrgContext { .. } => ToolKind::SearchOrgContext,
            ToolCall::Analytics(a) => a.kind,
        }
    }

    /// The tool name.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The normalized arguments (defaults applied, absent optionals omitted), as JSON with the
    /// schema's field names. Validating this value again yields the same call.
    pub fn arguments(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        match self {
            ToolCall::SearchProducts { query, mode, limit } => {
                put("query", json!(query));
                put("mode", json!(mode.as_str()));
                put("limit", json!(limit));
            }
            ToolCall::SearchInteractions { query, source_type, limit, page } => {
                if let Some(q) = query {
                    put("query", json!(q));
                }
                if let Some(s) = source_type {
                    put("sourceType", json!(s.as_str()));
                }
                put("limit", json!(limit));
                put("page", json!(page));
            }
            ToolCall::GetInteractionSummary => {}
            ToolCall::SearchPatterns { query, period, limit } => {
                if let Some(q) = query {
                    put("query", json!(q));
                }
                if let Some(p) = period {
                    put("period", json!(p.as_str()));
                }
                put("limit", json!(limit));
            }
            ToolCall::GetProductAiDescriptions { product_id } => {
                put("productId", json!(product_id))
            }
            ToolCall::SearchOrgContext { query, limit } => {
                put("query", json!(query));
                put("limit", json!(limit));
            }
            ToolCall::Analytics(a) => {
                for (k, v) in a.pairs() {
                    put(k, if k == "limit" { json!(a.limit) } else { json!(v) });
                }
            }
        }
        Value::Object(m)
    }
}

/// Validates a call. `arguments` is the JSON object sent by the client (`null` = no arguments).
pub fn validate(name: &str, arguments: &Value) -> Result<ToolCall, ToolError> {
    let kind = ToolKind::from_name(name).ok_or_else(|| ToolError::UnknownTool(clip(name, 128)))?;
    let empty = Map::new();
    let args = match arguments {
        Value::Null => &empty,
        Value::Object(m) => m,
        other => {
            return Err(ToolError::invalid(
                "arguments",
                format!("must be a JSON object of named arguments, got {}", type_name(other)),
            ))
        }
    };
    let allowed = kind.argument_names();
    if let Some(unknown) = args.keys().find(|k| !allowed.contains(&k.as_str())) {
        let message = if allowed.is_empty() {
            format!("unknown argument; {} takes no arguments", kind.name())
        } else {
            format!("unknown argument; {} accepts only: {}", kind.name(), allowed.join(", "))
        };
        return Err(ToolError::invalid(&clip(unknown, 64), message));
    }
    let a = Args(args);
    Ok(match kind {
        ToolKind::SearchProducts => ToolCall::SearchProducts {
            query: a.required_query("query")?,
            mode: a
                .enumeration("mode", SearchMode::ALL, SearchMode::as_str)?
                .unwrap_or(SearchMode::Hybrid),
            limit: a.integer("limit", 1, 50, 10)?,
        },
        ToolKind::SearchInteractions => ToolCall::SearchInteractions {
            query: a.optional_query("query")?,
            source_type: a.enumeration("sourceType", SourceType::ALL, SourceType::as_str)?,
            limit: a.integer("limit", 1, 100, 20)?,
            page: a.integer("page", 1, crate::MAX_PAGE, 1)?,
        },
        ToolKind::GetInteractionSummary => ToolCall::GetInteractionSummary,
        ToolKind::SearchPatterns => ToolCall::SearchPatterns {
            query: a.optional_query("query")?,
            period: a.enumeration("period", Period::ALL, Period::as_str)?,
            limit: a.integer("limit", 1, 50, 20)?,
        },
        ToolKind::GetProductAiDescriptions => {
            ToolCall::GetProductAiDescriptions { product_id: a.product_id("productId")? }
        }
        ToolKind::SearchOrgContext => ToolCall::SearchOrgContext {
            query: a.required_query("query")?,
            limit: a.integer("limit", 1, 20, 5)?,
        },
        kind => ToolCall::Analytics(analytics(kind, &a)?),
    })
}

const METRIC_NAMES: [&str; 16] = [
    "views",
    "addToCarts",
    "purchases",
    "units",
    "revenue",
    "conversionRate",
    "cartToPurchaseRate",
    "socialMentions",
    "positiveShare",
    "negativeShare",
    "dwellSeconds",
    "avgDwellSeconds",
    "shelfInteractions",
    "footfall",
    "searches",
    "interactions",
];

fn analytics(kind: ToolKind, a: &Args) -> Result<AnalyticsCall, ToolError> {
    let takes = |f: &str| kind.argument_names().contains(&f);
    let pick = |field: &str, all: &'static [&'static str], default: &'static str| {
        if takes(field) {
            a.enumeration(field, all, |s| s).map(|v| Some(v.unwrap_or(default)))
        } else {
            Ok(None)
        }
    };
    let date = |field: &str| -> Result<Option<String>, ToolError> {
        match a.get(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => match crow_common::time::parse_iso8601(s.trim()) {
                Some(_) => Ok(Some(s.trim().to_string())),
                None => Err(ToolError::invalid(
                    field,
                    format!(
                        "must be an ISO 8601 date or timestamp such as 2026-10-01 or 2026-10-01T00:00:00Z; got \"{}\"",
                        clip(s, 40)
                    ),
                )),
            },
            Some(other) => Err(ToolError::invalid(
                field,
                format!("must be an ISO 8601 date string; got {}", type_name(other)),
            )),
        }
    };
    let metric_field = if kind == ToolKind::GetProductPerformance { "sort" } else { "metric" };
    let default_metric = match kind {
        ToolKind::GetMetricTrend => "purchases",
        _ => "revenue",
    };
    let category = if takes("category") {
        match a.optional_query("category")? {
            Some(c) if c.chars().count() > 100 => {
                return Err(ToolError::invalid("category", "must be at most 100 characters"))
            }
            c => c,
        }
    } else {
        None
    };
    Ok(AnalyticsCall {
        kind,
        from: date("from")?,
        to: date("to")?,
        source_type: if takes("sourceType") {
            a.enumeration("sourceType", SourceType::ALL, SourceType::as_str)?
        } else {
            None
        },
        metric: if takes(metric_field) {
            pick(metric_field, &METRIC_NAMES, default_metric)?
        } else {
            None
        },
        order: pick("order", &["desc", "asc"], "desc")?,
        interval: pick("interval", &["day", "week", "month"], "day")?,
        group_by: pick("groupBy", &["none", "product", "category"], "none")?,
        limit: if takes("limit") { Some(a.integer("limit", 1, 50, 10)?) } else { None },
        category,
        product_id: if takes("productId") && a.get("productId").is_some() {
            Some(a.product_id("productId")?)
        } else {
            None
        },
    })
}

impl AnalyticsCall {
    /// The arguments as (schema name, value) pairs, defaults applied, absent ones left out; the
    /// same pairs are the REST query.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let metric_field =
            if self.kind == ToolKind::GetProductPerformance { "sort" } else { "metric" };
        let mut v: Vec<(&'static str, String)> = Vec::new();
        let mut put = |k: &'static str, x: Option<String>| {
            if let Some(x) = x {
                v.push((k, x));
            }
        };
        put("from", self.from.clone());
        put("to", self.to.clone());
        put("sourceType", self.source_type.map(|s| s.as_str().to_string()));
        put(metric_field, self.metric.map(str::to_string));
        put("order", self.order.map(str::to_string));
        put("interval", self.interval.map(str::to_string));
        put("groupBy", self.group_by.map(str::to_string));
        put("limit", self.limit.map(|l| l.to_string()));
        put("category", self.category.clone());
        put("productId", self.product_id.clone());
        v
    }
}

struct Args<'a>(&'a Map<String, Value>);

impl Args<'_> {
    /// The value, with `null` treated as absent.
    fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }

    fn required_query(&self, field: &str) -> Result<String, ToolError> {
        match self.get(field) {
            None => {
                Err(ToolError::invalid(field, "is required: a search text of 1 to 512 characters"))
            }
            Some(v) => match query_text(field, v)? {
                Some(q) => Ok(q),
                None => Err(ToolError::invalid(
                    field,
                    "must not be empty: give a search text of 1 to 512 characters",
                )),
            },
        }
    }

    fn optional_query(&self, field: &str) -> Result<Option<String>, ToolError> {
        match self.get(field) {
            None => Ok(None),
            Some(v) => query_text(field, v),
        }
    }

    fn enumeration<T: Copy>(
        &self,
        field: &str,
        all: &[T],
        wire: fn(T) -> &'static str,
    ) -> Result<Option<T>, ToolError> {
        let allowed =
            || all.iter().map(|v| format!("\"{}\"", wire(*v))).collect::<Vec<_>>().join(", ");
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => match all.iter().find(|v| wire(**v) == s) {
                Some(v) => Ok(Some(*v)),
                None => Err(ToolError::invalid(
                    field,
                    format!("must be one of {}; got \"{}\"", allowed(), clip(s, 40)),
                )),
            },
            Some(other) => Err(ToolError::invalid(
                field,
                format!("must be a string, one of {}; got {}", allowed(), type_name(other)),
            )),
        }
    }

    fn integer(&self, field: &str, min: u32, max: u32, default: u32) -> Result<u32, ToolError> {
        let range = if max == u32::MAX {
            format!("an integer of at least {min}")
        } else {
            format!("an integer from {min} to {max}")
        };
        let v = match self.get(field) {
            None => return Ok(default),
            Some(v) => v,
        };
        let n = match v {
            Value::Number(n) => n,
            other => {
                return Err(ToolError::invalid(
                    field,
                    format!(
                        "must be {range} (default {default}), given as a JSON number; got {}",
                        type_name(other)
                    ),
                ))
            }
        };
        let value: Option<i128> = if let Some(i) = n.as_i64() {
            Some(i as i128)
        } else if let Some(u) = n.as_u64() {
            Some(u as i128)
        } else {
            n.as_f64()
                .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 1e30)
                .map(|f| f as i128)
        };
        match value {
            Some(i) if i >= min as i128 && i <= max as i128 => Ok(i as u32),
            Some(i) => Err(ToolError::invalid(
                field,
                format!("must be {range} (default {default}); got {i}"),
            )),
            None => Err(ToolError::invalid(
                field,
                format!("must be {range} (default {default}); got {n}"),
            )),
        }
    }

    fn product_id(&self, field: &str) -> Result<String, ToolError> {
        let rule = "1 to 64 characters, each a letter, digit, underscore or hyphen (as returned by crow_search_products)";
        match self.get(field) {
            None => Err(ToolError::invalid(field, format!("is required: a product id of {rule}"))),
            Some(Value::String(s)) => {
                let ok = (1..=64).contains(&s.len())
                    && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if ok {
                    Ok(s.clone())
                } else {
                    Err(ToolError::invalid(
                        field,
                        format!("must be {rule}; got \"{}\"", clip(s, 70)),
                    ))
                }
            }
            Some(other) => Err(ToolError::invalid(
                field,
                format!("must be a string of {rule}; got {}", type_name(other)),
            )),
        }
    }
}

/// A trimmed query: `Ok(None)` when blank.
fn query_text(field: &str, v: &Value) -> Result<Option<String>, ToolError> {
    let s = match v {
        Value::String(s) => s.trim(),
        other => {
            return Err(ToolError::invalid(
                field,
                format!("must be a string of 1 to 512 characters; got {}", type_name(other)),
            ))
        }
    };
    if s.is_empty() {
        return Ok(None);
    }
    let chars = s.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(ToolError::invalid(
            field,
            format!(
                "is too long: {chars} characters after trimming, at most {MAX_QUERY_CHARS} allowed"
            ),
        ));
    }
    Ok(Some(s.to_string()))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// At most `max` characters of `s` (an ellipsis marks a cut).
pub(crate) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(name: &str, args: Value) -> (String, String) {
        match validate(name, &args) {
            Err(ToolError::InvalidArguments { field, message }) => (field, message),
            other => panic!("{name} {args}: {other:?}"),
        }
    }

    #[test]
    fn unknown_tools_are_told_apart_from_bad_arguments() {
        assert_eq!(validate("nope", &json!({})), Err(ToolError::UnknownTool("nope".into())));
        assert!(matches!(
            validate("crow_search_products", &json!({})),
            Err(ToolError::InvalidArguments { .. })
        ));
    }

    #[test]
    fn defaults_are_applied() {
        assert_eq!(
            validate("crow_search_products", &json!({"query": "  red shoes "})).unwrap(),
            ToolCall::SearchProducts {
                query: "red shoes".into(),
                mode: SearchMode::Hybrid,
                limit: 10
            }
        );
        assert_eq!(
            validate("crow_search_interactions", &Value::Null).unwrap(),
            ToolCall::SearchInteractions { query: None, source_type: None, limit: 20, page: 1 }
        );
        assert_eq!(
            validate("crow_search_patterns", &json!({})).unwrap(),
            ToolCall::SearchPatterns { query: None, period: None, limit: 20 }
        );
        assert_eq!(
            validate("crow_search_org_context", &json!({"query": "returns"})).unwrap(),
            ToolCall::SearchOrgContext { query: "returns".into(), limit: 5 }
        );
        assert_eq!(
            validate("crow_get_interaction_summary", &json!({})).unwrap(),
            ToolCall::GetInteractionSummary
        );
        assert_eq!(
            validate("crow_get_interaction_summary", &Value::Null).unwrap(),
            ToolCall::GetInteractionSummary
        );
    }

    #[test]
    fn all_fields_are_parsed() {
        assert_eq!(
            validate(
                "crow_search_interactions",
                &json!({"query": "refund", "sourceType": "cctv", "limit": 100, "page": 3})
            )
            .unwrap(),
            ToolCall::SearchInteractions {
                query: Some("refund".into()),
                source_type: Some(SourceType::Cctv),
                limit: 100,
                page: 3
            }
        );
        assert_eq!(
            validate(
                "crow_search_patterns",
                &json!({"query": "peak", "period": "yearly", "limit": 1})
            )
            .unwrap(),
            ToolCall::SearchPatterns {
                query: Some("peak".into()),
                period: Some(Period::Yearly),
                limit: 1
            }
        );
        assert_eq!(
            validate("crow_search_products", &json!({"query": "x", "mode": "fts", "limit": 50}))
                .unwrap(),
            ToolCall::SearchProducts { query: "x".into(), mode: SearchMode::Fts, limit: 50 }
        );
        assert_eq!(
            validate("crow_get_product_ai_descriptions", &json!({"productId": "prod_01-AB"}))
                .unwrap(),
            ToolCall::GetProductAiDescriptions { product_id: "prod_01-AB".into() }
        );
    }

    #[test]
    fn integral_floats_are_numbers_but_strings_and_fractions_are_not() {
        assert_eq!(
            validate("crow_search_products", &json!({"query": "x", "limit": 5.0})).unwrap(),
            ToolCall::SearchProducts { query: "x".into(), mode: SearchMode::Hybrid, limit: 5 }
        );
        let (f, m) = invalid("crow_search_products", json!({"query": "x", "limit": "5"}));
        assert_eq!(f, "limit");
        assert!(m.contains("from 1 to 50") && m.contains("a string"), "{m}");
        let (f, m) = invalid("crow_search_products", json!({"query": "x", "limit": 5.5}));
        assert_eq!(f, "limit");
        assert!(m.contains("5.5"), "{m}");
        assert_eq!(
            invalid("crow_search_products", json!({"query": "x", "limit": true})).0,
            "limit"
        );
        assert_eq!(
            invalid("crow_search_products", json!({"query": "x", "limit": 1e300})).0,
            "limit"
        );
    }

    #[test]
    fn ranges_are_enforced_with_helpful_messages() {
        for (tool, field, bad) in [
            ("crow_search_products", "limit", json!(0)),
            ("crow_search_products", "limit", json!(51)),
            ("crow_search_interactions", "limit", json!(101)),
            ("crow_search_interactions", "page", json!(0)),
            ("crow_search_interactions", "page", json!(-1)),
            ("crow_search_interactions", "page", json!(5_000_000_000u64)),
            ("crow_search_patterns", "limit", json!(51)),
            ("crow_search_org_context", "limit", json!(21)),
        ] {
            let mut args = json!({"query": "q"});
            args[field] = bad.clone();
            let (f, m) = invalid(tool, args);
            assert_eq!(f, field, "{tool} {bad}");
            assert!(m.contains("integer"), "{m}");
        }
        assert_eq!(
            validate("crow_search_interactions", &json!({"page": 10_000})).unwrap().arguments()
                ["page"],
            10_000
        );
        let (f, m) = invalid("crow_search_interactions", json!({"page": 10_001}));
        assert_eq!(f, "page");
        assert!(m.contains("10000"), "{m}");
    }

    #[test]
    fn enums_name_the_allowed_values() {
        let (f, m) = invalid("crow_search_products", json!({"query": "x", "mode": "vector"}));
        assert_eq!(f, "mode");
        assert!(m.contains("\"semantic\", \"fts\", \"hybrid\"") && m.contains("vector"), "{m}");
        let (f, m) = invalid("crow_search_interactions", json!({"sourceType": "email"}));
        assert_eq!(f, "sourceType");
        assert!(m.contains("\"web\", \"cctv\", \"social\""), "{m}");
        let (f, m) = invalid("crow_search_patterns", json!({"period": "hourly"}));
        assert_eq!(f, "period");
        assert!(m.contains("\"daily\", \"weekly\", \"monthly\", \"yearly\""), "{m}");
        assert_eq!(invalid("crow_search_patterns", json!({"period": "Weekly"})).0, "period");
        assert_eq!(invalid("crow_search_patterns", json!({"period": 7})).0, "period");
    }

    #[test]
    fn queries_are_trimmed_and_bounded() {
        let (f, m) = invalid("crow_search_products", json!({}));
        assert_eq!(f, "query");
        assert!(m.contains("required"));
        assert_eq!(invalid("crow_search_products", json!({"query": "   "})).0, "query");
        assert_eq!(invalid("crow_search_products", json!({"query": null})).0, "query");
        assert_eq!(invalid("crow_search_org_context", json!({"query": 42})).0, "query");
        let max = "é".repeat(512);
        assert!(validate("crow_search_products", &json!({"query": format!("  {max}  ")})).is_ok());
        let (f, m) = invalid("crow_search_products", json!({"query": "é".repeat(513)}));
        assert_eq!(f, "query");
        assert!(m.contains("513"), "{m}");
        // optional queries: blank or null means "no query"
        assert_eq!(
            validate("crow_search_interactions", &json!({"query": "  ", "sourceType": null}))
                .unwrap(),
            ToolCall::SearchInteractions { query: None, source_type: None, limit: 20, page: 1 }
        );
        assert_eq!(invalid("crow_search_patterns", json!({"query": "x".repeat(600)})).0, "query");
    }

    #[test]
    fn product_ids_follow_the_pattern() {
        for bad in
            [json!(""), json!("a b"), json!("../x"), json!("x".repeat(65)), json!("é"), json!(12)]
        {
            assert_eq!(
                invalid("crow_get_product_ai_descriptions", json!({"productId": bad})).0,
                "productId"
            );
        }
        assert!(validate(
            "crow_get_product_ai_descriptions",
            &json!({"productId": "x".repeat(64)})
        )
        .is_ok());
        let (f, m) = invalid("crow_get_product_ai_descriptions", json!({}));
        assert_eq!(f, "productId");
        assert!(m.contains("required"));
    }

    #[test]
    fn unknown_arguments_and_non_objects_are_refused() {
        let (f, m) = invalid("crow_search_products", json!({"query": "x", "orgId": "other"}));
        assert_eq!(f, "orgId");
        assert!(m.contains("accepts only: query, mode, limit"), "{m}");
        let (f, m) = invalid("crow_get_interaction_summary", json!({"x": 1}));
        assert_eq!(f, "x");
        assert!(m.contains("no arguments"), "{m}");
        assert_eq!(invalid("crow_search_products", json!(["x"])).0, "arguments");
        assert_eq!(invalid("crow_search_products", json!("x")).0, "arguments");
    }

    #[test]
    fn normalized_arguments_round_trip() {
        for (name, args) in [
            ("crow_search_products", json!({"query": " a ", "limit": 3.0})),
            ("crow_search_interactions", json!({"sourceType": "web"})),
            ("crow_get_interaction_summary", json!({})),
            ("crow_search_patterns", json!({"query": "q", "period": "daily"})),
            ("crow_get_product_ai_descriptions", json!({"productId": "p1"})),
            ("crow_search_org_context", json!({"query": "policy", "limit": 20})),
        ] {
            let call = validate(name, &args).unwrap();
            assert_eq!(call.name(), name);
            assert_eq!(validate(name, &call.arguments()).unwrap(), call);
        }
    }

    #[test]
    fn clip_is_char_safe() {
        assert_eq!(clip("ééé", 2), "éé…");
        assert_eq!(clip("ab", 2), "ab");
    }
}
