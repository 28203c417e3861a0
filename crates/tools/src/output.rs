//! From the gateway's JSON answer to a tool result.
//!
//! The REST payloads land later, so the shapes below pass the gateway body through under a
//! stable top level and only assume what they must. Structured results (they match each tool's
//! `outputSchema`):
//!
//! - list tools (products, interactions, patterns, AI descriptions, org context):
//!   `{"items": [...], "count": n, "total"?: n, "arguments": {...}, "meta": {...}}`
//!   - `items`: the first array found, in this order: the body itself if it is an array; else the
//!     first of the keys [`LIST_KEYS`] holding an array at the top level; else the same keys
//!     inside a `data` object. If there is no array, a non-empty `data` object, or else the
//!     non-empty body object, becomes the single item (e.g. one product's descriptions).
//!   - `meta`: the rest of the body object with the item array (or single item) removed
//!     (pagination and the like); `{}` when the body was an array.
//!   - `total`: the first non-negative integer under `total`, `totalCount`, `total_count`,
//!     `totalItems` or `count` in the body, `body.pagination`, `body.meta`, `body.data` or
//!     `body.data.pagination`; omitted when none is found.
//! - `crow_get_interaction_summary`: `{"summary": {...}, "arguments": {}}`, where `summary` is the
//!   body's `data` object if there is one, else the body object, else `{"value": body}`. Expected
//!   keys (not enforced): `web`, `cctv`, `social`, `total`.
//!
//! `arguments` always echoes the normalized arguments (defaults applied) so the reader knows,
//! e.g., which page and limit produced the items.

use serde_json::{json, Map, Value};

use crate::validate::{clip, ToolCall};

/// Keys that may hold the list of results in a gateway answer, in lookup order.
pub const LIST_KEYS: [&str; 15] = [
    "items",
    "results",
    "data",
    "hits",
    "matches",
    "products",
    "interactions",
    "patterns",
    "descriptions",
    "aiDescriptions",
    "ai_descriptions",
    "documents",
    "entries",
    "records",
    "rows",
];

const TOTAL_KEYS: [&str; 5] = ["total", "totalCount", "total_count", "totalItems", "count"];
const LABEL_KEYS: [&str; 9] =
    ["name", "title", "productName", "question", "label", "pattern", "summary", "text", "content"];
const MAX_LABELS: usize = 5;

/// A rendered tool result.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    /// The structured result (matches the tool's `outputSchema`).
    pub structured: Value,
    /// One or two sentences for humans and models, e.g. `Found 3 products for "shoes" ...`.
    pub summary: String,
}

impl ToolOutput {
    /// The summary followed by the structured result as compact JSON: the text block for
    /// clients that ignore `structuredContent` (MCP asks servers to serialize it into text too).
    pub fn text(&self) -> String {
        format!("{}\n\n{}", self.summary, self.structured)
    }
}

impl ToolCall {
    /// Turns the gateway's JSON answer for this call into a [`ToolOutput`].
    pub fn render(&self, body: &Value) -> ToolOutput {
        let arguments = self.arguments();
        if let ToolCall::Analytics(a) = self {
            let answer = analytics_answer(a.kind, body, true);
            let report = if body.is_object() { body.clone() } else { json!({ "value": body }) };
            return ToolOutput {
                structured: json!({ "answer": answer, "report": report, "arguments": arguments }),
                summary: answer,
            };
        }
        if let ToolCall::GetInteractionSummary = self {
            let summary = match body {
                Value::Object(m) => match m.get("data") {
                    Some(Value::Object(d)) => Value::Object(d.clone()),
                    _ => body.clone(),
                },
                other => json!({ "value": other }),
            };
            let text = summary_sentence(&summary);
            return ToolOutput {
                structured: json!({ "summary": summary, "arguments": arguments }),
                summary: text,
            };
        }

        let (items, meta) = split_items(body);
        let total = find_total(body);
        let count = items.len();
        let labels = labels(&items);
        let mut structured = Map::new();
        structured.insert("items".into(), Value::Array(items));
        structured.insert("count".into(), json!(count));
        if let Some(t) = total {
            structured.insert("total".into(), json!(t));
        }
        structured.insert("arguments".into(), arguments);
        structured.insert("meta".into(), Value::Object(meta));

        let quoted = |q: &str| format!("\"{}\"", clip(q, 80));
        let (noun_one, noun_many, context) = match self {
            ToolCall::SearchProducts { query, mode, limit } => (
                "product",
                "products",
                format!(" for {} ({} search, limit {limit})", quoted(query), mode.as_str()),
            ),
            ToolCall::SearchInteractions { query, source_type, limit, page } => {
                let mut c = String::new();
                if let Some(q) = query {
                    c.push_str(&format!(" matching {}", quoted(q)));
                }
                if let Some(s) = source_type {
                    c.push_str(&format!(" from the {} channel", s.as_str()));
                }
                c.push_str(&format!(" (page {page}, {limit} per page)"));
                ("interaction", "interactions", c)
            }
            ToolCall::SearchPatterns { query, period, limit } => {
                let mut c = String::new();
                if let Some(q) = query {
                    c.push_str(&format!(" matching {}", quoted(q)));
                }
                if let Some(p) = period {
                    c.push_str(&format!(" for the {} period", p.as_str()));
                }
                c.push_str(&format!(" (limit {limit})"));
                ("pattern", "patterns", c)
            }
            ToolCall::GetProductAiDescriptions { product_id } => {
                ("AI description", "AI descriptions", format!(" for product {product_id}"))
            }
            ToolCall::SearchOrgContext { query, limit } => (
                "knowledge-base entry",
                "knowledge-base entries",
                format!(" for {} (limit {limit})", quoted(query)),
            ),
            ToolCall::GetInteractionSummary | ToolCall::Analytics(_) => {
                unreachable!("handled above")
            }
        };
        let mut text = match count {
            0 => format!("No {noun_many} found{context}."),
            1 => format!("Found 1 {noun_one}{context}."),
            n => format!("Found {n} {noun_many}{context}."),
        };
        if let Some(t) = total {
            if t as usize > count {
                text.push_str(&format!(" {t} in total."));
            }
        }
        if !labels.is_empty() {
            text.push_str(&format!(" Top results: {}.", labels.join("; ")));
        }
        ToolOutput { structured: Value::Object(structured), summary: text }
    }
}

/// The sentences of an analytics answer (`crow_analytics::text`), or a plain note when the
/// body is not the expected shape.
pub fn analytics_answer(kind: crate::ToolKind, body: &Value, ids: bool) -> String {
    use crate::ToolKind as K;
    use crow_analytics::{report, text};
    fn parse<T: serde::de::DeserializeOwned>(body: &Value) -> Option<T> {
        serde_json::from_value(body.clone()).ok()
    }
    let sentences = match kind {
        K::GetProductPerformance => {
            parse::<report::ProductPerformance>(body).map(|r| text::performance(&r, ids))
        }
        K::GetMetricTrend => parse::<report::TimeSeries>(body).map(|r| text::series(&r)),
        K::ComparePeriods => parse::<report::Comparison>(body).map(|r| text::comparison(&r, ids)),
        K::GetFunnel => parse::<report::Funnel>(body).map(|r| text::funnel(&r, ids)),
        K::GetStoreBreakdown => parse::<report::StoreBreakdown>(body).map(|r| text::stores(&r)),
        _ => None,
    };
    sentences
        .unwrap_or_else(|| "The analytics answer had an unexpected shape; see `report`.".into())
}

/// Finds the item list; returns it and the rest of the body.
fn split_items(body: &Value) -> (Vec<Value>, Map<String, Value>) {
    let obj = match body {
        Value::Array(a) => return (a.clone(), Map::new()),
        Value::Object(m) => m,
        Value::Null => return (Vec::new(), Map::new()),
        other => {
            let mut meta = Map::new();
            meta.insert("value".into(), other.clone());
            return (Vec::new(), meta);
        }
    };
    for key in LIST_KEYS {
        if let Some(Value::Array(a)) = obj.get(key) {
            let mut meta = obj.clone();
            meta.remove(key);
            return (a.clone(), meta);
        }
    }
    if let Some(Value::Object(data)) = obj.get("data") {
        for key in LIST_KEYS {
            if let Some(Value::Array(a)) = data.get(key) {
                let mut meta = obj.clone();
                let mut inner = data.clone();
                inner.remove(key);
                meta.insert("data".into(), Value::Object(inner));
                return (a.clone(), meta);
            }
        }
        if !data.is_empty() {
            let mut meta = obj.clone();
            meta.remove("data");
            return (vec![Value::Object(data.clone())], meta);
        }
    }
    if obj.is_empty() {
        (Vec::new(), Map::new())
    } else {
        (vec![body.clone()], Map::new())
    }
}

fn find_total(body: &Value) -> Option<u64> {
    let obj = body.as_object()?;
    let mut places: Vec<&Map<String, Value>> = vec![obj];
    for key in ["pagination", "meta"] {
        if let Some(Value::Object(m)) = obj.get(key) {
            places.push(m);
        }
    }
    if let Some(Value::Object(d)) = obj.get("data") {
        places.push(d);
        if let Some(Value::Object(p)) = d.get("pagination") {
            places.push(p);
        }
    }
    places.into_iter().find_map(|m| {
        TOTAL_KEYS.iter().find_map(|k| match m.get(*k) {
            Some(Value::Number(n)) => n.as_u64().or_else(|| {
                n.as_f64().filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f < 9e15).map(|f| f as u64)
            }),
            _ => None,
        })
    })
}

/// Short labels of the first items, from their first string field among [`LABEL_KEYS`].
fn labels(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .take(MAX_LABELS)
        .filter_map(|item| {
            let m = item.as_object()?;
            LABEL_KEYS.iter().find_map(|k| m.get(*k).and_then(Value::as_str)).map(|s| {
                let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
                clip(&one_line, 60)
            })
        })
        .filter(|s| !s.is_empty())
        .collect()
}

fn summary_sentence(summary: &Value) -> String {
    let count = |k: &str| {
        summary.get(k).and_then(|v| v.as_f64()).filter(|f| f.fract() == 0.0).map(|f| f as i64)
    };
    let parts: Vec<String> = ["web", "cctv", "social"]
        .iter()
        .filter_map(|k| count(k).map(|n| format!("{k} {n}")))
        .collect();
    match (parts.is_empty(), count("total")) {
        (true, None) => {
            "Interaction summary retrieved (no channel counts found in the answer).".to_string()
        }
        (true, Some(t)) => format!("Interactions in total: {t}."),
        (false, None) => format!("Interactions by channel: {}.", parts.join(", ")),
        (false, Some(t)) => format!("Interactions by channel: {} (total {t}).", parts.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use crate::validate;
    use serde_json::{json, Value};

    fn render(name: &str, args: Value, body: Value) -> super::ToolOutput {
        validate(name, &args).unwrap().render(&body)
    }

    #[test]
    fn arrays_and_wrapped_lists_become_items() {
        let out = render(
            "crow_search_products",
            json!({"query": "shoe"}),
            json!([{"id": "p1", "name": "Red Shoe"}, {"id": "p2", "name": "Blue Shoe"}]),
        );
        assert_eq!(out.structured["count"], 2);
        assert_eq!(out.structured["items"][1]["id"], "p2");
        assert_eq!(out.structured["meta"], json!({}));
        assert_eq!(
            out.structured["arguments"],
            json!({"query": "shoe", "mode": "hybrid", "limit": 10})
        );
        assert!(
            out.summary.starts_with("Found 2 products for \"shoe\" (hybrid search, limit 10)."),
            "{}",
            out.summary
        );
        assert!(out.summary.contains("Red Shoe; Blue Shoe"), "{}", out.summary);

        let out = render(
            "crow_search_interactions",
            json!({"sourceType": "web", "page": 2}),
            json!({"data": [{"id": 1}], "pagination": {"page": 2, "total": 41}}),
        );
        assert_eq!(out.structured["items"], json!([{"id": 1}]));
        assert_eq!(out.structured["total"], 41);
        assert_eq!(out.structured["meta"], json!({"pagination": {"page": 2, "total": 41}}));
        assert!(
            out.summary.contains("from the web channel (page 2, 20 per page)"),
            "{}",
            out.summary
        );
        assert!(out.summary.contains("41 in total"), "{}", out.summary);

        let out = render(
            "crow_search_patterns",
            json!({}),
            json!({"success": true, "data": {"patterns": [{"pattern": "Weekend peak"}], "total": 1}}),
        );
        assert_eq!(out.structured["items"], json!([{"pattern": "Weekend peak"}]));
        assert_eq!(out.structured["total"], 1);
        assert_eq!(out.structured["meta"], json!({"success": true, "data": {"total": 1}}));
        assert!(out.summary.starts_with("Found 1 pattern (limit 20)."), "{}", out.summary);
    }

    /// The shapes the gateway actually answers with: lists, searches, QnA and descriptions.
    #[test]
    fn gateway_answers_become_items() {
        // Lists: `{data, nextCursor, total, limit, page}`.
        let out = render(
            "crow_search_interactions",
            json!({"limit": 2}),
            json!({"data": [{"id": "i1", "content": "Viewed tent"}, {"id": "i2", "content": "Bought stove"}],
                   "nextCursor": "c2", "total": 3000, "limit": 2, "page": 1}),
        );
        assert_eq!(out.structured["count"], 2);
        assert_eq!(out.structured["total"], 3000);
        assert_eq!(out.structured["items"][0]["id"], "i1");
        assert_eq!(
            out.structured["meta"],
            json!({"nextCursor": "c2", "total": 3000, "limit": 2, "page": 1})
        );
        assert!(
            out.summary.contains("3000 in total") && out.summary.contains("Viewed tent"),
            "{}",
            out.summary
        );

        // Searches: `{query, mode, data: [{..., score}], limit}`.
        let out = render(
            "crow_search_products",
            json!({"query": "tent", "mode": "fts", "limit": 5}),
            json!({"query": "tent", "mode": "fts", "data": [{"id": "p1", "name": "Ridge Tent 2P", "score": 0.92}], "limit": 5}),
        );
        assert_eq!(
            out.structured["items"],
            json!([{"id": "p1", "name": "Ridge Tent 2P", "score": 0.92}])
        );
        assert_eq!(out.structured["count"], 1);
        assert!(out.structured.get("total").is_none());
        assert_eq!(out.structured["meta"], json!({"query": "tent", "mode": "fts", "limit": 5}));
        assert!(
            out.summary.starts_with(
                "Found 1 product for \"tent\" (fts search, limit 5). Top results: Ridge Tent 2P."
            ),
            "{}",
            out.summary
        );

        let qna = json!({"query": "returns", "mode": "hybrid", "limit": 5, "data": [
            {"documentId": "d1", "title": "Return policy", "chunkIndex": 0, "text": "30 days", "charStart": 0, "charEnd": 7, "score": 0.8}
        ]});
        let out = render("crow_search_org_context", json!({"query": "returns"}), qna);
        assert_eq!(out.structured["items"][0]["documentId"], "d1");
        assert!(out.summary.contains("Return policy"), "{}", out.summary);

        let out = render(
            "crow_search_patterns",
            json!({"query": "weekend", "period": "weekly"}),
            json!({"query": "weekend", "mode": "hybrid", "data": [], "limit": 20}),
        );
        assert_eq!(out.structured["items"], json!([]));
        assert_eq!(
            out.summary,
            "No patterns found matching \"weekend\" for the weekly period (limit 20)."
        );

        // AI descriptions: `{productId, descriptions: [...]}`.
        let out = render(
            "crow_get_product_ai_descriptions",
            json!({"productId": "p1"}),
            json!({"productId": "p1", "descriptions": [
                {"style": "short", "text": "A light tent.", "model": "m", "generatedAt": "2026-01-01T00:00:00Z"},
                {"style": "marketing", "text": "Sleep under the stars.", "model": "m", "generatedAt": "2026-01-01T00:00:00Z"}
            ]}),
        );
        assert_eq!(out.structured["count"], 2);
        assert_eq!(out.structured["items"][1]["style"], "marketing");
        assert_eq!(out.structured["meta"], json!({"productId": "p1"}));
    }

    #[test]
    fn single_objects_and_empty_answers() {
        let out = render(
            "crow_get_product_ai_descriptions",
            json!({"productId": "p1"}),
            json!({"data": {"productId": "p1", "short": "Comfy"}}),
        );
        assert_eq!(out.structured["count"], 1);
        assert_eq!(out.structured["items"][0]["short"], "Comfy");
        assert!(
            out.summary.starts_with("Found 1 AI description for product p1."),
            "{}",
            out.summary
        );

        let out =
            render("crow_search_org_context", json!({"query": "refunds"}), json!({"results": []}));
        assert_eq!(out.structured["count"], 0);
        assert_eq!(out.summary, "No knowledge-base entries found for \"refunds\" (limit 5).");
        let out = render("crow_search_org_context", json!({"query": "refunds"}), Value::Null);
        assert_eq!(out.structured["items"], json!([]));
        let out = render("crow_search_org_context", json!({"query": "refunds"}), json!("odd"));
        assert_eq!(out.structured["meta"], json!({"value": "odd"}));
    }

    #[test]
    fn interaction_summary() {
        let out = render(
            "crow_get_interaction_summary",
            json!({}),
            json!({"web": 120, "cctv": 30, "social": 12, "total": 162}),
        );
        assert_eq!(out.structured["summary"]["total"], 162);
        assert_eq!(out.structured["arguments"], json!({}));
        assert_eq!(
            out.summary,
            "Interactions by channel: web 120, cctv 30, social 12 (total 162)."
        );
        let out = render("crow_get_interaction_summary", json!({}), json!({"data": {"web": 1}}));
        assert_eq!(out.structured["summary"], json!({"web": 1}));
        let out = render("crow_get_interaction_summary", json!({}), json!([1]));
        assert_eq!(out.structured["summary"], json!({"value": [1]}));
        assert!(out.summary.contains("no channel counts"));
    }

    #[test]
    fn analytics_reports_pass_through_digit_for_digit() {
        let text = r#"{"organizationId":"o","from":"2026-10-01T00:00:00.000Z","to":"2026-11-01T00:00:00.000Z","timeZone":"UTC","currency":"USD","sourceType":null,"overall":{"footfall":1,"dwellEvents":3,"dwellSeconds":373,"avgDwellSeconds":124.33333333333333,"shelfInteractions":0,"interactions":4},"stores":[]}"#;
        let body: Value = serde_json::from_str(text).unwrap();
        let out = render("crow_get_store_breakdown", json!({}), body);
        assert!(out.structured["report"].to_string().contains("124.33333333333333"));
        assert!(out.summary.contains("2026-10-01 to 2026-10-31 (UTC)"), "{}", out.summary);
    }

    #[test]
    fn text_carries_summary_and_json() {
        let out = render("crow_search_products", json!({"query": "x"}), json!([]));
        let text = out.text();
        assert!(text.starts_with("No products found"));
        let json_part = text.split_once("\n\n").unwrap().1;
        assert_eq!(serde_json::from_str::<Value>(json_part).unwrap(), out.structured);
    }

    #[test]
    fn structured_results_have_the_required_output_fields() {
        for kind in crate::ToolKind::ALL {
            let args = match kind {
                crate::ToolKind::GetProductAiDescriptions => json!({"productId": "p"}),
                crate::ToolKind::SearchProducts | crate::ToolKind::SearchOrgContext => {
                    json!({"query": "q"})
                }
                _ => json!({}),
            };
            for body in [
                json!([]),
                json!({"items": [{"a": 1}], "total": 3}),
                json!({}),
                Value::Null,
                json!(5),
            ] {
                let out = validate(kind.name(), &args).unwrap().render(&body);
                let schema = kind.output_schema();
                for r in schema["required"].as_array().unwrap() {
                    assert!(
                        out.structured.get(r.as_str().unwrap()).is_some(),
                        "{kind:?} {body} {r}"
                    );
                }
                for (k, prop) in schema["properties"].as_object().unwrap() {
                    if let Some(v) = out.structured.get(k) {
                        let ok = match prop["type"].as_str().unwrap() {
                            "array" => v.is_array(),
                            "object" => v.is_object(),
                            "integer" => v.is_u64(),
                            _ => true,
                        };
                        assert!(ok, "{kind:?} {k} = {v}");
                    }
                }
            }
        }
    }
}
