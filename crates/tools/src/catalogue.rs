//! The tool catalogue: names, titles, descriptions, JSON Schemas and annotations.
//!
//! Schemas use the JSON Schema 2020-12 dialect (the MCP default since 2025-11-25) without a
//! `$schema` keyword, and only keywords that mean the same in draft-07, so clients that
//! validate with an older dialect agree with [`crate::validate`].

use serde_json::{json, Map, Value};

use crate::MAX_QUERY_CHARS;

/// One of the CROW tools: the six search tools and five analytics tools (issue 12). The
/// catalogue order ([`ToolKind::ALL`]) is the listing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolKind {
    SearchProducts,
    SearchInteractions,
    GetInteractionSummary,
    SearchPatterns,
    GetProductAiDescriptions,
    SearchOrgContext,
    GetProductPerformance,
    GetMetricTrend,
    ComparePeriods,
    GetFunnel,
    GetStoreBreakdown,
}

impl ToolKind {
    /// All tools, in the (deterministic) order they are listed.
    pub const ALL: [ToolKind; 11] = [
        ToolKind::SearchProducts,
        ToolKind::SearchInteractions,
        ToolKind::GetInteractionSummary,
        ToolKind::SearchPatterns,
        ToolKind::GetProductAiDescriptions,
        ToolKind::SearchOrgContext,
        ToolKind::GetProductPerformance,
        ToolKind::GetMetricTrend,
        ToolKind::ComparePeriods,
        ToolKind::GetFunnel,
        ToolKind::GetStoreBreakdown,
    ];

    /// Whether the tool reads `/api/v1/analytics/*` (figures rather than search results).
    pub fn is_analytics(self) -> bool {
        matches!(
            self,
            ToolKind::GetProductPerformance
                | ToolKind::GetMetricTrend
                | ToolKind::ComparePeriods
                | ToolKind::GetFunnel
                | ToolKind::GetStoreBreakdown
        )
    }

    /// The tool name as clients call it.
    pub fn name(self) -> &'static str {
        match self {
            ToolKind::SearchProducts => "crow_search_products",
            ToolKind::SearchInteractions => "crow_search_interactions",
            ToolKind::GetInteractionSummary => "crow_get_interaction_summary",
            ToolKind::SearchPatterns => "crow_search_patterns",
            ToolKind::GetProductAiDescriptions => "crow_get_product_ai_descriptions",
            ToolKind::SearchOrgContext => "crow_search_org_context",
            ToolKind::GetProductPerformance => "crow_get_product_performance",
            ToolKind::GetMetricTrend => "crow_get_metric_trend",
            ToolKind::ComparePeriods => "crow_compare_periods",
            ToolKind::GetFunnel => "crow_get_funnel",
            ToolKind::GetStoreBreakdown => "crow_get_store_breakdown",
        }
    }

    /// Looks a tool up by its exact (case-sensitive) name.
    pub fn from_name(name: &str) -> Option<ToolKind> {
        ToolKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// A short display name.
    pub fn title(self) -> &'static str {
        match self {
            ToolKind::SearchProducts => "Search products",
            ToolKind::SearchInteractions => "Search customer interactions",
            ToolKind::GetInteractionSummary => "Interaction channel summary",
            ToolKind::SearchPatterns => "Search behavioral patterns",
            ToolKind::GetProductAiDescriptions => "Product AI descriptions",
            ToolKind::SearchOrgContext => "Search organization knowledge base",
            ToolKind::GetProductPerformance => "Product performance (sales, views, conversion)",
            ToolKind::GetMetricTrend => "Metric trend over time",
            ToolKind::ComparePeriods => "Compare a metric with the previous period",
            ToolKind::GetFunnel => "Web funnel (view, cart, purchase)",
            ToolKind::GetStoreBreakdown => "In-store footfall and dwell by store and zone",
        }
    }

    /// What the tool does, written for the model that decides whether to call it.
    pub fn description(self) -> &'static str {
        match self {
            ToolKind::SearchProducts => {
                "Search the organization's product catalog. Use it to find products by name, type, \
                 feature or description and to get product ids for crow_get_product_ai_descriptions. \
                 `mode` picks the search strategy: `hybrid` (default; combines meaning and keywords), \
                 `semantic` (by meaning, good for descriptive queries such as \"warm winter jackets\") \
                 or `fts` (full-text keywords, good for exact names, brands or SKUs). Returns up to \
                 `limit` products (1-50, default 10), best match first."
            }
            ToolKind::SearchInteractions => {
                "Search or list the organization's customer interactions: website activity (`web`), \
                 in-store camera observations (`cctv`) and social media activity (`social`). With \
                 `query`, runs a semantic search (e.g. \"customers asking about returns\"); without it, \
                 lists interactions. Filter by channel with `sourceType`. Paginated: `limit` per page \
                 (1-100, default 20) and `page` (from 1). For counts per channel use \
                 crow_get_interaction_summary instead."
            }
            ToolKind::GetInteractionSummary => {
                "Get how many customer interactions the organization has per channel (web, cctv, \
                 social) and in total. Takes no arguments. Use it for questions such as \"how many \
                 interactions did we have?\" or \"which channel is busiest?\"."
            }
            ToolKind::SearchPatterns => {
                "Search or list behavioral patterns detected in the organization's customer data \
                 (for example peak hours, recurring product interest, seasonal trends). With `query`, \
                 runs a semantic search; without it, lists patterns. Filter by aggregation `period` \
                 (daily, weekly, monthly, yearly). Returns up to `limit` patterns (1-50, default 20)."
            }
            ToolKind::GetProductAiDescriptions => {
                "Get the AI-generated descriptions (summaries, marketing copy) of one product. \
                 `productId` is the product id as returned by crow_search_products: 1-64 letters, \
                 digits, underscores or hyphens."
            }
            ToolKind::SearchOrgContext => {
                "Search the organization's knowledge base (documents, FAQs, policies, company \
                 information) by meaning. Use it for questions about the business itself rather than \
                 its sales or customer data, e.g. \"what is our return policy?\". Returns up to \
                 `limit` passages (1-20, default 5), most relevant first."
            }
            ToolKind::GetProductPerformance => {
                "Rank the organization's products by a sales or engagement metric over a period, \
                 with exact figures computed from its interactions: views, add-to-carts, purchases, \
                 units, revenue, conversion (purchases / views), cart-to-purchase, social mentions \
                 with positive/negative share, in-store dwell time and shelf interactions. Use it for \
                 \"top / best / worst selling products\", \"most viewed\", \"highest revenue\", \
                 \"best conversion\", \"many views but few purchases\" (sort=views, then read \
                 conversionRate) or \"most talked about\". `sort` picks the metric (default revenue), \
                 `order` desc (default) or asc for the worst, `category` filters, `from`/`to` are \
                 ISO 8601 dates (default: the last 30 days; `to` is exclusive). Prefer this over \
                 crow_search_products for any question about performance."
            }
            ToolKind::GetMetricTrend => {
                "A time series of one metric by day, week or month over a period (empty buckets are \
                 zeros), optionally for one product (`productId`) or category. Use it for \"how did \
                 sales develop\", \"which day was busiest\", \"weekly web purchases\", \"trend of \
                 revenue\". `metric` (default purchases): views, addToCarts, purchases, units, \
                 revenue, conversionRate, socialMentions, footfall, dwellSeconds and more; \
                 `interval` day (default), week (Monday start) or month; `from`/`to` ISO 8601 \
                 (default the last 30 days)."
            }
            ToolKind::ComparePeriods => {
                "Compare a metric in a period with the previous period of equal length (absolute and \
                 relative change), overall and optionally per product or category (`groupBy`). Use \
                 it for \"week over week\", \"month over month\", \"did revenue go up\", \"which \
                 category grew\". Give the current period as `from`/`to` (ISO 8601, `to` exclusive; \
                 default the last 30 days); the previous period is computed. `sourceType` limits to \
                 one channel (e.g. web purchases)."
            }
            ToolKind::GetFunnel => {
                "The web shopping funnel: product views → add-to-carts → purchases, with the rates \
                 between steps, overall and for the most viewed products. Use it for conversion and \
                 drop-off questions (\"where do we lose shoppers\", \"cart abandonment\"). \
                 `from`/`to` ISO 8601 (default the last 30 days), `category`, `limit`."
            }
            ToolKind::GetStoreBreakdown => {
                "In-store camera figures by store and zone: footfall (shoppers counted), dwell time \
                 (total and average) and shelf interactions, busiest first. Use it for \"busiest \
                 store\", \"which zone do people linger in\", \"store traffic\". `from`/`to` ISO \
                 8601 (default the last 30 days)."
            }
        }
    }

    /// The argument names the tool accepts, in schema order.
    pub fn argument_names(self) -> &'static [&'static str] {
        match self {
            ToolKind::SearchProducts => &["query", "mode", "limit"],
            ToolKind::SearchInteractions => &["query", "sourceType", "limit", "page"],
            ToolKind::GetInteractionSummary => &[],
            ToolKind::SearchPatterns => &["query", "period", "limit"],
            ToolKind::GetProductAiDescriptions => &["productId"],
            ToolKind::SearchOrgContext => &["query", "limit"],
            ToolKind::GetProductPerformance => {
                &["from", "to", "sourceType", "sort", "order", "limit", "category"]
            }
            ToolKind::GetMetricTrend => {
                &["metric", "interval", "from", "to", "sourceType", "productId", "category"]
            }
            ToolKind::ComparePeriods => {
                &["metric", "groupBy", "from", "to", "sourceType", "limit", "category"]
            }
            ToolKind::GetFunnel => &["from", "to", "limit", "category"],
            ToolKind::GetStoreBreakdown => &["from", "to"],
        }
    }

    /// The JSON Schema of the tool's arguments (`type: object`, `additionalProperties: false`).
    pub fn input_schema(self) -> Value {
        let (properties, required): (Value, &[&str]) = match self {
            ToolKind::SearchProducts => (
                json!({
                    "query": query_schema("What to look for in the product catalog."),
                    "mode": {
                        "type": "string",
                        "enum": ["semantic", "fts", "hybrid"],
                        "default": "hybrid",
                        "description": "Search strategy: semantic (by meaning), fts (full-text keywords) or hybrid (both)."
                    },
                    "limit": limit_schema(50, 10, "Maximum number of products to return."),
                }),
                &["query"],
            ),
            ToolKind::SearchInteractions => (
                json!({
                    "query": query_schema("Semantic search text. Omit to list interactions without searching."),
                    "sourceType": {
                        "type": "string",
                        "enum": ["web", "cctv", "social"],
                        "description": "Only interactions from this channel. Omit for all channels."
                    },
                    "limit": limit_schema(100, 20, "Interactions per page."),
                    "page": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": crate::MAX_PAGE,
                        "default": 1,
                        "description": "Page number, starting at 1."
                    },
                }),
                &[],
            ),
            ToolKind::GetInteractionSummary => (json!({}), &[]),
            ToolKind::SearchPatterns => (
                json!({
                    "query": query_schema("Semantic search text. Omit to list patterns without searching."),
                    "period": {
                        "type": "string",
                        "enum": ["daily", "weekly", "monthly", "yearly"],
                        "description": "Only patterns aggregated over this period. Omit for all periods."
                    },
                    "limit": limit_schema(50, 20, "Maximum number of patterns to return."),
                }),
                &[],
            ),
            ToolKind::GetProductAiDescriptions => (
                json!({
                    "productId": {
                        "type": "string",
                        "pattern": "^[A-Za-z0-9_-]{1,64}$",
                        "description": "Product id, as returned by crow_search_products."
                    }
                }),
                &["productId"],
            ),
            ToolKind::SearchOrgContext => (
                json!({
                    "query": query_schema("Question or topic to look up in the knowledge base."),
                    "limit": limit_schema(20, 5, "Maximum number of passages to return."),
                }),
                &["query"],
            ),
            kind => (analytics_properties(kind), &[]),
        };
        let mut schema = Map::new();
        schema.insert("type".into(), json!("object"));
        schema.insert("properties".into(), properties);
        if !required.is_empty() {
            schema.insert("required".into(), json!(required));
        }
        schema.insert("additionalProperties".into(), json!(false));
        Value::Object(schema)
    }

    /// The JSON Schema of the structured result (see [`crate::ToolOutput`] for the shapes).
    /// Deliberately permissive about what the gateway puts inside items, because the REST
    /// payloads are not final yet; what this crate itself builds is described exactly.
    pub fn output_schema(self) -> Value {
        let arguments = json!({
            "type": "object",
            "description": "The arguments the tool ran with, after defaults were applied."
        });
        if self.is_analytics() {
            return json!({
                "type": "object",
                "properties": {
                    "answer": { "type": "string", "description": "The figures in plain sentences, with the period and the product names and ids; quote it." },
                    "report": {
                        "type": "object",
                        "description": "The REST answer of /api/v1/analytics/organization/{orgId}/*: the period (from, to, timeZone), currency, and the figures.",
                        "properties": {
                            "organizationId": { "type": "string" },
                            "from": { "type": "string" },
                            "to": { "type": "string" },
                            "timeZone": { "type": "string" },
                            "currency": { "type": "string" }
                        }
                    },
                    "arguments": arguments,
                },
                "required": ["answer", "report", "arguments"]
            });
        }
        match self {
            ToolKind::GetInteractionSummary => json!({
                "type": "object",
                "properties": {
                    "summary": {
                        "type": "object",
                        "description": "Interaction counts from the gateway; expected keys: web, cctv, social, total."
                    },
                    "arguments": arguments,
                },
                "required": ["summary", "arguments"]
            }),
            _ => {
                let what = match self {
                    ToolKind::SearchProducts => "Matching products, best first.",
                    ToolKind::SearchInteractions => "Interactions on this page.",
                    ToolKind::SearchPatterns => "Matching behavioral patterns.",
                    ToolKind::GetProductAiDescriptions => {
                        "AI-generated descriptions of the product."
                    }
                    _ => "Knowledge-base passages, most relevant first.",
                };
                json!({
                    "type": "object",
                    "properties": {
                        "items": { "type": "array", "description": what },
                        "count": { "type": "integer", "minimum": 0, "description": "Number of items returned." },
                        "total": { "type": "integer", "minimum": 0, "description": "Total matches reported by the gateway, when it reports one." },
                        "arguments": arguments,
                        "meta": { "type": "object", "description": "Other fields of the gateway answer (e.g. pagination)." },
                    },
                    "required": ["items", "count", "arguments", "meta"]
                })
            }
        }
    }

    /// MCP tool annotations: every CROW tool reads the organization's own data only.
    pub fn annotations(self) -> Value {
        json!({ "title": self.title(), "readOnlyHint": true, "openWorldHint": false })
    }

    /// The tool as an MCP `Tool` object (the shape `tools/list` returns).
    pub fn definition(self) -> Value {
        json!({
            "name": self.name(),
            "title": self.title(),
            "description": self.description(),
            "inputSchema": self.input_schema(),
            "outputSchema": self.output_schema(),
            "annotations": self.annotations(),
        })
    }
}

/// The argument schemas of the analytics tools.
fn analytics_properties(kind: ToolKind) -> Value {
    let metric = |default: &str, description: &str| json!({ "type": "string", "enum": crow_analytics::Metric::names(), "default": default, "description": description });
    let date = |description: &str| json!({ "type": "string", "minLength": 10, "maxLength": 40, "description": description });
    let mut p = Map::new();
    p.insert("from".into(), date("Start of the period, inclusive: an ISO 8601 date or timestamp (e.g. 2026-10-01). Default: 30 days before `to`."));
    p.insert("to".into(), date("End of the period, exclusive: an ISO 8601 date or timestamp (e.g. 2026-11-01 for all of October). Default: now."));
    let source = json!({ "type": "string", "enum": ["web", "cctv", "social"], "description": "Only interactions from this channel." });
    let category = json!({ "type": "string", "minLength": 1, "maxLength": 100, "description": "Only products of this category (e.g. Footwear)." });
    match kind {
        ToolKind::GetProductPerformance => {
            p.insert("sourceType".into(), source);
            p.insert("sort".into(), metric("revenue", "Metric to rank by."));
            p.insert("order".into(), json!({ "type": "string", "enum": ["desc", "asc"], "default": "desc", "description": "desc: best first; asc: worst first." }));
            p.insert("limit".into(), limit_schema(50, 10, "Products to return."));
            p.insert("category".into(), category);
        }
        ToolKind::GetMetricTrend => {
            p.insert("metric".into(), metric("purchases", "Metric to chart."));
            p.insert("interval".into(), json!({ "type": "string", "enum": ["day", "week", "month"], "default": "day", "description": "Bucket size." }));
            p.insert("sourceType".into(), source);
            p.insert("productId".into(), json!({ "type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$", "description": "Only this product (id from crow_get_product_performance or crow_search_products)." }));
            p.insert("category".into(), category);
        }
        ToolKind::ComparePeriods => {
            p.insert("metric".into(), metric("revenue", "Metric to compare."));
            p.insert("groupBy".into(), json!({ "type": "string", "enum": ["none", "product", "category"], "default": "none", "description": "Also compare per product or per category." }));
            p.insert("sourceType".into(), source);
            p.insert("limit".into(), limit_schema(50, 10, "Groups to return."));
            p.insert("category".into(), category);
        }
        ToolKind::GetFunnel => {
            p.insert(
                "limit".into(),
                limit_schema(50, 10, "Products to return, most viewed first."),
            );
            p.insert("category".into(), category);
        }
        _ => {}
    }
    Value::Object(p)
}

/// All tool definitions, in catalogue order.
pub fn definitions() -> Vec<Value> {
    ToolKind::ALL.iter().map(|k| k.definition()).collect()
}

fn query_schema(description: &str) -> Value {
    json!({
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_QUERY_CHARS,
        "description": description,
    })
}

fn limit_schema(max: u32, default: u32, description: &str) -> Value {
    json!({
        "type": "integer",
        "minimum": 1,
        "maximum": max,
        "default": default,
        "description": description,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleven_tools_with_unique_valid_names() {
        let names: Vec<&str> = ToolKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), 11);
        assert_eq!(ToolKind::ALL.iter().filter(|k| k.is_analytics()).count(), 5);
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 11);
        for n in names {
            assert!(
                n.len() <= 128 && n.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            );
            assert_eq!(ToolKind::from_name(n).unwrap().name(), n);
        }
        assert!(ToolKind::from_name("CROW_SEARCH_PRODUCTS").is_none());
    }

    #[test]
    fn every_definition_is_a_closed_object_schema_with_annotations() {
        for def in definitions() {
            let schema = &def["inputSchema"];
            assert_eq!(schema["type"], "object", "{def}");
            assert_eq!(schema["additionalProperties"], false, "{def}");
            assert!(schema["properties"].is_object());
            assert_eq!(def["outputSchema"]["type"], "object");
            assert_eq!(def["annotations"]["readOnlyHint"], true);
            assert_eq!(def["annotations"]["openWorldHint"], false);
            assert!(def["description"].as_str().unwrap().len() > 40);
            assert!(def["title"].is_string());
            let kind = ToolKind::from_name(def["name"].as_str().unwrap()).unwrap();
            let mut declared: Vec<&str> =
                schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
            let mut names = kind.argument_names().to_vec();
            declared.sort();
            names.sort();
            assert_eq!(declared, names);
            // every required property is declared
            for r in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                assert!(schema["properties"].get(r.as_str().unwrap()).is_some());
            }
        }
    }

    #[test]
    fn schemas_carry_the_documented_limits() {
        let p = ToolKind::SearchProducts.input_schema();
        assert_eq!(p["required"], json!(["query"]));
        assert_eq!(p["properties"]["mode"]["enum"], json!(["semantic", "fts", "hybrid"]));
        assert_eq!(p["properties"]["mode"]["default"], "hybrid");
        assert_eq!(p["properties"]["limit"]["maximum"], 50);
        assert_eq!(p["properties"]["query"]["maxLength"], 512);
        let i = ToolKind::SearchInteractions.input_schema();
        assert!(i.get("required").is_none());
        assert_eq!(i["properties"]["sourceType"]["enum"], json!(["web", "cctv", "social"]));
        assert_eq!(i["properties"]["limit"]["maximum"], 100);
        assert_eq!(i["properties"]["page"]["minimum"], 1);
        assert_eq!(i["properties"]["page"]["maximum"], 10_000);
        assert_eq!(
            ToolKind::GetInteractionSummary.input_schema(),
            json!({"type":"object","properties":{},"additionalProperties":false})
        );
        let pa = ToolKind::SearchPatterns.input_schema();
        assert_eq!(
            pa["properties"]["period"]["enum"],
            json!(["daily", "weekly", "monthly", "yearly"])
        );
        assert_eq!(pa["properties"]["limit"]["default"], 20);
        let d = ToolKind::GetProductAiDescriptions.input_schema();
        assert_eq!(d["properties"]["productId"]["pattern"], "^[A-Za-z0-9_-]{1,64}$");
        let o = ToolKind::SearchOrgContext.input_schema();
        assert_eq!(o["properties"]["limit"]["maximum"], 20);
        assert_eq!(o["properties"]["limit"]["default"], 5);
    }
}
