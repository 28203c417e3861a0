//! Product descriptions: the prompt sent to the text model (`DESCRIPTION_MODEL`, Workers AI's
//! Llama 3.3 in production, the stand-in's describer locally) and the parser of its answer.

use serde_json::Value;

use crate::inputs::Product;

/// The Workers AI model used in production for descriptions.
pub const WORKERS_AI_MODEL: &str = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";

/// Description styles generated for each product.
pub const STYLES: [&str; 3] = ["short", "detailed", "seo"];

fn price(p: &Product) -> Option<String> {
    p.price_cents.map(|c| format!("{} {}.{:02}", p.currency, c / 100, c % 100))
}

/// The instruction sent to the model; asks for JSON with the three styles.
pub fn prompt(p: &Product) -> String {
    format!(
        "Write three descriptions of this retail product as JSON {{\"short\":…,\"detailed\":…,\"seo\":…}}. \
         Use only these facts; do not invent specifications.\nName: {}\nBrand: {}\nCategory: {}\nPrice: {}\nTags: {}\nDescription: {}",
        p.name,
        p.brand.as_deref().unwrap_or("-"),
        p.category.as_deref().unwrap_or("-"),
        price(p).unwrap_or_else(|| "-".into()),
        p.tags.join(", "),
        p.description
    )
}

/// The styles of a model answer `{response}` whose `response` is the JSON object asked for,
/// either as an object or as JSON text (possibly in a code fence). `None` when no style has a
/// non-empty text.
pub fn parse_answer(response: &Value) -> Option<Vec<(String, String)>> {
    let decoded;
    let obj = match response {
        Value::String(s) => {
            let s = s.trim();
            let s = s.strip_prefix("```json").or_else(|| s.strip_prefix("```")).unwrap_or(s);
            decoded = serde_json::from_str::<Value>(s.trim().trim_end_matches('`').trim()).ok()?;
            decoded.as_object()?
        }
        Value::Object(o) => o,
        _ => return None,
    };
    let texts: Vec<(String, String)> = STYLES
        .iter()
        .filter_map(|s| {
            obj.get(*s).and_then(Value::as_str).map(|t| (s.to_string(), t.trim().to_string()))
        })
        .filter(|(_, t)| !t.is_empty())
        .collect();
    (!texts.is_empty()).then_some(texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product() -> Product {
        Product {
            name: "Trail Runner 2".into(),
            description: "Lightweight trail shoe with a grippy outsole. Waterproof upper.".into(),
            sku: Some("TR-2".into()),
            category: Some("Footwear".into()),
            brand: Some("Crow".into()),
            price_cents: Some(12_950),
            currency: "EUR".into(),
            tags: vec!["running".into(), "waterproof".into()],
        }
    }

    #[test]
    fn the_prompt_names_the_facts_and_answers_parse_in_either_form() {
        let p = prompt(&product());
        assert!(p.contains("Name: Trail Runner 2") && p.contains("Price: EUR 129.50"), "{p}");
        let as_text = Value::String(
            "```json\n{\"short\":\" A \",\"detailed\":\"B\",\"seo\":\"\"}\n```".into(),
        );
        let want = vec![("short".to_string(), "A".to_string()), ("detailed".into(), "B".into())];
        assert_eq!(parse_answer(&as_text), Some(want.clone()));
        let as_object = serde_json::json!({"short": "A", "detailed": "B", "other": "x"});
        assert_eq!(parse_answer(&as_object), Some(want));
        assert_eq!(parse_answer(&Value::String("Sure! Here you go".into())), None);
        assert_eq!(parse_answer(&serde_json::json!({"short": ""})), None);
        assert_eq!(parse_answer(&Value::Null), None);
    }
}
