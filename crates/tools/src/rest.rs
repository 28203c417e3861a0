//! The gateway request each tool makes.
//!
//! The gateway resolves the organization from the credential; the organization id in the path
//! comes from the caller (the MCP worker or the agent) and is percent-encoded as a path segment.
//! Absent optional parameters are omitted; defaults are always sent explicitly.

use crate::catalogue::ToolKind;
use crate::validate::ToolCall;

/// One REST call: always `GET` (every tool is read-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestRequest {
    pub method: &'static str,
    /// Path plus query string, e.g. `/api/v1/products/search?query=red%20shoes&mode=hybrid&limit=10`.
    pub path_and_query: String,
}

impl ToolCall {
    /// The gateway request for this call on behalf of organization `org_id`.
    pub fn rest_request(&self, org_id: &str) -> RestRequest {
        let org = encode_component(org_id);
        let mut q = Query::default();
        let path = match self {
            ToolCall::SearchProducts { query, mode, limit } => {
                q.add("query", query);
                q.add("mode", mode.as_str());
                q.add("limit", &limit.to_string());
                "/api/v1/products/search".to_string()
            }
            ToolCall::SearchInteractions { query, source_type, limit, page } => {
                let path = match query {
                    Some(text) => {
                        q.add("query", text);
                        format!("/api/v1/interactions/organization/{org}/search")
                    }
                    None => format!("/api/v1/interactions/organization/{org}"),
                };
                if let Some(s) = source_type {
                    q.add("sourceType", s.as_str());
                }
                q.add("limit", &limit.to_string());
                q.add("page", &page.to_string());
                path
            }
            ToolCall::GetInteractionSummary => {
                format!("/api/v1/interactions/organization/{org}/summary")
            }
            ToolCall::SearchPatterns { query, period, limit } => {
                let path = match query {
                    Some(text) => {
                        q.add("query", text);
                        format!("/api/v1/patterns/organization/{org}/search")
                    }
                    None => format!("/api/v1/patterns/organization/{org}"),
                };
                if let Some(p) = period {
                    q.add("period", p.as_str());
                }
                q.add("limit", &limit.to_string());
                path
            }
            ToolCall::GetProductAiDescriptions { product_id } => {
                format!("/api/v1/products/{}/ai-descriptions", encode_component(product_id))
            }
            ToolCall::SearchOrgContext { query, limit } => {
                q.add("query", query);
                q.add("limit", &limit.to_string());
                "/api/v1/qna/search".to_string()
            }
            ToolCall::Analytics(a) => {
                for (k, v) in a.pairs() {
                    q.add(k, &v);
                }
                let tail = match a.kind {
                    ToolKind::GetProductPerformance => "products",
                    ToolKind::GetMetricTrend => "timeseries",
                    ToolKind::ComparePeriods => "compare",
                    ToolKind::GetFunnel => "funnel",
                    _ => "stores",
                };
                format!("/api/v1/analytics/organization/{org}/{tail}")
            }
        };
        RestRequest { method: "GET", path_and_query: q.finish(path) }
    }
}

#[derive(Default)]
struct Query(Vec<String>);

impl Query {
    fn add(&mut self, name: &str, value: &str) {
        self.0.push(format!("{}={}", encode_component(name), encode_component(value)));
    }
    fn finish(self, path: String) -> String {
        if self.0.is_empty() {
            path
        } else {
            format!("{path}?{}", self.0.join("&"))
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`), so the
/// result is safe both as a path segment and as a query-string key or value (space is `%20`).
pub fn encode_component(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0xF) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::validate;
    use serde_json::json;

    fn path(name: &str, args: serde_json::Value) -> String {
        let r = validate(name, &args).unwrap().rest_request("org_1");
        assert_eq!(r.method, "GET");
        r.path_and_query
    }

    #[test]
    fn products() {
        assert_eq!(
            path("crow_search_products", json!({"query": "red shoes & socks"})),
            "/api/v1/products/search?query=red%20shoes%20%26%20socks&mode=hybrid&limit=10"
        );
        assert_eq!(
            path("crow_search_products", json!({"query": "a+b=c?", "mode": "fts", "limit": 3})),
            "/api/v1/products/search?query=a%2Bb%3Dc%3F&mode=fts&limit=3"
        );
    }

    #[test]
    fn interactions_with_and_without_query() {
        assert_eq!(
            path("crow_search_interactions", json!({"query": "late delivery", "sourceType": "social", "limit": 5, "page": 2})),
            "/api/v1/interactions/organization/org_1/search?query=late%20delivery&sourceType=social&limit=5&page=2"
        );
        assert_eq!(
            path("crow_search_interactions", json!({})),
            "/api/v1/interactions/organization/org_1?limit=20&page=1"
        );
        assert_eq!(
            path("crow_search_interactions", json!({"sourceType": "web"})),
            "/api/v1/interactions/organization/org_1?sourceType=web&limit=20&page=1"
        );
    }

    #[test]
    fn summary_patterns_descriptions_and_context() {
        assert_eq!(
            path("crow_get_interaction_summary", json!({})),
            "/api/v1/interactions/organization/org_1/summary"
        );
        assert_eq!(
            path("crow_search_patterns", json!({"query": "peak hours", "period": "weekly"})),
            "/api/v1/patterns/organization/org_1/search?query=peak%20hours&period=weekly&limit=20"
        );
        assert_eq!(
            path("crow_search_patterns", json!({"limit": 7})),
            "/api/v1/patterns/organization/org_1?limit=7"
        );
        assert_eq!(
            path("crow_get_product_ai_descriptions", json!({"productId": "p-42_x"})),
            "/api/v1/products/p-42_x/ai-descriptions"
        );
        assert_eq!(
            path("crow_search_org_context", json!({"query": "return policy", "limit": 2})),
            "/api/v1/qna/search?query=return%20policy&limit=2"
        );
    }

    #[test]
    fn org_ids_and_unicode_are_encoded() {
        let call = validate("crow_get_interaction_summary", &json!({})).unwrap();
        assert_eq!(
            call.rest_request("a/b c").path_and_query,
            "/api/v1/interactions/organization/a%2Fb%20c/summary"
        );
        assert_eq!(
            path("crow_search_org_context", json!({"query": "café/ü"})),
            "/api/v1/qna/search?query=caf%C3%A9%2F%C3%BC&limit=5"
        );
        assert_eq!(super::encode_component("AZaz09-._~"), "AZaz09-._~");
    }
}
