//! Plain sentences about an analytics answer, for a store manager: the figures, the period
//! they cover and where they came from. The MCP tools put them in their text result and the
//! offline agent answers with them, so both say the same thing.

use crate::metric::{Figures, Metric};
use crate::period::{Interval, Window, DAY_MS};
use crate::report::{
    Comparison, Funnel, ProductFigures, ProductPerformance, Scope, StoreBreakdown, TimeSeries,
};

/// `1234567` → `"1,234,567"`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Cents in a currency: `$1,234.50` for USD, `1,234.50 EUR` otherwise.
pub fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let amount = format!("{}.{:02}", thousands((c / 100) as i64), c % 100);
    match currency {
        "USD" => format!("{sign}${amount}"),
        "EUR" => format!("{sign}€{amount}"),
        "GBP" => format!("{sign}£{amount}"),
        other => format!("{sign}{amount} {other}"),
    }
}

pub fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A metric's value as people read it.
pub fn value(m: Metric, v: Option<f64>, currency: &str) -> String {
    match v {
        None => "no value (nothing to divide by)".to_string(),
        Some(x) if m.is_rate() => percent(x),
        Some(x) => match m {
            Metric::Revenue => money(x.round() as i64, currency),
            Metric::AvgDwellSeconds => format!("{x:.0} s"),
            Metric::DwellSeconds => format!("{} s", thousands(x.round() as i64)),
            _ => thousands(x.round() as i64),
        },
    }
}

/// "2026-10-01 to 2026-10-31 (UTC)".
pub fn period(scope: &Scope) -> String {
    match scope.window() {
        Some(w) => format!("{} ({})", w.describe(), scope.time_zone),
        None => format!("{} to {} ({})", scope.from, scope.to, scope.time_zone),
    }
}

/// "2 purchases", "1 purchase", "1,204 views".
pub fn count(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// The product as named in an answer: with its SKU, and its id when `ids` (tool results, which
/// a model may pass on to another tool); the agent's plain answer leaves the id to its sources.
fn product_label(p: &ProductFigures, ids: bool) -> String {
    match (&p.product.sku, ids) {
        (Some(sku), true) => format!("{} (SKU {sku}, id {})", p.product.name, p.product.product_id),
        (None, true) => format!("{} (id {})", p.product.name, p.product.product_id),
        (Some(sku), false) => format!("{} (SKU {sku})", p.product.name),
        (None, false) => p.product.name.clone(),
    }
}

/// The figures that go with a ranking by `m`.
fn figures_for(m: Metric, f: &Figures, currency: &str) -> String {
    let sales = format!(
        "{} revenue from {} ({})",
        money(f.revenue_cents, currency),
        count(f.purchases, "purchase", "purchases"),
        count(f.units, "unit", "units")
    );
    match m {
        Metric::Revenue | Metric::Purchases | Metric::Units => sales,
        Metric::Views
        | Metric::ConversionRate
        | Metric::AddToCarts
        | Metric::CartToPurchaseRate => {
            format!(
                "{}, {}, {}, conversion {}",
                count(f.views, "view", "views"),
                count(f.add_to_carts, "add-to-cart", "add-to-carts"),
                count(f.purchases, "purchase", "purchases"),
                value(Metric::ConversionRate, f.conversion_rate, currency)
            )
        }
        Metric::SocialMentions | Metric::PositiveShare | Metric::NegativeShare => format!(
            "{}, {} positive, {} negative",
            count(f.social_mentions, "social mention", "social mentions"),
            value(Metric::PositiveShare, f.positive_share, currency),
            value(Metric::NegativeShare, f.negative_share, currency)
        ),
        Metric::DwellSeconds | Metric::AvgDwellSeconds | Metric::ShelfInteractions => format!(
            "{} of dwell over {} observations (average {}), {} shelf interactions",
            value(Metric::DwellSeconds, Some(f.dwell_seconds as f64), currency),
            thousands(f.dwell_events),
            value(Metric::AvgDwellSeconds, f.avg_dwell_seconds, currency),
            thousands(f.shelf_interactions)
        ),
        _ => format!("{} {}", value(m, f.get(m), currency), m.label()),
    }
}

const SOURCE: &str = "Source: the organization's interactions in CROW";

pub fn performance(p: &ProductPerformance, ids: bool) -> String {
    let m = Metric::from_name(&p.sort).unwrap_or(Metric::Revenue);
    let cur = &p.scope.currency;
    let what = match &p.category {
        Some(c) => format!("{c} products"),
        None => "products".to_string(),
    };
    let dir = if p.order == "asc" { "lowest" } else { "top" };
    // Whether the metric has any value over all the products considered (the listed ones may
    // all be zero when the worst are asked for).
    let has_data = p.totals.get(m).is_some_and(|v| v != 0.0);
    if p.products.is_empty() || p.totals.interactions == 0 || !has_data {
        return format!(
            "No {} recorded for {what} in {}, so the data does not say how products rank. {SOURCE}.",
            m.label(),
            period(&p.scope)
        );
    }
    let mut s =
        format!("The {dir} {} {what} by {}, {}:", p.products.len(), m.label(), period(&p.scope));
    for (i, x) in p.products.iter().enumerate() {
        s.push_str(&format!(
            " {}. {}: {}",
            i + 1,
            product_label(x, ids),
            figures_for(m, &x.figures, cur)
        ));
        s.push(';');
    }
    s.pop();
    s.push_str(&format!(
        ". Across all {} {what}: {} revenue from {}. {SOURCE} (web purchases, views and carts; social mentions; in-store camera events).",
        p.product_count,
        money(p.totals.revenue_cents, cur),
        count(p.totals.purchases, "purchase", "purchases")
    ));
    s
}

fn bucket_name(interval: &str, start: &str) -> String {
    let day = &start[..10.min(start.len())];
    match interval {
        "week" => format!("week of {day}"),
        "month" => day[..7.min(day.len())].to_string(),
        _ => day.to_string(),
    }
}

pub fn series(t: &TimeSeries) -> String {
    let m = Metric::from_name(&t.metric).unwrap_or(Metric::Purchases);
    let cur = &t.scope.currency;
    let scope = match (&t.product_id, &t.category) {
        (Some(p), _) => format!(" for product {p}"),
        (None, Some(c)) => format!(" for {c}"),
        _ => String::new(),
    };
    let source = t.scope.source_type.as_deref().map(|s| format!(" ({s} only)")).unwrap_or_default();
    let nonzero = t.points.iter().any(|p| p.value.is_some_and(|v| v != 0.0));
    if !nonzero {
        return format!(
            "No {}{scope}{source} recorded in {}; the data does not say more. {SOURCE}.",
            m.label(),
            period(&t.scope)
        );
    }
    let mut s = format!(
        "{}{scope}{source} by {}, {}: total {}.",
        capital(m.label()),
        t.interval,
        period(&t.scope),
        value(m, t.total, cur)
    );
    let best = t
        .points
        .iter()
        .filter(|p| p.value.is_some())
        .max_by(|a, b| a.value.unwrap_or(0.0).total_cmp(&b.value.unwrap_or(0.0)));
    if let Some(b) = best {
        let name = match (t.interval.as_str(), weekday(&b.start[..10.min(b.start.len())])) {
            ("day", Some(wd)) => format!("{wd} {}", bucket_name("day", &b.start)),
            _ => bucket_name(&t.interval, &b.start),
        };
        s.push_str(&format!(" Highest: {name} with {}.", value(m, b.value, cur)));
    }
    let shown: Vec<String> = t
        .points
        .iter()
        .rev()
        .take(if t.interval == "day" { 14 } else { 13 })
        .rev()
        .map(|p| format!("{} {}", bucket_name(&t.interval, &p.start), value(m, p.value, cur)))
        .collect();
    s.push_str(&format!(" By {}: {}.", t.interval, shown.join(", ")));
    if let (Some(a), Some(b)) = (t.points.iter().rev().nth(1), t.points.last()) {
        if let (Some(x), Some(y)) = (a.value, b.value) {
            s.push_str(&format!(
                " Last {} against the one before: {} vs {}{}.",
                t.interval,
                value(m, Some(y), cur),
                value(m, Some(x), cur),
                change_words(y - x, if x != 0.0 { Some((y - x) / x) } else { None }, m, cur)
            ));
        }
    }
    s.push_str(&format!(" {SOURCE}."));
    s
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn change_words(abs: f64, rel: Option<f64>, m: Metric, cur: &str) -> String {
    let dir = if abs > 0.0 {
        "up"
    } else if abs < 0.0 {
        "down"
    } else {
        "unchanged"
    };
    if abs == 0.0 {
        return ", unchanged".to_string();
    }
    let amount = if m.is_rate() {
        format!("{:.1} percentage points", abs.abs() * 100.0)
    } else {
        value(m, Some(abs.abs()), cur)
    };
    match rel {
        Some(r) => format!(", {dir} {amount} ({}{})", if r > 0.0 { "+" } else { "" }, percent(r)),
        None => format!(", {dir} {amount} (from zero)"),
    }
}

pub fn comparison(c: &Comparison, ids: bool) -> String {
    let m = Metric::from_name(&c.metric).unwrap_or(Metric::Revenue);
    let cur = &c.scope.currency;
    let w = |from: &str, to: &str| match (
        crow_common::time::parse_iso8601(from),
        crow_common::time::parse_iso8601(to),
    ) {
        (Some(a), Some(b)) => Window::new(a, b).describe(),
        _ => format!("{from} to {to}"),
    };
    let (cw, pw) = (w(&c.current.from, &c.current.to), w(&c.previous.from, &c.previous.to));
    if c.current.value.unwrap_or(0.0) == 0.0 && c.previous.value.unwrap_or(0.0) == 0.0 {
        return format!(
            "No {} recorded in either {cw} or {pw} ({}); the data does not say how it changed. {SOURCE}.",
            m.label(),
            c.scope.time_zone
        );
    }
    let what = match &c.category {
        Some(cat) => format!("{} for {cat}", capital(m.label())),
        None => capital(m.label()),
    };
    let source = c.scope.source_type.as_deref().map(|s| format!(" ({s} only)")).unwrap_or_default();
    let mut s = format!(
        "{what}{source}: {} in {cw} against {} in {pw} ({}){}.",
        value(m, c.current.value, cur),
        value(m, c.previous.value, cur),
        c.scope.time_zone,
        match c.absolute_change {
            Some(a) => change_words(a, c.relative_change, m, cur),
            None => String::new(),
        }
    );
    if !c.items.is_empty() {
        let parts: Vec<String> = c
            .items
            .iter()
            .take(5)
            .map(|i| {
                let label = if c.group_by == "product" && ids {
                    format!("{} (id {})", i.name, i.key)
                } else {
                    i.name.clone()
                };
                format!(
                    "{label}: {} vs {}{}",
                    value(m, i.current, cur),
                    value(m, i.previous, cur),
                    match i.absolute_change {
                        Some(a) => change_words(a, i.relative_change, m, cur),
                        None => String::new(),
                    }
                )
            })
            .collect();
        s.push_str(&format!(" By {}: {}.", c.group_by, parts.join("; ")));
    }
    s.push_str(&format!(" {SOURCE}."));
    s
}

pub fn funnel(f: &Funnel, ids: bool) -> String {
    let o = &f.overall;
    if o.views == 0 && o.add_to_carts == 0 && o.purchases == 0 {
        return format!(
            "No web views, carts or purchases recorded in {}; the data does not show a funnel. {SOURCE}.",
            period(&f.scope)
        );
    }
    let r = |x: Option<f64>| x.map(percent).unwrap_or_else(|| "n/a".into());
    let mut s = format!(
        "Web funnel, {}: {} product views → {} add-to-carts ({} of views) → {} purchases ({} of carts; {} of views).",
        period(&f.scope),
        thousands(o.views),
        thousands(o.add_to_carts),
        r(o.view_to_cart_rate),
        thousands(o.purchases),
        r(o.cart_to_purchase_rate),
        r(o.view_to_purchase_rate)
    );
    let parts: Vec<String> = f
        .products
        .iter()
        .take(5)
        .map(|p| {
            let name = if ids {
                format!("{} (id {})", p.product.name, p.product.product_id)
            } else {
                p.product.name.clone()
            };
            format!(
                "{name}: {}, {}, {} ({} conversion)",
                count(p.steps.views, "view", "views"),
                count(p.steps.add_to_carts, "cart", "carts"),
                count(p.steps.purchases, "purchase", "purchases"),
                r(p.steps.view_to_purchase_rate)
            )
        })
        .collect();
    if !parts.is_empty() {
        s.push_str(&format!(" Most viewed: {}.", parts.join("; ")));
    }
    s.push_str(&format!(" {SOURCE} (web page views, add-to-cart and purchase events)."));
    s
}

pub fn stores(b: &StoreBreakdown) -> String {
    if b.stores.is_empty() || b.overall.interactions == 0 {
        return format!(
            "No in-store camera data recorded in {}; the data does not say which store or zone is busiest. {SOURCE}.",
            period(&b.scope)
        );
    }
    let avg = |x: Option<f64>| x.map(|v| format!("{v:.0} s")).unwrap_or_else(|| "n/a".into());
    let parts: Vec<String> = b
        .stores
        .iter()
        .map(|st| {
            let zone = st
                .zones
                .first()
                .map(|z| {
                    format!(
                        ", busiest zone {} ({} shoppers)",
                        z.zone,
                        thousands(z.figures.footfall)
                    )
                })
                .unwrap_or_default();
            format!(
                "{}: footfall {}, average dwell {}, {} shelf interactions{zone}",
                st.store,
                thousands(st.figures.footfall),
                avg(st.figures.avg_dwell_seconds),
                thousands(st.figures.shelf_interactions)
            )
        })
        .collect();
    let mut zones: Vec<(String, String, i64, Option<f64>)> = b
        .stores
        .iter()
        .flat_map(|st| {
            st.zones.iter().map(move |z| {
                (st.store.clone(), z.zone.clone(), z.figures.footfall, z.figures.avg_dwell_seconds)
            })
        })
        .collect();
    zones.sort_by_key(|z| std::cmp::Reverse(z.2));
    let mut s = format!(
        "In-store, {}: busiest store {} with {} shoppers counted. {}.",
        period(&b.scope),
        b.stores[0].store,
        thousands(b.stores[0].figures.footfall),
        parts.join("; ")
    );
    if let Some(z) = zones.first() {
        s.push_str(&format!(
            " Busiest zone overall: {} at {} ({} shoppers).",
            z.1,
            z.0,
            thousands(z.2)
        ));
    }
    let longest = zones
        .iter()
        .filter(|z| z.3.is_some())
        .max_by(|a, b| a.3.unwrap_or(0.0).total_cmp(&b.3.unwrap_or(0.0)));
    if let Some(z) = longest {
        s.push_str(&format!(" Longest average dwell: zone {} at {} ({}).", z.1, z.0, avg(z.3)));
    }
    s.push_str(&format!(" {SOURCE} (CCTV footfall counts, dwell times and shelf interactions)."));
    s
}

/// The busiest bucket of a series, as a sentence part ("Saturday 2026-10-10 with 412").
pub fn busiest(t: &TimeSeries) -> Option<(String, f64)> {
    t.points
        .iter()
        .filter_map(|p| Some((p, p.value?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|(_, v)| *v > 0.0)
        .map(|(p, v)| (bucket_name(&t.interval, &p.start), v))
}

/// Weekday name of an ISO date (`2026-10-10` → `Saturday`).
pub fn weekday(date: &str) -> Option<&'static str> {
    let ms = crow_common::time::parse_iso8601(date)?;
    let d = ms.div_euclid(DAY_MS);
    const NAMES: [&str; 7] =
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    Some(NAMES[Interval::Week.bucket_start(d).abs_diff(d) as usize % 7])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_products_are_named_even_at_zero() {
        use crate::params::Query;
        use crate::report::{performance as build, ProductRow, Scope};
        let row = |id: &str, purchases: f64| -> ProductRow {
            serde_json::from_value(serde_json::json!({
                "id": id, "name": format!("P {id}"), "sku": null, "category": null,
                "views": 10, "add_to_carts": 0, "purchases": purchases, "units": purchases,
                "revenue_cents": purchases * 100.0, "social_mentions": 0, "positive_mentions": 0,
                "negative_mentions": 0, "dwell_events": 0, "dwell_seconds": 0,
                "shelf_interactions": 0, "footfall": 0, "searches": 0, "interactions": 10,
            }))
            .unwrap()
        };
        let q = Query(&[("sort".into(), "purchases".into()), ("order".into(), "asc".into())])
            .products(86_400_000)
            .unwrap();
        let scope = Scope::new("o", q.common.window, "USD", None);
        let p = build(scope, &q, vec![row("a", 0.0), row("b", 3.0)]);
        let t = performance(&p, true);
        assert!(t.starts_with("The lowest 2 products by purchases"), "{t}");
        assert!(t.contains("1. P a (id a): $0.00 revenue from 0 purchases"), "{t}");
        assert!(t.contains("2. P b (id b): $3.00 revenue from 3 purchases (3 units)"), "{t}");
        let plain = performance(&p, false);
        assert!(plain.contains("1. P a: $0.00") && !plain.contains("(id "), "{plain}");
        let none = performance(
            &build(Scope::new("o", q.common.window, "USD", None), &q, vec![row("a", 0.0)]),
            true,
        );
        assert!(none.contains("the data does not say"), "{none}");
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(money(123_456, "USD"), "$1,234.56");
        assert_eq!(money(5, "SEK"), "0.05 SEK");
        assert_eq!(percent(0.0754), "7.5%");
        assert_eq!(
            (count(1, "purchase", "purchases"), count(1200, "view", "views")),
            ("1 purchase".to_string(), "1,200 views".to_string())
        );
        assert_eq!(value(Metric::ConversionRate, None, "USD"), "no value (nothing to divide by)");
        assert_eq!(value(Metric::Revenue, Some(100.0), "USD"), "$1.00");
        assert_eq!(weekday("2026-12-02"), Some("Wednesday"));
        assert_eq!(weekday("2026-11-29"), Some("Sunday"));
        assert_eq!(change_words(-5.0, Some(-0.5), Metric::Purchases, "USD"), ", down 5 (-50.0%)");
        assert_eq!(
            change_words(0.01, None, Metric::ConversionRate, "USD"),
            ", up 1.0 percentage points (from zero)"
        );
    }
}
