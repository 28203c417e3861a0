//! The agent card (`/.well-known/agent-card.json`, alias `/.well-known/agent.json`): a "dual"
//! card with the A2A 1.0 fields (`supportedInterfaces`, 1.0 first, then 0.3 at the same URL) and
//! the legacy 0.3 top-level fields, so both a2a-sdk 1.x and 0.3.x clients can use it. Interface
//! URLs are absolute, built from the origin the card was requested on.

use crow_common::crypto::sha256_hex;
use serde_json::{json, Value};

pub const AGENT_NAME: &str = "CROW Analytics Agent";
pub const AGENT_VERSION: &str = "1.0.0";
/// `Cache-Control` of the card.
pub const CACHE_CONTROL: &str = "public, max-age=300";

pub fn card(origin: &str) -> Value {
    let url = format!("{}/a2a/jsonrpc", origin.trim_end_matches('/'));
    json!({
        "name": AGENT_NAME,
        "description": "AI-powered retail analytics assistant with access to product catalog, customer interactions, and behavioral patterns",
        "version": AGENT_VERSION,
        "provider": { "organization": "CROW AI", "url": "https://crowai.dev" },
        "documentationUrl": "https://crowai.dev/docs/a2a",
        "supportedInterfaces": [
            { "url": url, "protocolBinding": "JSONRPC", "protocolVersion": "1.0" },
            { "url": url, "protocolBinding": "JSONRPC", "protocolVersion": "0.3" }
        ],
        "capabilities": { "streaming": false, "pushNotifications": false, "stateTransitionHistory": false, "extendedAgentCard": false },
        "defaultInputModes": ["text/plain", "application/json"],
        "defaultOutputModes": ["text/plain", "application/json"],
        "skills": [
            {
                "id": "product-search",
                "name": "Product Search",
                "description": "Finds products in the organization's catalog by name, feature or description (semantic, full-text or hybrid search) and reads their AI-generated descriptions.",
                "tags": ["retail", "products", "catalog", "search"],
                "examples": ["Which waterproof jackets do we sell?", "Describe our best-selling tent."]
            },
            {
                "id": "interaction-analysis",
                "name": "Interaction Analysis",
                "description": "Analyses customer interactions across the web, CCTV (in-store) and social channels: channel breakdowns, counts and searches for specific behaviour.",
                "tags": ["retail", "customers", "interactions", "channels", "analytics"],
                "examples": ["How many interactions did we have per channel?", "What are customers saying on social media about returns?"]
            },
            {
                "id": "retail-analytics",
                "name": "Retail Analytics",
                "description": "Answers performance questions with exact figures from the organization's own interactions: top and worst sellers by purchases or revenue, most viewed products, conversion and the web funnel, trends by day, week or month, period-over-period comparisons, social sentiment, and the busiest store, zone or day. Every answer names the period it covers.",
                "tags": ["retail", "analytics", "sales", "conversion", "trends"],
                "examples": ["What are our top performing products?", "Which products sold best last month?", "How did web purchases change week over week?"]
            },
            {
                "id": "pattern-insights",
                "name": "Pattern Insights",
                "description": "Explains behavioural patterns detected in the organization's data, such as peak hours, weekend footfall and seasonal demand, by period (daily, weekly, monthly, yearly).",
                "tags": ["retail", "patterns", "trends", "seasonality"],
                "examples": ["When are our stores busiest?", "Which seasonal trends do we see?"]
            },
            {
                "id": "org-context",
                "name": "Organization Context",
                "description": "Answers questions about the business itself (policies, FAQs, company documents) from the organization's knowledge base.",
                "tags": ["knowledge-base", "policies", "documents", "qna"],
                "examples": ["What is our return policy?"]
            }
        ],
        "securitySchemes": {
            "apiKey": {
                "apiKeySecurityScheme": { "location": "header", "name": "X-API-Key", "description": "A CROW API key" },
                "type": "apiKey", "in": "header", "name": "X-API-Key", "description": "A CROW API key"
            },
            "bearer": {
                "httpAuthSecurityScheme": { "scheme": "Bearer", "description": "A CROW API key as a Bearer token" },
                "type": "http", "scheme": "Bearer", "description": "A CROW API key as a Bearer token"
            }
        },
        "securityRequirements": [ { "schemes": { "apiKey": { "list": [] } } }, { "schemes": { "bearer": { "list": [] } } } ],
        // Legacy (0.3) fields, for a2a-sdk 0.3.x clients.
        "url": url,
        "preferredTransport": "JSONRPC",
        "protocolVersion": "0.3",
        "additionalInterfaces": [ { "url": url, "transport": "JSONRPC" } ],
        "security": [ { "apiKey": [] }, { "bearer": [] } ],
        "supportsAuthenticatedExtendedCard": false,
        "authentication": { "schemes": ["apiKey", "bearer"] }
    })
}

/// The card's body and its (weak) entity tag.
pub fn body_and_etag(origin: &str) -> (String, String) {
    let body = card(origin).to_string();
    let etag = format!("W/\"{}\"", &sha256_hex(body.as_bytes())[..32]);
    (body, etag)
}

/// Whether an `If-None-Match` header matches the tag (weak comparison, lists and `*`).
pub fn not_modified(if_none_match: Option<&str>, etag: &str) -> bool {
    let Some(h) = if_none_match else { return false };
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    h.split(',').any(|t| t.trim() == "*" || bare(t) == bare(etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_declares_both_versions_with_absolute_urls() {
        let c = card("http://127.0.0.1:8789/");
        assert_eq!(c["supportedInterfaces"][0]["protocolVersion"], "1.0");
        assert_eq!(c["supportedInterfaces"][1]["protocolVersion"], "0.3");
        assert_eq!(c["supportedInterfaces"][0]["url"], "http://127.0.0.1:8789/a2a/jsonrpc");
        assert_eq!(c["url"], "http://127.0.0.1:8789/a2a/jsonrpc");
        let ids: Vec<&str> =
            c["skills"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            [
                "product-search",
                "interaction-analysis",
                "retail-analytics",
                "pattern-insights",
                "org-context"
            ]
        );
        assert!(c["skills"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["description"].is_string() && !s["tags"].as_array().unwrap().is_empty()));
    }

    #[test]
    fn etags_match_weakly() {
        let (_, tag) = body_and_etag("https://a2a.crowai.dev");
        assert!(not_modified(Some(&tag), &tag));
        assert!(not_modified(Some(&tag.replace("W/", "")), &tag));
        assert!(not_modified(Some("\"x\", *"), &tag));
        assert!(!not_modified(Some("\"x\""), &tag));
        assert!(!not_modified(None, &tag));
        assert_ne!(body_and_etag("https://a").1, body_and_etag("https://b").1);
    }
}
