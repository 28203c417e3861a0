//! Request bodies of the data endpoints, and their validation. Bodies refuse unknown fields;
//! `validate` checks values and returns a 400 naming the field.

use crow_common::time::parse_iso8601;
use crow_common::ApiError;
use serde::Deserialize;
use serde_json::Value;

/// Most interactions one ingest call accepts.
pub const MAX_BATCH: usize = 500;

fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min || n > max {
        return Err(ApiError::invalid_field(field, format!("must be {min} to {max} characters")));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(ApiError::invalid_field(field, "must not contain control characters"));
    }
    Ok(v.to_string())
}

fn token(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    if value.is_empty()
        || value.len() > max
        || !value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    {
        return Err(ApiError::invalid_field(
            field,
            format!("must be 1 to {max} characters of A-Z, a-z, 0-9, - _ . :"),
        ));
    }
    Ok(value.to_string())
}

fn timestamp(field: &str, value: &str) -> Result<i64, ApiError> {
    parse_iso8601(value).ok_or_else(|| {
        ApiError::invalid_field(field, "must be an ISO 8601 / RFC 3339 timestamp")
            .detail("expected", "ISO 8601 format")
    })
}

/// Channels an interaction can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceType {
    Web,
    Cctv,
    Social,
}

impl SourceType {
    pub const ALL: [&'static str; 3] = ["web", "cctv", "social"];

    pub fn parse(field: &str, s: &str) -> Result<SourceType, ApiError> {
        match s {
            "web" => Ok(SourceType::Web),
            "cctv" => Ok(SourceType::Cctv),
            "social" => Ok(SourceType::Social),
            _ => Err(ApiError::invalid_field(field, "must be one of web, cctv, social")
                .detail("allowed", Self::ALL.to_vec())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::Web => "web",
            SourceType::Cctv => "cctv",
            SourceType::Social => "social",
        }
    }
}

/// Pattern periods.
pub const PERIODS: [&str; 4] = ["daily", "weekly", "monthly", "yearly"];

pub fn parse_period(field: &str, s: &str) -> Result<&'static str, ApiError> {
    PERIODS.iter().find(|p| **p == s).copied().ok_or_else(|| {
        ApiError::invalid_field(field, "must be one of daily, weekly, monthly, yearly")
            .detail("allowed", PERIODS.to_vec())
    })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProductInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub sku: Option<String>,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub price_cents: Option<i64>,
    pub currency: Option<String>,
    pub tags: Option<Vec<String>>,
}

/// A product after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub name: String,
    pub description: String,
    pub sku: Option<String>,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub price_cents: Option<i64>,
    pub currency: String,
    pub tags: Vec<String>,
}

impl ProductInput {
    /// Validates a full product (create), or applies this input onto `current` (update).
    pub fn validate(self, current: Option<&Product>) -> Result<Product, ApiError> {
        let base = current.cloned();
        let name = match (self.name, &base) {
            (Some(n), _) => text("name", &n, 1, 200)?,
            (None, Some(b)) => b.name.clone(),
            (None, None) => return Err(ApiError::invalid_field("name", "is required")),
        };
        let opt = |field: &str,
                   v: Option<String>,
                   cur: Option<String>,
                   max: usize|
         -> Result<Option<String>, ApiError> {
            match v {
                Some(s) if s.trim().is_empty() => Ok(None),
                Some(s) => text(field, &s, 1, max).map(Some),
                None => Ok(cur),
            }
        };
        let description = match self.description {
            Some(d) => text("description", &d, 0, 5000)?,
            None => base.as_ref().map(|b| b.description.clone()).unwrap_or_default(),
        };
        let sku = match self.sku {
            Some(s) => Some(token("sku", &s, 64)?),
            None => base.as_ref().and_then(|b| b.sku.clone()),
        };
        let category =
            opt("category", self.category, base.as_ref().and_then(|b| b.category.clone()), 100)?;
        let brand = opt("brand", self.brand, base.as_ref().and_then(|b| b.brand.clone()), 100)?;
        let price_cents = match self.price_cents {
            Some(p) if !(0..=1_000_000_000).contains(&p) => {
                return Err(ApiError::invalid_field("priceCents", "must be from 0 to 1000000000"))
            }
            Some(p) => Some(p),
            None => base.as_ref().and_then(|b| b.price_cents),
        };
        let currency = match self.currency {
            Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => c,
            Some(_) => {
                return Err(ApiError::invalid_field(
                    "currency",
                    "must be a three-letter ISO 4217 code such as USD",
                ))
            }
            None => base.as_ref().map(|b| b.currency.clone()).unwrap_or_else(|| "USD".into()),
        };
        let tags = match self.tags {
            Some(t) => {
                if t.len() > 20 {
                    return Err(ApiError::invalid_field("tags", "at most 20 tags"));
                }
                t.iter()
                    .enumerate()
                    .map(|(i, s)| text(&format!("tags[{i}]"), s, 1, 40))
                    .collect::<Result<Vec<_>, _>>()?
            }
            None => base.as_ref().map(|b| b.tags.clone()).unwrap_or_default(),
        };
        Ok(Product { name, description, sku, category, brand, price_cents, currency, tags })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InteractionInput {
    /// The client's id for the event: ingest is idempotent on it.
    pub event_id: String,
    pub source_type: String,
    pub kind: String,
    pub occurred_at: String,
    pub product_id: Option<String>,
    pub content: Option<String>,
    pub attributes: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    pub event_id: String,
    pub source_type: SourceType,
    pub kind: String,
    pub occurred_at: i64,
    pub product_id: Option<String>,
    /// `attributes.sku`, when it is a string: the product is resolved by it at ingest (inside
    /// the organization) when `productId` does not name one.
    pub sku: Option<String>,
    pub content: String,
    pub attributes: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionBatch {
    pub interactions: Vec<InteractionInput>,
}

impl InteractionBatch {
    /// Validates every item; the error names the item (`interactions[3].sourceType`).
    pub fn validate(self) -> Result<Vec<Interaction>, ApiError> {
        if self.interactions.is_empty() {
            return Err(ApiError::invalid_field(
                "interactions",
                "must hold at least one interaction",
            ));
        }
        if self.interactions.len() > MAX_BATCH {
            return Err(ApiError::invalid_field(
                "interactions",
                format!("at most {MAX_BATCH} per request"),
            )
            .detail("max", MAX_BATCH as u64));
        }
        let mut seen = std::collections::HashSet::new();
        self.interactions
            .into_iter()
            .enumerate()
            .map(|(i, it)| {
                let f = |name: &str| format!("interactions[{i}].{name}");
                let event_id = token(&f("eventId"), &it.event_id, 128)?;
                if !seen.insert(event_id.clone()) {
                    return Err(ApiError::invalid_field(
                        &f("eventId"),
                        "appears twice in this batch",
                    ));
                }
                let kind = it.kind.trim().to_string();
                if kind.is_empty()
                    || kind.len() > 40
                    || !kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                {
                    return Err(ApiError::invalid_field(
                        &f("kind"),
                        "must be 1 to 40 characters of a-z and _",
                    ));
                }
                let sku = it
                    .attributes
                    .as_ref()
                    .and_then(|a| a.get("sku"))
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && s.len() <= 64)
                    .map(str::to_string);
                let attributes = match it.attributes {
                    None | Some(Value::Null) => "{}".to_string(),
                    Some(v @ Value::Object(_)) => {
                        let s = v.to_string();
                        if s.len() > 4096 {
                            return Err(ApiError::invalid_field(
                                &f("attributes"),
                                "must be at most 4096 bytes of JSON",
                            ));
                        }
                        s
                    }
                    Some(_) => {
                        return Err(ApiError::invalid_field(
                            &f("attributes"),
                            "must be a JSON object",
                        ))
                    }
                };
                Ok(Interaction {
                    source_type: SourceType::parse(&f("sourceType"), &it.source_type)?,
                    occurred_at: timestamp(&f("occurredAt"), &it.occurred_at)?,
                    product_id: it
                        .product_id
                        .map(|p| token(&f("productId"), &p, 64))
                        .transpose()?,
                    content: match it.content {
                        Some(c) => text(&f("content"), &c, 0, 2000)?,
                        None => String::new(),
                    },
                    event_id,
                    kind,
                    sku,
                    attributes,
                })
            })
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatternInput {
    pub period: String,
    pub title: String,
    pub description: Option<String>,
    pub metric: Option<String>,
    pub value: Option<f64>,
    pub period_start: String,
    pub confidence: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub period: &'static str,
    pub title: String,
    pub description: String,
    pub metric: Option<String>,
    pub value: Option<f64>,
    pub period_start: i64,
    pub confidence: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternBatch {
    pub patterns: Vec<PatternInput>,
}

impl PatternBatch {
    pub fn validate(self) -> Result<Vec<Pattern>, ApiError> {
        if self.patterns.is_empty() || self.patterns.len() > 200 {
            return Err(ApiError::invalid_field("patterns", "must hold 1 to 200 patterns"));
        }
        self.patterns
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let f = |name: &str| format!("patterns[{i}].{name}");
                if let Some(c) = p.confidence {
                    if !(0.0..=1.0).contains(&c) {
                        return Err(ApiError::invalid_field(
                            &f("confidence"),
                            "must be from 0 to 1",
                        ));
                    }
                }
                if p.value.is_some_and(|v| !v.is_finite()) {
                    return Err(ApiError::invalid_field(&f("value"), "must be a finite number"));
                }
                Ok(Pattern {
                    period: parse_period(&f("period"), &p.period)?,
                    title: text(&f("title"), &p.title, 1, 200)?,
                    description: match p.description {
                        Some(d) => text(&f("description"), &d, 0, 2000)?,
                        None => String::new(),
                    },
                    metric: p.metric.map(|m| token(&f("metric"), &m, 64)).transpose()?,
                    value: p.value,
                    period_start: timestamp(&f("periodStart"), &p.period_start)?,
                    confidence: p.confidence,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(e: &ApiError) -> &str {
        e.details["field"].as_str().unwrap()
    }

    #[test]
    fn products_validate_and_merge() {
        let p: ProductInput = serde_json::from_value(
            json!({ "name": " Trail Shoe ", "priceCents": 8999, "tags": ["running"] }),
        )
        .unwrap();
        let p = p.validate(None).unwrap();
        assert_eq!(p.name, "Trail Shoe");
        assert_eq!(p.currency, "USD");
        let patch: ProductInput =
            serde_json::from_value(json!({ "description": "Grippy." })).unwrap();
        let q = patch.validate(Some(&p)).unwrap();
        assert_eq!(
            (q.name.as_str(), q.description.as_str(), q.price_cents),
            ("Trail Shoe", "Grippy.", Some(8999))
        );
        for (body, f) in [
            (json!({}), "name"),
            (json!({ "name": "x", "priceCents": -1 }), "priceCents"),
            (json!({ "name": "x", "currency": "usd" }), "currency"),
            (json!({ "name": "x", "sku": "has space" }), "sku"),
            (json!({ "name": "x", "tags": [""] }), "tags[0]"),
        ] {
            let input: ProductInput = serde_json::from_value(body.clone()).unwrap();
            assert_eq!(field(&input.validate(None).unwrap_err()), f, "{body}");
        }
        assert!(serde_json::from_value::<ProductInput>(
            json!({ "name": "x", "organizationId": "o" })
        )
        .is_err());
    }

    #[test]
    fn interaction_batches() {
        let ok = json!({ "interactions": [
            { "eventId": "e1", "sourceType": "web", "kind": "page_view", "occurredAt": "2026-11-01T10:00:00Z" },
            { "eventId": "e2", "sourceType": "cctv", "kind": "footfall", "occurredAt": "2026-11-01", "attributes": { "zone": "A" } },
        ]});
        let items = serde_json::from_value::<InteractionBatch>(ok).unwrap().validate().unwrap();
        assert_eq!(items[1].source_type, SourceType::Cctv);
        assert_eq!(items[1].attributes, r#"{"zone":"A"}"#);
        assert_eq!(items[1].sku, None);
        let with_sku = json!({ "interactions": [
            { "eventId": "e1", "sourceType": "web", "kind": "purchase", "occurredAt": "2026-11-01", "attributes": { "sku": " RL-1 ", "quantity": 2 } },
            { "eventId": "e2", "sourceType": "web", "kind": "purchase", "occurredAt": "2026-11-01", "attributes": { "sku": 7 } },
        ]});
        let items =
            serde_json::from_value::<InteractionBatch>(with_sku).unwrap().validate().unwrap();
        assert_eq!(items[0].sku.as_deref(), Some("RL-1"));
        assert_eq!(items[1].sku, None);
        for (item, f) in [
            (
                json!({ "eventId": "e", "sourceType": "email", "kind": "x", "occurredAt": "2026-11-01" }),
                "interactions[0].sourceType",
            ),
            (
                json!({ "eventId": "e", "sourceType": "web", "kind": "x", "occurredAt": "yesterday" }),
                "interactions[0].occurredAt",
            ),
            (
                json!({ "eventId": "", "sourceType": "web", "kind": "x", "occurredAt": "2026-11-01" }),
                "interactions[0].eventId",
            ),
            (
                json!({ "eventId": "e", "sourceType": "web", "kind": "Page View", "occurredAt": "2026-11-01" }),
                "interactions[0].kind",
            ),
            (
                json!({ "eventId": "e", "sourceType": "web", "kind": "x", "occurredAt": "2026-11-01", "attributes": [1] }),
                "interactions[0].attributes",
            ),
        ] {
            let b: InteractionBatch =
                serde_json::from_value(json!({ "interactions": [item] })).unwrap();
            assert_eq!(field(&b.validate().unwrap_err()), f);
        }
        let dup = json!({ "interactions": [
            { "eventId": "e", "sourceType": "web", "kind": "x", "occurredAt": "2026-11-01" },
            { "eventId": "e", "sourceType": "web", "kind": "x", "occurredAt": "2026-11-01" } ]});
        assert_eq!(
            field(
                &serde_json::from_value::<InteractionBatch>(dup).unwrap().validate().unwrap_err()
            ),
            "interactions[1].eventId"
        );
        let empty = InteractionBatch { interactions: vec![] };
        assert_eq!(field(&empty.validate().unwrap_err()), "interactions");
    }

    #[test]
    fn patterns_and_periods() {
        let b: PatternBatch = serde_json::from_value(json!({ "patterns": [
            { "period": "weekly", "title": "Weekend peak", "periodStart": "2026-11-02", "confidence": 0.8, "value": 1.5 } ]})).unwrap();
        assert_eq!(b.validate().unwrap()[0].period, "weekly");
        let b: PatternBatch = serde_json::from_value(json!({ "patterns": [
            { "period": "hourly", "title": "x", "periodStart": "2026-11-02" } ]}))
        .unwrap();
        let e = b.validate().unwrap_err();
        assert_eq!(field(&e), "patterns[0].period");
        assert_eq!(e.details["allowed"], json!(["daily", "weekly", "monthly", "yearly"]));
        assert!(parse_period("period", "monthly").is_ok());
    }
}
