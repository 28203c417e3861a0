//! How the offline planner reads an analytical question (issue 12): what is asked (top sellers,
//! most viewed, conversion, a trend, a comparison, the funnel, sentiment, the busiest store, zone
//! or day), over which period ("last week", "in October", "the past 14 days"), and which
//! analytics tool call answers it. Words are matched loosely (plurals, one-letter typos), the
//! way people type. Questions the data cannot answer (profit, forecasts, staff, weather, …) are
//! recognised too, so the agent can say so instead of answering something else.

use crow_analytics::period::{Relative, Window, DAY_MS};
use serde_json::{json, Map, Value};

/// What an analytical question asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// Products ranked by a metric (`sort`), best (`desc`) or worst (`asc`) first.
    Rank { sort: &'static str, order: &'static str },
    /// A metric over time.
    Trend { metric: &'static str, interval: &'static str },
    /// The busiest (or quietest) day for a metric.
    BusiestDay { metric: &'static str },
    /// This period against the previous one.
    Compare { metric: &'static str, group_by: &'static str },
    /// View → cart → purchase.
    Funnel,
    /// In-store breakdown by store and zone.
    Stores,
    /// The data holds nothing to answer with; the text names what is missing.
    NoData(&'static str),
}

/// A question read: intent, period, filters.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub intent: Intent,
    pub window: Option<Window>,
    pub source_type: Option<&'static str>,
    pub category: Option<String>,
}

/// One-letter typos (substitution, insertion, deletion, swap of neighbours).
fn near(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (x, y): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if x.len().min(y.len()) < 5 || x.len().abs_diff(y.len()) > 1 {
        return false;
    }
    if x.len() == y.len() {
        let diff: Vec<usize> = (0..x.len()).filter(|&i| x[i] != y[i]).collect();
        return diff.len() == 1
            || (diff.len() == 2
                && diff[1] == diff[0] + 1
                && x[diff[0]] == y[diff[1]]
                && x[diff[1]] == y[diff[0]]);
    }
    let (short, long) = if x.len() < y.len() { (&x, &y) } else { (&y, &x) };
    let mut i = 0;
    while i < short.len() && short[i] == long[i] {
        i += 1;
    }
    short[i..] == long[i + 1..]
}

struct Words {
    words: Vec<String>,
    text: String,
}

impl Words {
    fn new(question: &str) -> Words {
        let lower = question.to_lowercase().replace(['’', '\''], "");
        let words: Vec<String> = lower
            .split(|c: char| !(c.is_alphanumeric() || c == '-'))
            .map(|w| w.trim_matches('-'))
            .filter(|w| !w.is_empty())
            .flat_map(|w| {
                let mut v = vec![w.to_string()];
                if w.contains('-') {
                    v.extend(w.split('-').filter(|p| !p.is_empty()).map(str::to_string));
                }
                v
            })
            .collect();
        Words { text: format!(" {} ", words.join(" ")), words }
    }

    fn any(&self, list: &[&str]) -> bool {
        self.words.iter().any(|w| list.iter().any(|l| near(w, l)))
    }

    fn phrase(&self, list: &[&str]) -> bool {
        list.iter().any(|p| self.text.contains(&format!(" {p} ")))
    }
}

const SALES: &[&str] = &[
    "sell",
    "sells",
    "selling",
    "seller",
    "sellers",
    "sold",
    "sales",
    "sale",
    "bestseller",
    "bestsellers",
    "purchases",
    "purchase",
    "purchased",
    "bought",
    "orders",
    "ordered",
    "buy",
    "buying",
    "buys",
];
const REVENUE: &[&str] = &[
    "revenue", "revenues", "money", "earn", "earned", "earning", "earnings", "grossing",
    "turnover", "takings", "income",
];
const PERFORM: &[&str] =
    &["performing", "performance", "performers", "performer", "perform", "popular"];
const UNITS: &[&str] = &["units", "quantity", "quantities", "pieces"];
const VIEWS: &[&str] =
    &["viewed", "views", "view", "looked", "visited", "browsed", "clicks", "pageviews"];
const CONVERSION: &[&str] = &["conversion", "convert", "converting", "converts", "converted"];
const FUNNEL: &[&str] =
    &["funnel", "dropoff", "drop-off", "abandon", "abandonment", "abandoned", "checkout"];
const CART: &[&str] = &["cart", "carts", "basket", "baskets"];
const TREND: &[&str] = &[
    "trend",
    "trends",
    "trending",
    "daily",
    "weekly",
    "monthly",
    "develop",
    "developed",
    "developing",
    "evolution",
    "evolve",
    "evolved",
    "timeline",
    "chart",
    "history",
];
const COMPARE: &[&str] = &[
    "compare",
    "compared",
    "comparison",
    "vs",
    "versus",
    "change",
    "changed",
    "changes",
    "grow",
    "grew",
    "growth",
    "growing",
    "increase",
    "increased",
    "decrease",
    "decreased",
    "declined",
    "decline",
    "dropped",
    "improve",
    "improved",
];
const SENTIMENT: &[&str] = &[
    "sentiment",
    "positive",
    "negative",
    "talked",
    "buzz",
    "mentions",
    "mentioned",
    "reviews",
    "reviewed",
    "social",
    "complaints",
    "complained",
    "praised",
    "liked",
    "loved",
    "hated",
];
const NEGATIVE: &[&str] =
    &["negative", "complaints", "complained", "hated", "criticised", "criticized"];
const STORE: &[&str] = &[
    "store",
    "stores",
    "shop",
    "shops",
    "zone",
    "zones",
    "aisle",
    "aisles",
    "footfall",
    "dwell",
    "linger",
    "lingered",
    "lingering",
    "in-store",
    "instore",
    "branch",
    "branches",
    "location",
    "locations",
];
const TOP: &[&str] = &[
    "top",
    "best",
    "most",
    "highest",
    "leading",
    "biggest",
    "greatest",
    "strongest",
    "star",
    "stars",
    "winners",
    "busiest",
    "more",
];
const WORST: &[&str] = &[
    "worst",
    "least",
    "lowest",
    "bottom",
    "weakest",
    "poorest",
    "slowest",
    "fewest",
    "quietest",
    "underperforming",
    "flop",
    "flops",
];
const NO_DATA: &[(&[&str], &str)] = &[
    (&["profit", "profits", "profitable", "margin", "margins", "markup"], "cost or profit"),
    (
        &[
            "forecast",
            "forecasts",
            "predict",
            "prediction",
            "predictions",
            "projected",
            "projection",
        ],
        "forecast",
    ),
    (
        &["employee", "employees", "staff", "salary", "salaries", "payroll", "cashier", "cashiers"],
        "staff",
    ),
    (&["weather", "rain", "temperature"], "weather"),
    (&["competitor", "competitors", "competition"], "competitor"),
    (&["gender", "demographic", "demographics"], "customer demographic"),
    (&["churn", "loyal", "loyalty", "retention"], "customer loyalty"),
];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const NUMBERS: &[(&str, i64)] = &[
    ("seven", 7),
    ("fourteen", 14),
    ("thirty", 30),
    ("sixty", 60),
    ("ninety", 90),
    ("two", 2),
    ("three", 3),
    ("six", 6),
    ("twelve", 12),
];
/// Words that are never a category name in "<word> products".
const NOT_CATEGORY: &[&str] = &[
    "our",
    "the",
    "my",
    "all",
    "which",
    "what",
    "top",
    "best",
    "worst",
    "most",
    "least",
    "of",
    "selling",
    "performing",
    "viewed",
    "popular",
    "five",
    "ten",
    "3",
    "5",
    "10",
    "any",
    "new",
    "these",
    "those",
    "your",
    "many",
    "few",
    "some",
    "sold",
    "other",
    "and",
    "for",
    "by",
];

fn month_of(w: &str) -> Option<i64> {
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(w) || (w.len() > 5 && near(w, m)))
        .map(|i| i as i64 + 1)
}

/// The period the question names, relative to `now_ms`.
fn period(w: &Words, now_ms: i64) -> Option<Window> {
    let rel = |r: Relative| Some(r.window(now_ms));
    let last = ["last", "past", "previous", "prior", "lst", "prev", "recent"];
    // "last N days / weeks / months"
    for (i, word) in w.words.iter().enumerate() {
        if i + 2 < w.words.len() + 1 && last.contains(&word.as_str()) {
            let n = w.words.get(i + 1).and_then(|x| {
                x.parse::<i64>()
                    .ok()
                    .or_else(|| NUMBERS.iter().find(|(k, _)| k == x).map(|(_, v)| *v))
            });
            if let (Some(n), Some(unit)) = (n, w.words.get(i + 2)) {
                let days = match unit.trim_end_matches('s') {
                    "day" => n,
                    "week" => n * 7,
                    "month" => n * 30,
                    _ => 0,
                };
                if days > 0 {
                    return rel(Relative::LastDays(days.min(730)));
                }
            }
        }
    }
    let after_last = |unit: &[&str]| {
        w.words
            .windows(2)
            .any(|p| last.contains(&p[0].as_str()) && unit.iter().any(|u| near(&p[1], u)))
    };
    let after_this = |unit: &[&str]| {
        w.words.windows(2).any(|p| {
            ["this", "current"].contains(&p[0].as_str()) && unit.iter().any(|u| near(&p[1], u))
        })
    };
    if w.phrase(&["week over week", "week on week", "wow"]) || after_last(&["week"]) {
        return rel(Relative::LastWeek);
    }
    if w.phrase(&["month over month", "month on month", "mom"]) || after_last(&["month"]) {
        return rel(Relative::LastMonth);
    }
    if after_this(&["week"]) {
        return rel(Relative::ThisWeek);
    }
    if after_this(&["month"]) {
        return rel(Relative::ThisMonth);
    }
    if after_last(&["quarter"]) {
        return rel(Relative::LastDays(90));
    }
    if after_last(&["year"]) {
        return rel(Relative::LastYear);
    }
    if after_this(&["year"]) || w.any(&["ytd"]) {
        return rel(Relative::ThisYear);
    }
    if w.any(&["yesterday"]) {
        return rel(Relative::Yesterday);
    }
    if w.words.iter().any(|x| x == "today") {
        return rel(Relative::Today);
    }
    for x in &w.words {
        if x.len() >= 3 {
            if let Some(m) = month_of(x) {
                // "may" alone is a verb too: only as a month after "in"/"of"/"during".
                if x == "may" && !w.phrase(&["in may", "of may", "during may", "for may"]) {
                    continue;
                }
                return rel(Relative::Month(m));
            }
        }
    }
    if w.phrase(&["all time", "of all time", "ever", "so far", "to date", "overall"]) {
        return Some(Window::new(now_ms - 730 * DAY_MS, now_ms));
    }
    None
}

fn metric(w: &Words, default: &'static str) -> &'static str {
    if w.any(CONVERSION) {
        "conversionRate"
    } else if w.any(REVENUE) {
        "revenue"
    } else if w.any(UNITS) {
        "units"
    } else if w.any(CART) {
        "addToCarts"
    } else if w.any(&["footfall", "visitors", "foot"])
        || (w.any(STORE) && w.any(&["traffic", "busy", "busiest", "visits"]))
    {
        "footfall"
    } else if w.any(&["dwell", "linger", "lingered", "lingering"]) {
        "dwellSeconds"
    } else if w.any(SALES) {
        "purchases"
    } else if w.any(VIEWS) {
        "views"
    } else if w.any(&["searches", "searched", "search"]) {
        "searches"
    } else if w.any(NEGATIVE) {
        "negativeShare"
    } else if w.any(&["positive", "praised", "liked", "loved"]) {
        "positiveShare"
    } else if w.any(SENTIMENT) {
        "socialMentions"
    } else {
        default
    }
}

fn source(w: &Words) -> Option<&'static str> {
    if w.any(&["web", "website", "online", "site", "ecommerce", "e-commerce"]) {
        Some("web")
    } else {
        None
    }
}

fn category(w: &Words) -> Option<String> {
    for (i, x) in w.words.iter().enumerate() {
        let next = w.words.get(i + 1).map(String::as_str);
        let prev = i.checked_sub(1).and_then(|j| w.words.get(j)).map(String::as_str);
        let is_noun =
            |s: Option<&str>| matches!(s, Some("products" | "items" | "category" | "gear"));
        if is_noun(next)
            && x.len() >= 4
            && !NOT_CATEGORY.contains(&x.as_str())
            && !near(x, "selling")
            && ![SALES, REVENUE, PERFORM, VIEWS, TOP, WORST, SENTIMENT]
                .iter()
                .any(|l| l.iter().any(|k| near(x, k)))
        {
            return Some(capitalize(x));
        }
        if x == "category" && matches!(prev, Some("the" | "in")) {
            if let Some(n) = next.filter(|n| n.len() >= 4) {
                return Some(capitalize(n));
            }
        }
    }
    None
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// Reads an analytical question; `None` when it is not one (the search planner takes it).
pub fn read(question: &str, now_ms: i64) -> Option<Reading> {
    let w = Words::new(question);
    let window = period(&w, now_ms);
    for (words, what) in NO_DATA {
        if w.any(words) {
            return Some(Reading {
                intent: Intent::NoData(what),
                window,
                source_type: None,
                category: None,
            });
        }
    }
    let future = w.words.windows(2).any(|p| {
        p[0] == "next"
            && ["week", "month", "year", "quarter", "season"].iter().any(|u| near(&p[1], u))
    }) || w.phrase(&["will sell", "will we sell", "going to sell"]);
    if future {
        return Some(Reading {
            intent: Intent::NoData("forecast"),
            window,
            source_type: None,
            category: None,
        });
    }
    let worst = w.any(WORST)
        || w.phrase(&["few purchases", "not selling", "dont sell", "do not sell", "nobody buys"]);
    let ranking = w.any(TOP) || worst;
    let product_talk = w.any(&[
        "product",
        "products",
        "item",
        "items",
        "sku",
        "skus",
        "sellers",
        "seller",
        "bestsellers",
        "bestseller",
        "performers",
    ]);
    let source_type = source(&w);
    let cat = category(&w);
    let intent = if w.any(FUNNEL) || (w.any(CONVERSION) && !product_talk && !ranking) {
        if w.any(COMPARE) {
            Intent::Compare { metric: "conversionRate", group_by: "none" }
        } else {
            Intent::Funnel
        }
    } else if w.any(&["busiest", "quietest", "peak", "best", "worst", "which", "what"])
        && w.any(&["day", "days", "date", "weekday"])
        && !product_talk
    {
        let m = if w.any(STORE) || w.any(&["footfall", "visitors"]) {
            "footfall"
        } else {
            metric(&w, "interactions")
        };
        Intent::BusiestDay { metric: m }
    } else if w.any(STORE) && !product_talk {
        Intent::Stores
    } else if (w.any(COMPARE)
        || w.phrase(&[
            "week over week",
            "month over month",
            "week on week",
            "month on month",
            "than the",
            "than last",
            "than before",
            "up or down",
        ]))
        && !(w.any(TOP) && product_talk && !w.any(&["grew", "growth", "grow", "growing"]))
    {
        let group_by = if w.any(&["category", "categories", "department", "departments"]) {
            "category"
        } else if product_talk {
            "product"
        } else {
            "none"
        };
        Intent::Compare { metric: metric(&w, "revenue"), group_by }
    } else if w.any(TREND)
        || w.phrase(&[
            "over time",
            "per day",
            "by day",
            "each day",
            "per week",
            "by week",
            "each week",
            "per month",
            "by month",
            "each month",
            "day by day",
            "week by week",
        ])
    {
        let interval =
            if w.any(&["daily"]) || w.phrase(&["by day", "per day", "each day", "day by day"]) {
                "day"
            } else if w.any(&["weekly"])
                || w.phrase(&["by week", "per week", "each week", "week by week"])
            {
                "week"
            } else if w.any(&["monthly"])
                || w.phrase(&["by month", "per month", "each month", "month by month"])
            {
                "month"
            } else {
                match window.map(|x| x.span_ms() / DAY_MS) {
                    Some(d) if d > 120 => "month",
                    Some(d) if d <= 14 => "day",
                    _ => "week",
                }
            };
        Intent::Trend { metric: metric(&w, "purchases"), interval }
    } else if (ranking
        && (product_talk
            || w.any(SALES)
            || w.any(REVENUE)
            || w.any(PERFORM)
            || w.any(VIEWS)
            || w.any(CONVERSION)
            || w.any(SENTIMENT)))
        || (product_talk
            && (w.any(&["sold", "bought", "purchased", "sales", "viewed", "views"])
                || w.any(REVENUE)
                || w.any(PERFORM)
                || w.any(CONVERSION)))
    {
        let views_no_buy = w.any(VIEWS)
            && (w.phrase(&[
                "few purchases",
                "few sales",
                "but not",
                "dont buy",
                "do not buy",
                "without buying",
                "but few",
                "but low",
                "low conversion",
            ]) || (w.any(VIEWS) && worst && w.any(SALES)));
        let sort = if views_no_buy {
            "views"
        } else if w.any(REVENUE) || (w.any(PERFORM) && !w.any(SALES)) {
            "revenue"
        } else {
            metric(&w, "revenue")
        };
        let order =
            if worst && !views_no_buy && !matches!(sort, "negativeShare") { "asc" } else { "desc" };
        Intent::Rank { sort, order }
    } else if w.any(CONVERSION) {
        Intent::Funnel
    } else if w.any(SENTIMENT)
        && (w.any(TOP) || w.phrase(&["how do people", "what do people", "how are people"]))
    {
        Intent::Rank { sort: metric(&w, "socialMentions"), order: "desc" }
    } else {
        return None;
    };
    Some(Reading { intent, window, source_type, category: cat })
}

/// The analytics tool call answering `r` (none for [`Intent::NoData`]).
pub fn call(r: &Reading) -> Option<(&'static str, Value)> {
    let mut a = Map::new();
    if let Some(w) = r.window {
        a.insert("from".into(), json!(crow_common::time::iso8601(w.from_ms)));
        a.insert("to".into(), json!(crow_common::time::iso8601(w.to_ms)));
    }
    let mut put = |k: &str, v: Value| {
        a.insert(k.into(), v);
    };
    let name = match &r.intent {
        Intent::NoData(_) => return None,
        Intent::Rank { sort, order } => {
            put("sort", json!(sort));
            put("order", json!(order));
            put("limit", json!(5));
            if let Some(s) = r.source_type {
                put("sourceType", json!(s));
            }
            if let Some(c) = &r.category {
                put("category", json!(c));
            }
            "crow_get_product_performance"
        }
        Intent::Trend { metric, interval } => {
            put("metric", json!(metric));
            put("interval", json!(interval));
            if let Some(s) = r.source_type {
                put("sourceType", json!(s));
            }
            if let Some(c) = &r.category {
                put("category", json!(c));
            }
            "crow_get_metric_trend"
        }
        Intent::BusiestDay { metric } => {
            put("metric", json!(metric));
            put("interval", json!("day"));
            "crow_get_metric_trend"
        }
        Intent::Compare { metric, group_by } => {
            put("metric", json!(metric));
            put("groupBy", json!(group_by));
            put("limit", json!(5));
            if let Some(s) = r.source_type {
                put("sourceType", json!(s));
            }
            if let Some(c) = &r.category {
                put("category", json!(c));
            }
            "crow_compare_periods"
        }
        Intent::Funnel => {
            put("limit", json!(5));
            if let Some(c) = &r.category {
                put("category", json!(c));
            }
            "crow_get_funnel"
        }
        Intent::Stores => "crow_get_store_breakdown",
    };
    Some((name, Value::Object(a)))
}

/// The honest answer to a question the data cannot answer.
pub fn no_data(what: &str) -> String {
    format!(
        "The data does not say. CROW holds this organization's products (with list prices), web \
         product views, add-to-carts and purchases with their order values, in-store camera \
         observations (footfall, dwell time, shelf interactions) and social mentions with their \
         sentiment, but no {what} data, so there is no figure I could give without making it up."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_194_380_000; // 2026-12-02T06:53:00Z, a Wednesday

    fn intent(q: &str) -> Intent {
        read(q, NOW).unwrap_or_else(|| panic!("not read: {q}")).intent
    }

    fn dates(q: &str) -> (String, String) {
        let w = read(q, NOW).unwrap().window.unwrap();
        (crow_analytics::period::date(w.from_ms), crow_analytics::period::date(w.to_ms))
    }

    #[test]
    fn typos_are_one_letter() {
        assert!(
            near("prodcts", "products")
                && near("revenu", "revenue")
                && near("purchses", "purchases")
        );
        assert!(near("convresion", "conversion") || near("conversoin", "conversion"));
        assert!(
            !near("sold", "told") && month_of("match").is_none() && month_of("oct") == Some(10)
        );
    }

    #[test]
    fn questions_are_read() {
        assert_eq!(
            intent("What are our top performing products?"),
            Intent::Rank { sort: "revenue", order: "desc" }
        );
        assert_eq!(
            intent("Which products sold best last month?"),
            Intent::Rank { sort: "purchases", order: "desc" }
        );
        assert_eq!(
            dates("Which products sold best last month?"),
            ("2026-11-01".into(), "2026-12-01".into())
        );
        assert_eq!(
            intent("Which products get many views but few purchases?"),
            Intent::Rank { sort: "views", order: "desc" }
        );
        assert_eq!(
            intent("How did web purchases change week over week?"),
            Intent::Compare { metric: "purchases", group_by: "none" }
        );
        assert_eq!(
            read("How did web purchases change week over week?", NOW).unwrap().source_type,
            Some("web")
        );
        assert_eq!(
            dates("How did web purchases change week over week?"),
            ("2026-11-23".into(), "2026-11-30".into())
        );
        assert_eq!(
            intent("worst sellng prodcts in october"),
            Intent::Rank { sort: "purchases", order: "asc" }
        );
        assert_eq!(
            dates("worst sellng prodcts in october"),
            ("2026-10-01".into(), "2026-11-01".into())
        );
        assert_eq!(intent("Which store is busiest?"), Intent::Stores);
        assert_eq!(
            intent("What was our busiest day in the stores last month?"),
            Intent::BusiestDay { metric: "footfall" }
        );
        assert_eq!(intent("Show me the sales funnel"), Intent::Funnel);
        assert_eq!(intent("What is our conversion rate?"), Intent::Funnel);
        assert_eq!(
            intent("Revenue trend by week"),
            Intent::Trend { metric: "revenue", interval: "week" }
        );
        assert_eq!(intent("What is our profit margin on tents?"), Intent::NoData("cost or profit"));
        assert_eq!(intent("How much will we sell next month?"), Intent::NoData("forecast"));
        assert_eq!(
            intent("Which products have the most negative reviews?"),
            Intent::Rank { sort: "negativeShare", order: "desc" }
        );
        assert_eq!(read("top camping products", NOW).unwrap().category.as_deref(), Some("Camping"));
        assert_eq!(dates("best sellers in the past 14 days").0, "2026-11-18");
        assert_eq!(
            intent("Which category grew the most month over month?"),
            Intent::Compare { metric: "revenue", group_by: "category" }
        );
        assert!(read("Find hiking boots", NOW).is_none());
        assert!(read("Which tents and backpacks do we sell?", NOW).is_none());
        assert!(read("Which products do we sell?", NOW).is_none());
        assert!(read("What is our return policy?", NOW).is_none());
    }

    #[test]
    fn calls_carry_the_period() {
        let r = read("Which products sold best last month?", NOW).unwrap();
        let (name, args) = call(&r).unwrap();
        assert_eq!(name, "crow_get_product_performance");
        assert_eq!(args["from"], "2026-11-01T00:00:00.000Z");
        assert_eq!(args["to"], "2026-12-01T00:00:00.000Z");
        assert_eq!(args["sort"], "purchases");
    }
}
