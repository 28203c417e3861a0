//! The tool catalogue: names, titles, descriptions, JSON Schemas and annotations.
//!
//! Schemas use the JSON Schema 2020-12 dialect (the MCP default since 2025-11-25) without a
//! `$schema` keyword, and only keywords that mean the same in draft-07, so clients that
//! validate with an older dialect agree with [`crate::validate`].

use serde_json::{json, Map, Value};

use crate::MAX_QUERY_CHARS;

/// One of the six CROW tools. The catalogue order ([`ToolKind::ALL`]) is the listing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolKind {
    SearchProducts,
    SearchInteractions,
    GetInteractionSummary,
    SearchPatterns,
    GetProductAiDescriptions,
    SearchOrgContext,
}

impl ToolKind {
    /// All tools, in the (deterministic) order they are listed.
    pub const ALL: [ToolKind; 6] = [
        ToolKind::SearchProducts,
        ToolKind::SearchInteractions,
        ToolKind::GetInteractionSummary,
        ToolKind::SearchPatterns,
        ToolKind::GetProductAiDescriptions,
        ToolKind::SearchOrgContext,
    ];

    /// The tool name as clients call it.
    pub fn name(self) -> &'static str {
        match self {
            ToolKind::SearchProducts => "crow_search_products",
            ToolKind::SearchInteractions => "crow_search_interactions",
            ToolKind::GetInteractionSummary => "crow_get_interaction_summary",
            ToolKind::SearchPatterns => "crow_search_patterns",
            ToolKind::GetProductAiDescriptions => "crow_get_product_ai_descriptions",
            ToolKind::SearchOrgContext => "crow_search_org_context",
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

/// All six tool definitions, in catalogue order.
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
    fn six_tools_with_unique_valid_names() {
        let names: Vec<&str> = ToolKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), 6);
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 6);
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
