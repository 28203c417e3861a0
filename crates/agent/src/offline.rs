//! [`OfflineModel`]: a deterministic, rule-based stand-in for a language model, for local
//! development (Workers AI never runs locally) and tests. It is *not* a language model, and every
//! answer it writes starts with [`OFFLINE_ANSWER_HEADER`] saying so.
//!
//! **Planning** (no tool results yet for the current question): it picks tool calls from the
//! question's words, in this order, keeping only tools on offer and at most
//! [`OFFLINE_MAX_CALLS`]:
//!
//! | words in the question | call |
//! |---|---|
//! | "description"/"describe" + a product-id-looking token (`SKU-1234`, `prod_42`, `p-7`) | `crow_get_product_ai_descriptions {productId}` |
//! | otherwise product words (product, item, sku, catalog, stock, selling, price, brand…) or "description" | `crow_search_products {query, mode:"hybrid", limit:5}` |
//! | interaction words (interaction, customer, traffic, visit, channel, footfall, feedback…) or a channel | `crow_get_interaction_summary {}` |
//! | … and, unless it is only a count question ("how many", total, breakdown…), or when one channel is named (web/website/online, cctv/camera/in-store, social/instagram/facebook/tiktok) | `crow_search_interactions {query, sourceType?, limit:5}` |
//! | pattern words (pattern, trend, peak, seasonal, behaviour, daily/weekly/monthly/yearly, "over time") | `crow_search_patterns {query, period?, limit:5}`; `period` from the first of day/week/month/year words |
//! | knowledge words (policy, knowledge, document, FAQ, guideline, handbook, refund, warranty, shipping, company…) | `crow_search_org_context {query, limit:5}` |
//! | nothing matched | `crow_get_interaction_summary {}` and `crow_search_org_context {query, limit:5}` |
//!
//! `query` is the question itself (at most 512 characters, the tools' limit).
//!
//! **Answering** (tool results present after the current question): it restates each result —
//! counts, totals, the first [`OFFLINE_TOP_ITEMS`] items with their names and ids, scalar fields of
//! summaries, and failures — naming the tool each came from. It never adds a fact that is not in
//! a tool result.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::agent_loop::FINAL_ANSWER_PROMPT;
use crate::compact::truncate_chars;
use crate::error::ModelError;
use crate::insight;
use crate::model::Model;
use crate::types::{Message, ModelTurn, Role, ToolCallRequest, ToolSpec};

/// The offline planner's model name.
pub const OFFLINE_MODEL_NAME: &str = "crow-offline-planner";
/// The first line of every offline answer.
pub const OFFLINE_ANSWER_HEADER: &str = "[crow-offline-planner] This answer was produced by the \
deterministic offline planner, not a language model: it only restates the tool results below.";
/// Most tool calls the planner makes for one question.
pub const OFFLINE_MAX_CALLS: usize = 4;
/// The `limit` the planner passes to search tools.
pub const OFFLINE_RESULT_LIMIT: u64 = 5;
/// How many items of a list the answer shows.
pub const OFFLINE_TOP_ITEMS: usize = 5;

const MAX_QUERY_CHARS: usize = 512;
const MAX_LABEL_CHARS: usize = 120;
const MAX_SCALAR_LINES: usize = 15;

const PRODUCT_WORDS: &[&str] = &[
    "product",
    "products",
    "item",
    "items",
    "sku",
    "skus",
    "catalog",
    "catalogue",
    "inventory",
    "stock",
    "merchandise",
    "bestseller",
    "bestsellers",
    "best-seller",
    "best-sellers",
    "best-selling",
    "top-selling",
    "selling",
    "sell",
    "sells",
    "sold",
    "price",
    "prices",
    "pricing",
    "brand",
    "brands",
];
const INTERACTION_WORDS: &[&str] = &[
    "interaction",
    "interactions",
    "customer",
    "customers",
    "traffic",
    "visit",
    "visits",
    "visited",
    "visitor",
    "visitors",
    "channel",
    "channels",
    "footfall",
    "engagement",
    "engagements",
    "shopper",
    "shoppers",
    "session",
    "sessions",
    "feedback",
    "complaint",
    "complaints",
    "review",
    "reviews",
    "comment",
    "comments",
    "mention",
    "mentions",
];
const COUNT_WORDS: &[&str] = &[
    "count",
    "counts",
    "total",
    "totals",
    "number",
    "numbers",
    "breakdown",
    "overview",
    "summary",
    "summarize",
    "summarise",
    "split",
    "volume",
    "volumes",
];
const PATTERN_WORDS: &[&str] = &[
    "pattern",
    "patterns",
    "trend",
    "trends",
    "trending",
    "seasonal",
    "seasonality",
    "peak",
    "peaks",
    "daily",
    "weekly",
    "monthly",
    "yearly",
    "annual",
    "annually",
    "recurring",
    "cycle",
    "cycles",
    "behaviour",
    "behavior",
    "behavioural",
    "behavioral",
];
const ORG_WORDS: &[&str] = &[
    "policy",
    "policies",
    "knowledge",
    "document",
    "documents",
    "documentation",
    "doc",
    "docs",
    "faq",
    "faqs",
    "guideline",
    "guidelines",
    "handbook",
    "procedure",
    "procedures",
    "manual",
    "manuals",
    "sop",
    "sops",
    "refund",
    "refunds",
    "warranty",
    "warranties",
    "shipping",
    "company",
    "organization",
    "organisation",
    "org",
];
const SOURCE_WORDS: &[(&str, &str)] = &[
    ("web", "web"),
    ("website", "web"),
    ("online", "web"),
    ("site", "web"),
    ("ecommerce", "web"),
    ("e-commerce", "web"),
    ("cctv", "cctv"),
    ("camera", "cctv"),
    ("cameras", "cctv"),
    ("in-store", "cctv"),
    ("instore", "cctv"),
    ("social", "social"),
    ("instagram", "social"),
    ("facebook", "social"),
    ("tiktok", "social"),
    ("twitter", "social"),
];
const PERIOD_WORDS: &[(&str, &str)] = &[
    ("daily", "daily"),
    ("day", "daily"),
    ("days", "daily"),
    ("today", "daily"),
    ("yesterday", "daily"),
    ("nightly", "daily"),
    ("weekly", "weekly"),
    ("week", "weekly"),
    ("weeks", "weekly"),
    ("weekend", "weekly"),
    ("weekends", "weekly"),
    ("weekday", "weekly"),
    ("weekdays", "weekly"),
    ("monthly", "monthly"),
    ("month", "monthly"),
    ("months", "monthly"),
    ("yearly", "yearly"),
    ("year", "yearly"),
    ("years", "yearly"),
    ("annual", "yearly"),
    ("annually", "yearly"),
];
const ID_KEYWORDS: &[&str] = &["product", "id", "sku", "productid", "item"];

/// Keys whose array holds the result items, in preference order.
const ITEM_KEYS: &[&str] = &[
    "results",
    "items",
    "products",
    "interactions",
    "patterns",
    "documents",
    "descriptions",
    "data",
    "hits",
    "matches",
    "records",
    "rows",
    "entries",
];
const TOTAL_KEYS: &[&str] =
    &["total", "totalCount", "total_count", "totalResults", "total_results", "count"];
const LABEL_KEYS: &[&str] = &[
    "name",
    "title",
    "productName",
    "product_name",
    "label",
    "question",
    "summary",
    "description",
    "text",
    "content",
    "pattern",
    "answer",
];
const ID_KEYS: &[&str] = &[
    "id",
    "productId",
    "product_id",
    "interactionId",
    "interaction_id",
    "patternId",
    "pattern_id",
    "documentId",
    "document_id",
    "sku",
    "_id",
];
const TAG_KEYS: &[&str] = &[
    "sourceType",
    "source_type",
    "channel",
    "period",
    "category",
    "type",
    "style",
    "sentiment",
    "date",
];

/// The deterministic offline planner. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OfflineModel {
    /// The clock relative periods ("last month") are read against; without one they are left
    /// to the tools' defaults.
    now_ms: Option<i64>,
}

impl OfflineModel {
    /// The planner.
    pub fn new() -> Self {
        OfflineModel { now_ms: None }
    }

    /// The planner, reading relative periods against `now_ms` (epoch milliseconds).
    pub fn at(now_ms: i64) -> Self {
        OfflineModel { now_ms: Some(now_ms) }
    }

    /// An analytical reading of the question, when it is one and the analytics tools are on offer.
    fn reading(&self, question: &str, available: &[ToolSpec]) -> Option<insight::Reading> {
        if !available.iter().any(|s| s.name == "crow_get_product_performance") {
            return None;
        }
        let mut r = insight::read(question, self.now_ms.unwrap_or(0))?;
        if self.now_ms.is_none() {
            r.window = None;
        }
        Some(r)
    }

    /// The tool calls planned for `question`, restricted to the `available` tools.
    pub fn plan(&self, question: &str, available: &[ToolSpec]) -> Vec<ToolCallRequest> {
        let question = question.trim();
        if let Some((name, arguments)) =
            self.reading(question, available).as_ref().and_then(insight::call)
        {
            if available.iter().any(|spec| spec.name == name) {
                return vec![ToolCallRequest::new("offline_1", name, arguments)];
            }
        }
        let query: String = question.chars().take(MAX_QUERY_CHARS).collect();
        let lower = question.to_lowercase();
        let words = words_of(&lower);
        let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
        let search = |extra: Option<(&str, &str)>| {
            let mut args = Map::new();
            args.insert("query".into(), json!(query));
            if let Some((key, value)) = extra {
                args.insert(key.into(), json!(value));
            }
            args.insert("limit".into(), json!(OFFLINE_RESULT_LIMIT));
            Value::Object(args)
        };

        let mut planned: Vec<(&str, Value)> = Vec::new();
        let describe = lower.contains("descri");
        match describe.then(|| find_product_id(question)).flatten() {
            Some(id) => {
                planned.push(("crow_get_product_ai_descriptions", json!({ "productId": id })))
            }
            None if describe || has(PRODUCT_WORDS) => planned.push((
                "crow_search_products",
                json!({"query": query, "mode": "hybrid", "limit": OFFLINE_RESULT_LIMIT}),
            )),
            None => {}
        }
        let source = source_type(&words);
        if source.is_some() || has(INTERACTION_WORDS) {
            planned.push(("crow_get_interaction_summary", json!({})));
            let count_only = lower.contains("how many") || has(COUNT_WORDS);
            if source.is_some() || !count_only {
                planned
                    .push(("crow_search_interactions", search(source.map(|s| ("sourceType", s)))));
            }
        }
        if has(PATTERN_WORDS) || lower.contains("over time") {
            let period = first_match(&words, PERIOD_WORDS);
            planned.push(("crow_search_patterns", search(period.map(|p| ("period", p)))));
        }
        if has(ORG_WORDS) {
            planned.push(("crow_search_org_context", search(None)));
        }
        if planned.is_empty() {
            planned.push(("crow_get_interaction_summary", json!({})));
            planned.push(("crow_search_org_context", search(None)));
        }

        planned
            .into_iter()
            .filter(|(name, _)| available.iter().any(|spec| spec.name == *name))
            .take(OFFLINE_MAX_CALLS)
            .enumerate()
            .map(|(index, (name, arguments))| {
                ToolCallRequest::new(format!("offline_{}", index + 1), name, arguments)
            })
            .collect()
    }

    fn respond(&self, messages: &[Message], tools: &[ToolSpec]) -> ModelTurn {
        let start = messages
            .iter()
            .rposition(|m| m.role == Role::User && m.content.trim() != FINAL_ANSWER_PROMPT);
        let Some(start) = start else {
            return ModelTurn::Final(format!(
                "{OFFLINE_ANSWER_HEADER}\n\nThere was no question to answer."
            ));
        };
        let question = messages.get(start).map(|m| m.content.trim()).unwrap_or_default();
        let turn = messages.get(start + 1..).unwrap_or_default();

        let requested: HashMap<&str, &ToolCallRequest> =
            turn.iter().flat_map(|m| m.calls()).map(|call| (call.id.as_str(), call)).collect();
        let results: Vec<ResultEntry<'_>> = turn
            .iter()
            .filter(|m| m.role == Role::Tool)
            .map(|m| {
                let call = m.tool_call_id.as_deref().and_then(|id| requested.get(id).copied());
                let tool = m
                    .name
                    .clone()
                    .or_else(|| call.map(|c| c.name.clone()))
                    .unwrap_or_else(|| "an unnamed tool".to_owned());
                ResultEntry { tool, arguments: call.map(|c| &c.arguments), content: &m.content }
            })
            .collect();

        if !results.is_empty() {
            if let Some(answer) = compose_analytics(&results) {
                return ModelTurn::Final(answer);
            }
            return ModelTurn::Final(compose(question, &results));
        }
        if let Some(insight::Intent::NoData(what)) = self.reading(question, tools).map(|r| r.intent)
        {
            return ModelTurn::Final(format!(
                "{OFFLINE_ANSWER_HEADER}\n\n{}",
                insight::no_data(what)
            ));
        }
        if tools.is_empty() {
            return ModelTurn::Final(format!(
                "{OFFLINE_ANSWER_HEADER}\n\nNo tools were available and no tool results are in the \
                 conversation, so there is no data to answer this question from."
            ));
        }
        let plan = self.plan(question, tools);
        if plan.is_empty() {
            return ModelTurn::Final(format!(
                "{OFFLINE_ANSWER_HEADER}\n\nNone of the tools this question needs are available, so no \
                 data was retrieved."
            ));
        }
        ModelTurn::ToolCalls(plan)
    }
}

impl Model for OfflineModel {
    fn name(&self) -> &str {
        OFFLINE_MODEL_NAME
    }

    async fn complete(
        &self,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> Result<ModelTurn, ModelError> {
        Ok(self.respond(messages, tools))
    }
}

/// Lower-case words; hyphenated words are kept whole and also split into their parts.
fn words_of(lower: &str) -> Vec<String> {
    let mut words = Vec::new();
    for token in lower.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')) {
        let token = token.trim_matches(|c| c == '-' || c == '_');
        if token.is_empty() {
            continue;
        }
        words.push(token.to_owned());
        if token.contains('-') {
            words.extend(token.split('-').filter(|part| !part.is_empty()).map(str::to_owned));
        }
    }
    words
}

fn first_match(words: &[String], table: &[(&str, &'static str)]) -> Option<&'static str> {
    words.iter().find_map(|w| table.iter().find(|(word, _)| word == w).map(|(_, value)| *value))
}

/// The one channel the question names, if exactly one.
fn source_type(words: &[String]) -> Option<&'static str> {
    let mut found: Vec<&'static str> = Vec::new();
    for word in words {
        if let Some((_, source)) = SOURCE_WORDS.iter().find(|(w, _)| w == word) {
            if !found.contains(source) {
                found.push(source);
            }
        }
    }
    match found.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// A product-id-looking token: the token after "product"/"id"/"sku"/"item" if it has a digit,
/// `-` or `_`; else the first token mixing letters and digits (or of 3+ digits, not a year or an
/// ordinal).
fn find_product_id(question: &str) -> Option<String> {
    let tokens: Vec<&str> = question
        .split_whitespace()
        .map(|t| t.trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')))
        .filter(|t| !t.is_empty())
        .collect();
    let id_chars = |t: &str| {
        t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let digits = |t: &str| t.chars().filter(char::is_ascii_digit).count();
    let letters = |t: &str| t.chars().filter(char::is_ascii_alphabetic).count();

    for pair in tokens.windows(2) {
        if let [keyword, token] = pair {
            let keyword = keyword.to_lowercase();
            let marked = token.contains(['-', '_']) || digits(token) > 0;
            if ID_KEYWORDS.contains(&keyword.as_str())
                && id_chars(token)
                && marked
                && token.len() >= 2
            {
                return Some((*token).to_owned());
            }
        }
    }
    tokens
        .iter()
        .find(|t| {
            let d = digits(t);
            let lower = t.to_lowercase();
            let ordinal = ["st", "nd", "rd", "th"].iter().any(|s| {
                lower
                    .strip_suffix(s)
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            });
            let year = t.len() == 4 && d == 4 && (t.starts_with("19") || t.starts_with("20"));
            t.len() >= 2 && id_chars(t) && d > 0 && (letters(t) > 0 || d >= 3) && !ordinal && !year
        })
        .map(|t| (*t).to_owned())
}

/// The answer when every result is an analytics tool's: its sentences (figures, period, names
/// and ids), then where they came from. `None` otherwise.
fn compose_analytics(results: &[ResultEntry<'_>]) -> Option<String> {
    let mut parts = Vec::new();
    for entry in results {
        if !entry.tool.starts_with("crow_get_product_performance")
            && !matches!(
                entry.tool.as_str(),
                "crow_get_metric_trend"
                    | "crow_compare_periods"
                    | "crow_get_funnel"
                    | "crow_get_store_breakdown"
            )
        {
            return None;
        }
        let value: Value = serde_json::from_str(entry.content).ok()?;
        let value = match value.get("truncated") {
            Some(Value::Bool(true)) => value.get("result").cloned()?,
            _ => value,
        };
        if let Some(error) = value.get("error") {
            let message = error.as_str().map_or_else(|| error.to_string(), str::to_owned);
            parts.push(format!(
                "I could not get the figures: {} answered \"{}\". The data does not say more.",
                entry.tool, message
            ));
            continue;
        }
        parts.push(value.get("answer")?.as_str()?.to_owned());
    }
    let tools: Vec<&str> = results.iter().map(|r| r.tool.as_str()).collect();
    Some(format!(
        "{OFFLINE_ANSWER_HEADER}\n\n{}\n\n(Figures computed by CROW from this organization's own interactions: {}.)",
        parts.join("\n\n"),
        dedup(tools).join(", ")
    ))
}

struct ResultEntry<'a> {
    tool: String,
    arguments: Option<&'a Value>,
    content: &'a str,
}

fn compose(question: &str, results: &[ResultEntry<'_>]) -> String {
    let mut out = format!("{OFFLINE_ANSWER_HEADER}\n\nQuestion: {question}\n");
    let mut failed = 0usize;
    for entry in results {
        let (lines, ok) = section(entry);
        if !ok {
            failed += 1;
        }
        out.push('\n');
        out.push_str(&lines.join("\n"));
        out.push('\n');
    }
    out.push('\n');
    if failed == results.len() {
        out.push_str("No data could be retrieved: every tool call failed.");
    } else {
        let tools: Vec<&str> = results.iter().map(|r| r.tool.as_str()).collect();
        out.push_str(&format!(
            "Everything above comes from these tool results ({}); nothing else was added.",
            dedup(tools).join(", ")
        ));
    }
    out
}

fn dedup(items: Vec<&str>) -> Vec<&str> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// The lines for one tool result, and whether the tool succeeded.
fn section(entry: &ResultEntry<'_>) -> (Vec<String>, bool) {
    let heading = format!("From {}{}:", entry.tool, argument_note(entry.arguments));
    let Ok(value) = serde_json::from_str::<Value>(entry.content) else {
        return (
            vec![heading, "- The result was not JSON, so it is not summarised here.".to_owned()],
            true,
        );
    };
    if let Some(error) = value.get("error") {
        let message = error.as_str().map_or_else(|| error.to_string(), str::to_owned);
        return (vec![format!("{} failed: {}", entry.tool, message)], false);
    }
    let mut lines = vec![heading];
    let mut value = &value;
    if value.get("truncated") == Some(&Value::Bool(true)) {
        match value.get("result") {
            Some(result) => {
                lines.push(
                    "- (The result was shortened for size; only part of it is shown.)".to_owned(),
                );
                value = result;
            }
            None => {
                lines.push("- The result was too large to summarise offline.".to_owned());
                return (lines, true);
            }
        }
    }
    lines.extend(describe(value));
    (lines, true)
}

/// `" (sourceType=web, period=weekly)"` for the arguments other than query/limit/page/mode.
fn argument_note(arguments: Option<&Value>) -> String {
    let Some(Value::Object(map)) = arguments else {
        return String::new();
    };
    let parts: Vec<String> = map
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "query" | "limit" | "page" | "mode"))
        .map(|(key, value)| format!("{key}={}", scalar_text(value)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

fn describe(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => list_lines(items, None),
        Value::Object(map) => match find_items(map) {
            Some(items) => list_lines(items, find_total(map)),
            None => scalar_lines(map),
        },
        other => vec![format!("- {}", scalar_text(other))],
    }
}

fn find_items(map: &Map<String, Value>) -> Option<&Vec<Value>> {
    for key in ITEM_KEYS {
        if let Some(Value::Array(items)) = map.get(*key) {
            return Some(items);
        }
    }
    if let Some(Value::Object(data)) = map.get("data") {
        if let Some(items) = find_items(data) {
            return Some(items);
        }
    }
    map.values().find_map(|v| match v {
        Value::Array(items) if items.iter().any(Value::is_object) => Some(items),
        _ => None,
    })
}

fn find_total(map: &Map<String, Value>) -> Option<&serde_json::Number> {
    let direct = TOTAL_KEYS.iter().find_map(|key| map.get(*key).and_then(as_number));
    direct.or_else(|| {
        ["data", "pagination", "meta"].iter().find_map(|outer| {
            let inner = map.get(*outer)?.as_object()?;
            TOTAL_KEYS.iter().find_map(|key| inner.get(*key).and_then(as_number))
        })
    })
}

fn as_number(value: &Value) -> Option<&serde_json::Number> {
    match value {
        Value::Number(n) => Some(n),
        _ => None,
    }
}

fn list_lines(items: &[Value], total: Option<&serde_json::Number>) -> Vec<String> {
    if items.is_empty() {
        return vec!["- No results.".to_owned()];
    }
    let count = items.len();
    let of_total = match total {
        Some(total) if total.as_f64().is_some_and(|t| t > count as f64) => {
            format!(" (of {total} in total)")
        }
        _ => String::new(),
    };
    let noun = if count == 1 { "result" } else { "results" };
    let mut lines = vec![format!("- {count} {noun}{of_total}:")];
    for (index, item) in items.iter().take(OFFLINE_TOP_ITEMS).enumerate() {
        lines.push(format!("  {}. {}", index + 1, item_line(item)));
    }
    if count > OFFLINE_TOP_ITEMS {
        lines.push(format!("  … and {} more.", count - OFFLINE_TOP_ITEMS));
    }
    lines
}

fn item_line(item: &Value) -> String {
    let Value::Object(map) = item else {
        return truncate_chars(&scalar_text(item), MAX_LABEL_CHARS);
    };
    let label = pick_field(map, LABEL_KEYS);
    let id = pick_field(map, ID_KEYS);
    let label_key = label.as_ref().map(|(key, _)| *key);
    let mut details: Vec<String> = Vec::new();
    for key in TAG_KEYS {
        if Some(*key) == label_key {
            continue;
        }
        if let Some(Value::String(tag)) = map.get(*key) {
            if !tag.trim().is_empty() && details.len() < 2 {
                details.push(format!("{key} {}", truncate_chars(tag.trim(), 40)));
            }
        }
    }
    let metrics = map
        .iter()
        .filter(|(key, value)| {
            value.is_number() && !ID_KEYS.contains(&key.as_str()) && Some(key.as_str()) != label_key
        })
        .take(3)
        .map(|(key, value)| format!("{key} {value}"));
    details.extend(metrics);

    let mut line = match (&label, &id) {
        (Some((_, label)), Some((_, id))) if label != id => {
            format!("{} (id {id})", truncate_chars(label, MAX_LABEL_CHARS))
        }
        (Some((_, label)), _) => truncate_chars(label, MAX_LABEL_CHARS),
        (None, Some((_, id))) => format!("id {id}"),
        (None, None) => return truncate_chars(&item.to_string(), MAX_LABEL_CHARS + 40),
    };
    if !details.is_empty() {
        line.push_str(" — ");
        line.push_str(&details.join(", "));
    }
    line
}

/// The first of `keys` holding a non-blank string or a number, with its text.
fn pick_field(map: &Map<String, Value>, keys: &[&'static str]) -> Option<(&'static str, String)> {
    keys.iter().find_map(|key| match map.get(*key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some((*key, s.trim().to_owned())),
        Some(Value::Number(n)) => Some((*key, n.to_string())),
        _ => None,
    })
}

/// `- key: value` lines for scalar fields, and `- outer.key: value` one level down.
fn scalar_lines(map: &Map<String, Value>) -> Vec<String> {
    let mut lines = Vec::new();
    for (key, value) in map {
        match value {
            Value::Object(inner) => {
                for (inner_key, inner_value) in inner {
                    if is_scalar(inner_value) {
                        lines.push(format!("- {key}.{inner_key}: {}", scalar_text(inner_value)));
                    }
                }
            }
            value if is_scalar(value) => lines.push(format!("- {key}: {}", scalar_text(value))),
            _ => {}
        }
    }
    if lines.is_empty() {
        return vec!["- The result had no fields to report.".to_owned()];
    }
    if lines.len() > MAX_SCALAR_LINES {
        let more = lines.len() - MAX_SCALAR_LINES;
        lines.truncate(MAX_SCALAR_LINES);
        lines.push(format!("- … and {more} more fields."));
    }
    lines
}

fn is_scalar(value: &Value) -> bool {
    matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => truncate_chars(text.trim(), MAX_LABEL_CHARS),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent_loop::{run_loop, LoopConfig, DEFAULT_SYSTEM_PROMPT};
    use crate::error::ToolFailure;
    use crate::model::ToolExecutor;
    use crate::types::{SourceKind, SourceRef, ToolOutput};
    use futures::executor::block_on;

    fn all_tools() -> Vec<ToolSpec> {
        [
            "crow_search_products",
            "crow_search_interactions",
            "crow_get_interaction_summary",
            "crow_search_patterns",
            "crow_get_product_ai_descriptions",
            "crow_search_org_context",
        ]
        .iter()
        .map(|name| ToolSpec::new(*name, "test tool", json!({"type": "object", "properties": {}})))
        .collect()
    }

    fn planned(question: &str) -> Vec<(String, Value)> {
        OfflineModel::new()
            .plan(question, &all_tools())
            .into_iter()
            .map(|c| (c.name, c.arguments))
            .collect()
    }

    fn names(question: &str) -> Vec<String> {
        planned(question).into_iter().map(|(name, _)| name).collect()
    }

    #[test]
    fn plans_product_search_for_product_questions() {
        let q = "What are our top performing products?";
        assert_eq!(
            planned(q),
            vec![(
                "crow_search_products".into(),
                json!({"query": q, "mode": "hybrid", "limit": 5})
            )]
        );
        assert_eq!(names("Which items sold best?"), ["crow_search_products"]);
    }

    #[test]
    fn plans_summary_only_for_count_questions() {
        assert_eq!(
            names("How many customer interactions did we get by channel?"),
            ["crow_get_interaction_summary"]
        );
        assert_eq!(names("Give me a traffic breakdown"), ["crow_get_interaction_summary"]);
    }

    #[test]
    fn plans_interaction_search_with_source_type() {
        let q = "What are customers saying on Instagram?";
        assert_eq!(
            planned(q),
            vec![
                ("crow_get_interaction_summary".into(), json!({})),
                (
                    "crow_search_interactions".into(),
                    json!({"query": q, "sourceType": "social", "limit": 5})
                ),
            ]
        );
        let q = "How many in-store visits did the cameras see?";
        assert_eq!(planned(q)[1].1["sourceType"], json!("cctv"), "a named channel adds the search");
        let q = "Compare web and social feedback";
        assert_eq!(planned(q)[1].1.get("sourceType"), None, "two channels: no filter");
    }

    #[test]
    fn plans_pattern_search_with_period() {
        let q = "Show weekly shopping patterns";
        assert_eq!(
            planned(q),
            vec![(
                "crow_search_patterns".into(),
                json!({"query": q, "period": "weekly", "limit": 5})
            )]
        );
        assert_eq!(planned("Any monthly trends?")[0].1["period"], json!("monthly"));
        assert_eq!(planned("What trends stand out?")[0].1.get("period"), None);
        assert_eq!(
            planned("How did visits change over time each day?")[2].1["period"],
            json!("daily")
        );
    }

    #[test]
    fn plans_ai_descriptions_for_a_product_id() {
        assert_eq!(
            planned("Get the AI description for product SKU-1234."),
            vec![("crow_get_product_ai_descriptions".into(), json!({"productId": "SKU-1234"}))]
        );
        assert_eq!(planned("describe prod_42 please")[0].1, json!({"productId": "prod_42"}));
        assert_eq!(planned("descriptions of item 55120?")[0].1, json!({"productId": "55120"}));
        assert_eq!(
            names("Write descriptions for our 2nd best 2024 product"),
            ["crow_search_products"],
            "no id: search"
        );
    }

    #[test]
    fn plans_org_context_and_defaults() {
        let q = "What is our return policy?";
        assert_eq!(
            planned(q),
            vec![("crow_search_org_context".into(), json!({"query": q, "limit": 5}))]
        );
        assert_eq!(names("Where is the FAQ about shipping?"), ["crow_search_org_context"]);
        assert_eq!(
            names("Hello there"),
            ["crow_get_interaction_summary", "crow_search_org_context"]
        );
    }

    #[test]
    fn plans_several_tools_capped_and_limited_to_available_ones() {
        let q = "Product trends, customer feedback on the website and our warranty policy";
        assert_eq!(
            names(q),
            [
                "crow_search_products",
                "crow_get_interaction_summary",
                "crow_search_interactions",
                "crow_search_patterns"
            ],
            "at most four calls, in rule order"
        );
        let only_products = vec![ToolSpec::new("crow_search_products", "", json!({}))];
        assert!(OfflineModel::new().plan("What is our return policy?", &only_products).is_empty());
        let long = "product ".repeat(100);
        let query = &OfflineModel::new().plan(&long, &all_tools())[0].arguments["query"];
        assert_eq!(query.as_str().map(|q| q.chars().count()), Some(MAX_QUERY_CHARS));
    }

    #[test]
    fn first_turn_requests_tools_and_unavailable_tools_get_an_honest_answer() {
        let messages = [Message::system("s"), Message::user("Top products?")];
        let turn = block_on(OfflineModel::new().complete(&messages, &all_tools())).unwrap();
        assert!(matches!(turn, ModelTurn::ToolCalls(ref calls) if calls[0].id == "offline_1"));

        let none = block_on(OfflineModel::new().complete(&messages, &[])).unwrap();
        let ModelTurn::Final(text) = none else { panic!("expected an answer") };
        assert!(text.starts_with(OFFLINE_ANSWER_HEADER));
        assert!(text.contains("no data"));

        let only_products = vec![ToolSpec::new("crow_search_products", "", json!({}))];
        let policy = [Message::user("What is our return policy?")];
        let ModelTurn::Final(text) =
            block_on(OfflineModel::new().complete(&policy, &only_products)).unwrap()
        else {
            panic!("expected an answer")
        };
        assert!(text.contains("None of the tools this question needs are available"));
    }

    fn conversation(question: &str, results: &[(&str, Value, &str)]) -> Vec<Message> {
        let calls: Vec<ToolCallRequest> = results
            .iter()
            .enumerate()
            .map(|(i, (name, args, _))| ToolCallRequest::new(format!("c{i}"), *name, args.clone()))
            .collect();
        let mut messages = vec![
            Message::user("an earlier question"),
            Message::tool_result(
                "old",
                "crow_search_products",
                r#"{"results":[{"id":"OLD-1","name":"Old Result"}]}"#,
            ),
            Message::user(question),
            Message::assistant_tool_calls(calls),
        ];
        for (i, (name, _, content)) in results.iter().enumerate() {
            messages.push(Message::tool_result(format!("c{i}"), *name, *content));
        }
        messages
    }

    fn answer_for(messages: &[Message]) -> String {
        match block_on(OfflineModel::new().complete(messages, &all_tools())).unwrap() {
            ModelTurn::Final(text) => text,
            ModelTurn::ToolCalls(calls) => panic!("expected an answer, got {calls:?}"),
        }
    }

    /// Every digit run in the answer body must occur in the tool contents, or be a list index or
    /// item count the composer derived.
    fn assert_numbers_come_from(answer: &str, contents: &[&str], derived: &[&str]) {
        let body = answer.split_once("Question:").map(|(_, rest)| rest).unwrap_or(answer);
        let source = contents.concat();
        for number in body.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()) {
            assert!(
                source.contains(number) || derived.contains(&number),
                "number {number} is not in the tool results:\n{answer}"
            );
        }
    }

    #[test]
    fn answer_is_composed_only_from_the_given_results() {
        let products = r#"{"results":[{"id":"prod_101","name":"Trail Runner 2","price":129.5,"score":0.93},{"id":"prod_207","name":"Canvas Tote","price":24}],"total":2,"mode":"hybrid"}"#;
        let summary = r#"{"web":1204,"cctv":310,"social":87,"total":1601}"#;
        let interactions = r#"{"interactions":[{"id":"int_9","summary":"Asked about sizing","sourceType":"social"}],"total":40}"#;
        let failed =
            r#"{"error":"tool `crow_search_org_context` failed: knowledge base unavailable"}"#;
        let messages = conversation(
            "How are the Trail Runner shoes doing?",
            &[
                (
                    "crow_search_products",
                    json!({"query": "q", "mode": "hybrid", "limit": 5}),
                    products,
                ),
                ("crow_get_interaction_summary", json!({}), summary),
                (
                    "crow_search_interactions",
                    json!({"query": "q", "sourceType": "social", "limit": 5}),
                    interactions,
                ),
                ("crow_search_org_context", json!({"query": "q"}), failed),
            ],
        );
        let answer = answer_for(&messages);
        assert!(answer.starts_with(OFFLINE_ANSWER_HEADER), "{answer}");
        assert!(answer.lines().next().unwrap().contains("not a language model"));
        for expected in [
            "From crow_search_products:",
            "- 2 results:",
            "1. Trail Runner 2 (id prod_101) — price 129.5, score 0.93",
            "2. Canvas Tote (id prod_207) — price 24",
            "From crow_get_interaction_summary:",
            "- web: 1204",
            "- cctv: 310",
            "- social: 87",
            "- total: 1601",
            "From crow_search_interactions (sourceType=social):",
            "- 1 result (of 40 in total):",
            "1. Asked about sizing (id int_9) — sourceType social",
            "crow_search_org_context failed: tool `crow_search_org_context` failed: knowledge base unavailable",
        ] {
            assert!(answer.contains(expected), "missing {expected:?} in:\n{answer}");
        }
        assert!(
            !answer.contains("OLD-1") && !answer.contains("Old Result"),
            "earlier turns are ignored"
        );
        assert_numbers_come_from(&answer, &[products, summary, interactions, failed], &["1", "2"]);
    }

    #[test]
    fn empty_truncated_and_failed_results_are_reported_honestly() {
        let empty = r#"{"results":[],"total":0}"#;
        let truncated = r#"{"truncated":true,"note":"Result shortened","result":{"patterns":[{"id":"pat_1","title":"Saturday peak","period":"weekly","confidence":0.8}]}}"#;
        let messages = conversation(
            "Any weekly patterns for boots?",
            &[
                ("crow_search_products", json!({"query": "boots"}), empty),
                ("crow_search_patterns", json!({"query": "boots", "period": "weekly"}), truncated),
            ],
        );
        let answer = answer_for(&messages);
        assert!(answer.contains("From crow_search_products:\n- No results."), "{answer}");
        assert!(answer.contains("From crow_search_patterns (period=weekly):"), "{answer}");
        assert!(answer.contains("shortened for size"), "{answer}");
        assert!(
            answer.contains("1. Saturday peak (id pat_1) — period weekly, confidence 0.8"),
            "{answer}"
        );
        assert!(!answer.contains("prod_"), "no invented products");
        assert_numbers_come_from(&answer, &[empty, truncated], &["1"]);

        let all_failed = conversation(
            "Top products?",
            &[("crow_search_products", json!({}), r#"{"error":"unknown tool `x`"}"#)],
        );
        let answer = answer_for(&all_failed);
        assert!(
            answer.ends_with("No data could be retrieved: every tool call failed."),
            "{answer}"
        );
    }

    #[test]
    fn long_lists_show_the_top_items_and_how_many_more() {
        let items: Vec<Value> =
            (1..=8).map(|i| json!({"id": format!("p{i}"), "name": format!("Item {i}")})).collect();
        let content = json!({"products": items, "total": 120}).to_string();
        let answer = answer_for(&conversation(
            "Top products?",
            &[("crow_search_products", json!({}), &content)],
        ));
        assert!(answer.contains("- 8 results (of 120 in total):"), "{answer}");
        assert!(answer.contains("5. Item 5 (id p5)") && !answer.contains("Item 6"), "{answer}");
        assert!(answer.contains("… and 3 more."), "{answer}");
    }

    struct DemoTools;

    impl ToolExecutor for DemoTools {
        fn specs(&self) -> Vec<ToolSpec> {
            all_tools()
        }
        async fn execute(&self, call: &ToolCallRequest) -> Result<ToolOutput, ToolFailure> {
            match call.name.as_str() {
                "crow_search_products" => Ok(ToolOutput::with_sources(
                    json!({"results": [{"id": "prod_101", "name": "Trail Runner 2", "unitsSold": 412}], "total": 1}),
                    vec![SourceRef::new("crow_search_products", SourceKind::Product, "prod_101")
                        .titled("Trail Runner 2")],
                )),
                _ => Err(ToolFailure::new("not in this demo")),
            }
        }
    }

    #[test]
    fn runs_end_to_end_through_the_loop() {
        let answer = block_on(run_loop(
            &OfflineModel::new(),
            &DemoTools,
            DEFAULT_SYSTEM_PROMPT,
            &[],
            "What are our best-selling products?",
            LoopConfig::default(),
        ))
        .unwrap();
        assert_eq!(answer.model, OFFLINE_MODEL_NAME);
        assert_eq!(answer.rounds, 2);
        assert!(answer.text.starts_with(OFFLINE_ANSWER_HEADER));
        assert!(
            answer.text.contains("1. Trail Runner 2 (id prod_101) — unitsSold 412"),
            "{}",
            answer.text
        );
        assert_eq!(answer.tool_calls.len(), 1);
        assert_eq!(answer.sources.len(), 1);
    }
}
