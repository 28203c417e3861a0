//! The local AI backend for product descriptions: deterministic text derived from the product's
//! own fields, for development and tests where Workers AI cannot run. Production uses Workers AI
//! with the prompt built by [`prompt`].

use crate::inputs::Product;

pub const LOCAL_MODEL: &str = "crow-local-describer-v1";
/// The Workers AI model used in production for descriptions.
pub const WORKERS_AI_MODEL: &str = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";

/// Description styles generated for each product.
pub const STYLES: [&str; 3] = ["short", "detailed", "seo"];

fn price(p: &Product) -> Option<String> {
    p.price_cents.map(|c| format!("{} {}.{:02}", p.currency, c / 100, c % 100))
}

fn first_sentence(s: &str) -> &str {
    let s = s.trim();
    match s.find(['.', '!', '?']) {
        Some(i) => &s[..=i],
        None => s,
    }
}

/// The three descriptions the local backend writes: every statement comes from a field.
pub fn local_descriptions(p: &Product) -> Vec<(&'static str, String)> {
    let brand = p.brand.as_deref().map(|b| format!("{b} ")).unwrap_or_default();
    let category = p.category.as_deref().unwrap_or("product");
    let mut short = format!("{brand}{} — {}", p.name, category.to_lowercase());
    if let Some(pr) = price(p) {
        short.push_str(&format!(", {pr}"));
    }
    short.push('.');

    let mut detailed =
        format!("The {brand}{} is a {} in our catalogue.", p.name, category.to_lowercase());
    if !p.description.trim().is_empty() {
        detailed.push(' ');
        detailed.push_str(p.description.trim());
        if !detailed.ends_with(['.', '!', '?']) {
            detailed.push('.');
        }
    }
    if !p.tags.is_empty() {
        detailed.push_str(&format!(" Good to know: {}.", p.tags.join(", ")));
    }
    if let Some(pr) = price(p) {
        detailed.push_str(&format!(" Price: {pr}."));
    }

    let mut keywords: Vec<String> = vec![p.name.to_lowercase()];
    keywords.extend(p.category.iter().map(|c| c.to_lowercase()));
    keywords.extend(p.brand.iter().map(|b| b.to_lowercase()));
    keywords.extend(p.tags.iter().map(|t| t.to_lowercase()));
    keywords.dedup();
    let lead = first_sentence(&p.description);
    let seo = if lead.is_empty() {
        format!("Buy {brand}{}. Keywords: {}.", p.name, keywords.join(", "))
    } else {
        format!("Buy {brand}{}: {} Keywords: {}.", p.name, lead, keywords.join(", "))
    };
    vec![("short", short), ("detailed", detailed), ("seo", seo)]
}

/// The instruction sent to Workers AI in production; asks for JSON with the three styles.
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
    fn descriptions_come_from_the_fields() {
        let d = local_descriptions(&product());
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].1, "Crow Trail Runner 2 — footwear, EUR 129.50.");
        assert!(d[1].1.contains("grippy outsole") && d[1].1.contains("running, waterproof"));
        assert!(d[2]
            .1
            .starts_with("Buy Crow Trail Runner 2: Lightweight trail shoe with a grippy outsole."));
        let bare = Product {
            description: String::new(),
            brand: None,
            category: None,
            price_cents: None,
            tags: vec![],
            ..product()
        };
        assert_eq!(local_descriptions(&bare)[0].1, "Trail Runner 2 — product.");
        assert!(prompt(&product()).contains("Name: Trail Runner 2"));
    }
}
