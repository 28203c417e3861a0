//! Issue 12, answer quality: questions about the demo dataset, phrased the way people ask them
//! (synonyms, typos, relative dates), sent through A2A 1.0 to the agent (the offline planner,
//! which `scripts/dev.sh` runs; the test stack's A2A worker is restarted with it). Each question carries the facts a correct answer must contain, computed
//! here from the seeded data (the catalogue and the interactions this test ingests, with its own
//! date arithmetic), never typed in. Prints the share answered correctly per category and every
//! failure; the bar is 90%.

use std::collections::BTreeMap;
use std::time::Duration;

use crow_e2e::{demo, send, stack_cmd_with, Reconfigured, Stack, Tenant};
use reqwest::Method;
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

#[derive(Debug, Clone)]
struct Ev {
    t: i64,
    source: String,
    kind: String,
    sku: Option<String>,
    a: Value,
}

struct Data {
    events: Vec<Ev>,
    /// sku → (name, category)
    products: BTreeMap<String, (String, String)>,
    now: i64,
}

#[derive(Default, Clone, Copy, Debug)]
struct Sums {
    views: f64,
    carts: f64,
    purchases: f64,
    units: f64,
    revenue: f64,
    social: f64,
    positive: f64,
    negative: f64,
    footfall: f64,
}

impl Data {
    fn in_window(&self, w: (i64, i64)) -> impl Iterator<Item = &Ev> {
        self.events.iter().filter(move |e| e.t >= w.0 && e.t < w.1)
    }

    fn sums<'a>(events: impl Iterator<Item = &'a Ev>) -> Sums {
        let mut s = Sums::default();
        for e in events {
            match (e.source.as_str(), e.kind.as_str()) {
                ("web", "page_view") => s.views += 1.0,
                ("web", "add_to_cart") => s.carts += 1.0,
                ("web", "purchase") => {
                    s.purchases += 1.0;
                    s.units += e.a["quantity"].as_f64().unwrap_or(1.0);
                    s.revenue += e.a["orderValueCents"].as_f64().unwrap_or(0.0);
                }
                ("cctv", "footfall") => s.footfall += e.a["count"].as_f64().unwrap_or(1.0),
                _ => {}
            }
            if e.source == "social" {
                s.social += 1.0;
                match e.a["sentiment"].as_str() {
                    Some("positive") => s.positive += 1.0,
                    Some("negative") => s.negative += 1.0,
                    _ => {}
                }
            }
        }
        s
    }

    /// Every catalogue product with its sums in the window.
    fn per_product(&self, w: (i64, i64), source: Option<&str>) -> Vec<(String, Sums)> {
        self.products
            .iter()
            .map(|(sku, (name, _))| {
                let evs = self.in_window(w).filter(|e| {
                    e.sku.as_deref() == Some(sku.as_str()) && source.is_none_or(|s| e.source == s)
                });
                (name.clone(), Data::sums(evs))
            })
            .collect()
    }

    /// Products ranked by `key` (None last), then by name: the answer's documented order.
    fn ranked(
        &self,
        w: (i64, i64),
        key: impl Fn(&Sums) -> Option<f64>,
        desc: bool,
    ) -> Vec<(String, Sums)> {
        let mut v = self.per_product(w, None);
        v.sort_by(|a, b| {
            let (x, y) = (key(&a.1), key(&b.1));
            let o = match (x, y) {
                (Some(x), Some(y)) => {
                    if desc {
                        y.total_cmp(&x)
                    } else {
                        x.total_cmp(&y)
                    }
                }
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                _ => std::cmp::Ordering::Equal,
            };
            o.then_with(|| a.0.cmp(&b.0))
        });
        v
    }
}

// Calendar arithmetic, written here (not the code under test).
fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY)
}
fn monday(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}
fn month_start(day: i64) -> i64 {
    let (y, m, _) = demo::civil_from_days(day);
    demo::days_from_civil(y, m, 1)
}
fn date(day: i64) -> String {
    demo::rfc3339(day * 86_400)[..10].to_string()
}
fn last_week(now: i64) -> (i64, i64) {
    let m = monday(day_of(now));
    ((m - 7) * DAY, m * DAY)
}
fn last_month(now: i64) -> (i64, i64) {
    let s = month_start(day_of(now));
    (month_start(s - 1) * DAY, s * DAY)
}
fn last_days(now: i64, n: i64) -> (i64, i64) {
    (now - n * DAY, now)
}
fn named_month(now: i64, back: i64) -> (i64, i64, String) {
    let mut s = month_start(day_of(now));
    for _ in 0..back {
        s = month_start(s - 1);
    }
    let (y, m, _) = demo::civil_from_days(s);
    let next = if m == 12 {
        demo::days_from_civil(y + 1, 1, 1)
    } else {
        demo::days_from_civil(y, m + 1, 1)
    };
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    (s * DAY, next * DAY, NAMES[m as usize - 1].to_string())
}
/// "2026-11-01 to 2026-11-30", as a window of whole days reads.
fn span(w: (i64, i64)) -> String {
    format!("{} to {}", date(day_of(w.0)), date(day_of(w.1) - 1))
}

fn money(cents: f64) -> String {
    let c = cents.round() as i64;
    format!("${}.{:02}", c / 100, c % 100)
}
/// "1 purchase", "3 purchases": how the answer counts.
fn count(n: f64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1.0 { one } else { many })
}
fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

struct Q {
    category: &'static str,
    text: String,
    /// Strings the answer must contain (compared with thousands separators removed).
    facts: Vec<String>,
}

fn q(category: &'static str, text: &str, facts: Vec<String>) -> Q {
    Q { category, text: text.to_string(), facts }
}

const NO_DATA: &str = "does not say";

fn questions(d: &Data) -> Vec<Q> {
    let now = d.now;
    let mut v = Vec::new();
    let month = last_month(now);
    let week = last_week(now);
    let d30 = last_days(now, 30);
    let by_rev = |w| d.ranked(w, |s: &Sums| Some(s.revenue), true);
    let by_pur = |w| d.ranked(w, |s: &Sums| Some(s.purchases), true);
    let rank_facts = |r: &[(String, Sums)], n: usize, what: &dyn Fn(&Sums) -> String| {
        r.iter().take(n).flat_map(|(name, s)| [name.clone(), what(s)]).collect::<Vec<_>>()
    };
    let rev = |s: &Sums| format!("{} revenue", money(s.revenue));
    let pur = |s: &Sums| count(s.purchases, "purchase", "purchases");

    // Top sellers.
    let r = by_rev(d30);
    v.push(q("top sellers", "What are our top performing products?", rank_facts(&r, 3, &rev)));
    let mut f = rank_facts(&by_pur(month), 2, &pur);
    f.push(span(month));
    v.push(q("top sellers", "Which products sold best last month?", f));
    v.push(q(
        "top sellers",
        "which prodcts sold the most last month",
        rank_facts(&by_pur(month), 1, &pur),
    ));
    let mut f = rank_facts(&by_rev(month), 2, &rev);
    f.push(span(month));
    v.push(q("top sellers", "What were our highest grossing products last month?", f));
    let mut f = rank_facts(&by_pur(week), 1, &pur);
    f.push(span(week));
    v.push(q("top sellers", "Best sellers last week?", f));
    let d14 = last_days(now, 14);
    v.push(q(
        "top sellers",
        "top 5 best-selling items in the past 14 days",
        rank_facts(&by_pur(d14), 2, &pur),
    ));
    let (a, b, name) = named_month(now, 2);
    v.push(q("top sellers", &format!("Which products made the most revenue in {name}?"), {
        let mut f = rank_facts(&by_rev((a, b)), 2, &rev);
        f.push(span((a, b)));
        f
    }));
    let units = d.ranked(month, |s| Some(s.units), true);
    v.push(q(
        "top sellers",
        "Which products sold the most units last month?",
        vec![units[0].0.clone(), count(units[0].1.units, "unit", "units")],
    ));
    let worst = d.ranked(d30, |s| Some(s.purchases), false);
    v.push(q(
        "top sellers",
        "What are our worst selling products?",
        vec![worst[0].0.clone(), count(worst[0].1.purchases, "purchase", "purchases")],
    ));
    let camping = {
        let mut r: Vec<(String, Sums)> = d
            .per_product(d30, None)
            .into_iter()
            .filter(|(n, _)| d.products.values().any(|(pn, c)| pn == n && c == "Camping"))
            .collect();
        r.sort_by(|a, b| b.1.revenue.total_cmp(&a.1.revenue).then(a.0.cmp(&b.0)));
        r
    };
    v.push(q(
        "top sellers",
        "top camping products",
        vec![camping[0].0.clone(), rev(&camping[0].1)],
    ));

    // Views and conversion.
    let views = d.ranked(d30, |s| Some(s.views), true);
    v.push(q(
        "views & conversion",
        "Which products are viewed the most?",
        vec![views[0].0.clone(), count(views[0].1.views, "view", "views")],
    ));
    v.push(q(
        "views & conversion",
        "Which products get many views but few purchases?",
        vec![
            views[0].0.clone(),
            count(views[0].1.views, "view", "views"),
            count(views[0].1.purchases, "purchase", "purchases"),
        ],
    ));
    let mviews = d.ranked(month, |s| Some(s.views), true);
    v.push(q(
        "views & conversion",
        "most vewed products last month",
        vec![mviews[0].0.clone(), count(mviews[0].1.views, "view", "views")],
    ));
    let conv = d.ranked(d30, |s| (s.views > 0.0).then(|| s.purchases / s.views), true);
    v.push(q(
        "views & conversion",
        "Which products have the best conversion rate?",
        vec![conv[0].0.clone(), pct(conv[0].1.purchases / conv[0].1.views)],
    ));
    let lconv = d.ranked(month, |s| (s.views > 0.0).then(|| s.purchases / s.views), false);
    v.push(q(
        "views & conversion",
        "Which products convert worst last month?",
        vec![lconv[0].0.clone()],
    ));

    // Funnel.
    let s30 = Data::sums(d.in_window(d30));
    let funnel = |s: &Sums| {
        vec![
            format!("{} product views", s.views),
            format!("{} add-to-carts", s.carts),
            format!("{} purchases", s.purchases),
        ]
    };
    v.push(q("funnel", "Show me the sales funnel", funnel(&s30)));
    v.push(q("funnel", "What is our conversion rate?", vec![pct(s30.purchases / s30.views)]));
    let sm = Data::sums(d.in_window(month));
    let mut f = funnel(&sm);
    f.push(span(month));
    v.push(q("funnel", "Where do shoppers drop off in the funnel last month?", f));
    v.push(q(
        "funnel",
        "how many carts were abandoned last month?",
        vec![format!("{} add-to-carts", sm.carts), format!("{} purchases", sm.purchases)],
    ));

    // Trends.
    let weekly = |w: (i64, i64), val: &dyn Fn(&Ev) -> f64| -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = Vec::new();
        let mut start = monday(day_of(w.0));
        while start * DAY < w.1 {
            let (a, b) = ((start * DAY).max(w.0), ((start + 7) * DAY).min(w.1));
            let total: f64 = d.in_window((a, b)).map(val).sum();
            out.push((format!("week of {}", date(start.max(day_of(w.0)))), total));
            start += 7;
        }
        out
    };
    let is_purchase = |e: &Ev| if e.source == "web" && e.kind == "purchase" { 1.0 } else { 0.0 };
    let revenue_of = |e: &Ev| {
        if e.source == "web" && e.kind == "purchase" {
            e.a["orderValueCents"].as_f64().unwrap_or(0.0)
        } else {
            0.0
        }
    };
    let wk = weekly(d30, &is_purchase);
    let best = wk.iter().fold(&wk[0], |m, x| if x.1 > m.1 { x } else { m });
    v.push(q(
        "trends",
        "How are purchases trending week by week?",
        vec![
            format!("total {}", wk.iter().map(|x| x.1).sum::<f64>()),
            format!("Highest: {} with {}", best.0, best.1),
        ],
    ));
    let wr = weekly(d30, &revenue_of);
    v.push(q(
        "trends",
        "Revenue trend by week",
        vec![format!("total {}", money(wr.iter().map(|x| x.1).sum::<f64>()))],
    ));
    let views_of = |e: &Ev| if e.source == "web" && e.kind == "page_view" { 1.0 } else { 0.0 };
    let wv = weekly(d30, &views_of);
    v.push(q(
        "trends",
        "show me the weekly trend of product views",
        vec![format!("total {}", wv.iter().map(|x| x.1).sum::<f64>())],
    ));
    let monthly_total: f64 = d.in_window(last_days(now, 90)).map(is_purchase).sum();
    v.push(q(
        "trends",
        "monthly sales trend over the last 90 days",
        vec![format!("total {monthly_total}")],
    ));
    let daily_social: f64 =
        d.in_window(last_days(now, 14)).map(|e| if e.source == "social" { 1.0 } else { 0.0 }).sum();
    v.push(q(
        "trends",
        "daily trend of social mentions in the past 14 days",
        vec![format!("total {daily_social}")],
    ));

    // Comparisons.
    let prev = |w: (i64, i64)| (w.0 - (w.1 - w.0), w.0);
    let web_pur = |w| Data::sums(d.in_window(w).filter(|e| e.source == "web")).purchases;
    let (c, p) = (web_pur(week), web_pur(prev(week)));
    v.push(q(
        "comparisons",
        "How did web purchases change week over week?",
        vec![format!("{c} in {}", span(week)), format!("against {p} in {}", span(prev(week)))],
    ));
    let revm = |w| Data::sums(d.in_window(w)).revenue;
    let (c, p) = (revm(month), revm(prev(month)));
    v.push(q(
        "comparisons",
        "Did revenue go up or down compared with the month before? I mean last month",
        vec![money(c), money(p)],
    ));
    let (c, p) = (revm(d30), revm(prev(d30)));
    v.push(q("comparisons", "compare revenue with the previous period", vec![money(c), money(p)]));
    let viewsw = |w| Data::sums(d.in_window(w)).views;
    let (c, p) = (viewsw(week), viewsw(prev(week)));
    v.push(q(
        "comparisons",
        "Did product views increase last week?",
        vec![format!("{c} in"), format!("against {p}")],
    ));
    let cat_rev = |w: (i64, i64)| -> BTreeMap<String, f64> {
        let mut m = BTreeMap::new();
        for e in d.in_window(w) {
            if let Some((_, cat)) = e.sku.as_ref().and_then(|s| d.products.get(s)) {
                if e.kind == "purchase" {
                    *m.entry(cat.clone()).or_insert(0.0) +=
                        e.a["orderValueCents"].as_f64().unwrap_or(0.0);
                }
            }
        }
        m
    };
    let cm = cat_rev(month);
    let top_cat =
        cm.iter()
            .fold(("".to_string(), -1.0), |b, (k, x)| if *x > b.1 { (k.clone(), *x) } else { b });
    v.push(q(
        "comparisons",
        "Which category grew the most month over month?",
        vec![format!("{}: {}", top_cat.0, money(top_cat.1))],
    ));
    let (c, p) =
        (Data::sums(d.in_window(month)).purchases, Data::sums(d.in_window(prev(month))).purchases);
    v.push(q(
        "comparisons",
        "how do sales last month compare to the month before",
        vec![format!("{c} in {}", span(month)), format!("against {p}")],
    ));

    // Sentiment.
    let ment = d.ranked(d30, |s| Some(s.social), true);
    v.push(q(
        "sentiment",
        "Which products are talked about the most on social media?",
        vec![ment[0].0.clone(), count(ment[0].1.social, "social mention", "social mentions")],
    ));
    let neg = d.ranked(d30, |s| (s.social > 0.0).then(|| s.negative / s.social), true);
    v.push(q(
        "sentiment",
        "Which products have the most negative reviews?",
        vec![neg[0].0.clone(), format!("{} negative", pct(neg[0].1.negative / neg[0].1.social))],
    ));
    let pos = d.ranked(month, |s| (s.social > 0.0).then(|| s.positive / s.social), true);
    v.push(q(
        "sentiment",
        "which products had the most positive sentiment last month",
        vec![pos[0].0.clone()],
    ));
    let mm = d.ranked(month, |s| Some(s.social), true);
    v.push(q(
        "sentiment",
        "most mentioned products last month?",
        vec![mm[0].0.clone(), count(mm[0].1.social, "social mention", "social mentions")],
    ));

    // Stores, zones, days.
    let stores = |w: (i64, i64)| -> Vec<(String, f64)> {
        let mut m: BTreeMap<String, f64> = BTreeMap::new();
        for e in d.in_window(w).filter(|e| e.kind == "footfall") {
            *m.entry(e.a["store"].as_str().unwrap_or("?").to_string()).or_insert(0.0) +=
                e.a["count"].as_f64().unwrap_or(1.0);
        }
        let mut v: Vec<(String, f64)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    };
    let st = stores(d30);
    v.push(q(
        "stores",
        "Which store is busiest?",
        vec![format!("busiest store {} with {} shoppers", st[0].0, st[0].1)],
    ));
    let sm_ = stores(month);
    v.push(q(
        "stores",
        "which shop had the most footfall last month",
        vec![format!("busiest store {} with {} shoppers", sm_[0].0, sm_[0].1)],
    ));
    let zones = {
        let mut m: BTreeMap<(String, String), f64> = BTreeMap::new();
        for e in d.in_window(d30).filter(|e| e.kind == "footfall") {
            let k = (
                e.a["store"].as_str().unwrap_or("?").to_string(),
                e.a["zone"].as_str().unwrap_or("?").to_string(),
            );
            *m.entry(k).or_insert(0.0) += e.a["count"].as_f64().unwrap_or(1.0);
        }
        let mut v: Vec<((String, String), f64)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    };
    v.push(q(
        "stores",
        "What is the busiest zone in our stores?",
        vec![format!(
            "Busiest zone overall: {} at {} ({} shoppers)",
            zones[0].0 .1, zones[0].0 .0, zones[0].1
        )],
    ));
    let daily_foot = |w: (i64, i64)| -> (String, f64) {
        let mut best = (String::new(), -1.0);
        let mut day = day_of(w.0);
        while day * DAY < w.1 {
            let total: f64 = d
                .in_window((day * DAY, (day + 1) * DAY))
                .filter(|e| e.kind == "footfall")
                .map(|e| e.a["count"].as_f64().unwrap_or(1.0))
                .sum();
            if total > best.1 {
                const DAYS: [&str; 7] =
                    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
                best = (format!("{} {}", DAYS[(day + 3).rem_euclid(7) as usize], date(day)), total);
            }
            day += 1;
        }
        best
    };
    let bd = daily_foot(month);
    v.push(q(
        "stores",
        "What was our busiest day in the stores last month?",
        vec![format!("Highest: {} with {}", bd.0, bd.1)],
    ));
    let bd = daily_foot(d30);
    v.push(q(
        "stores",
        "busiest day for store footfall?",
        vec![format!("Highest: {} with {}", bd.0, bd.1)],
    ));

    // What the data cannot say.
    for text in [
        "What is our profit margin on tents?",
        "How much will we sell next month?",
        "Which staff member sold the most?",
        "Did the weather affect sales last week?",
        "How do our prices compare to competitors?",
    ] {
        v.push(q("no data", text, vec![NO_DATA.to_string()]));
    }
    v
}

async fn ask(s: &Stack, t: &Tenant, text: &str, n: usize) -> String {
    let message = json!({ "messageId": format!("eval-{n}-{}", crow_e2e::unique_email("m")), "role": "ROLE_USER", "parts": [{ "text": text }] });
    let r = send(
        s.client()
            .post(format!("{}/a2a/jsonrpc", s.a2a))
            .header("X-API-Key", &t.key)
            .header("A2A-Version", "1.0")
            .json(&json!({ "jsonrpc": "2.0", "id": n, "method": "SendMessage", "params": { "message": message } }))
            .timeout(Duration::from_secs(120)),
    )
    .await;
    let task = &r.body["result"]["task"];
    task["artifacts"][0]["parts"][0]["text"]
        .as_str()
        .or_else(|| task["status"]["message"]["parts"][0]["text"].as_str())
        .unwrap_or(&r.text)
        .to_string()
}

#[tokio::test]
async fn analytics_questions_are_answered_with_the_right_figures() {
    let s = Stack::from_env();
    // The test stack's A2A worker runs the Workers AI path on the stand-in's scripted planner
    // (tests/standins); this evaluation is of the offline planner, what `scripts/dev.sh` runs.
    // Its own test binary, so restarting the worker disturbs no other test.
    stack_cmd_with(&s, &["restart", "a2a"], &[("CROW_A2A_VARS", "AI_BACKEND:local")]);
    let _restore = Reconfigured(&s, "a2a");
    let t = s.tenant("an-eval").await;
    s.sql(&format!("UPDATE organizations SET plan = 'professional' WHERE id = '{}'", t.org_id));
    let catalogue = demo::catalogue();
    for p in &catalogue {
        send(s.as_key(Method::POST, "/api/v1/products", &t.key).json(p)).await.assert_status(201);
    }
    let now_secs =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
            as i64;
    let items = demo::shifted(
        demo::interactions(&demo::catalogue_skus(), demo::DEMO_INTERACTIONS, demo::DEMO_SEED),
        demo::shift_to(now_secs),
    );
    let path = format!("/api/v1/interactions/organization/{}/batch", t.org_id);
    for chunk in items.chunks(500) {
        send(s.as_key(Method::POST, &path, &t.key).json(&json!({ "interactions": chunk })))
            .await
            .assert_status(200);
    }
    let data = Data {
        events: items
            .iter()
            .map(|i| Ev {
                t: crow_common::time::parse_iso8601(i["occurredAt"].as_str().unwrap()).unwrap(),
                source: i["sourceType"].as_str().unwrap().to_string(),
                kind: i["kind"].as_str().unwrap().to_string(),
                sku: i["attributes"]["sku"].as_str().map(str::to_string),
                a: i["attributes"].clone(),
            })
            .collect(),
        products: catalogue
            .iter()
            .map(|p| {
                (
                    p["sku"].as_str().unwrap().to_string(),
                    (
                        p["name"].as_str().unwrap().to_string(),
                        p["category"].as_str().unwrap().to_string(),
                    ),
                )
            })
            .collect(),
        now: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
            as i64,
    };
    let qs = questions(&data);
    assert!(qs.len() >= 40, "{} questions", qs.len());
    let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, q) in qs.iter().enumerate() {
        let answer = ask(&s, &t, &q.text, i).await;
        let plain = answer.replace(',', "");
        let missing: Vec<&String> =
            q.facts.iter().filter(|f| !plain.contains(&f.replace(',', ""))).collect();
        // Honest questions must not come with a made-up figure; answered ones must not dodge.
        let dodged = q.category != "no data" && plain.contains(NO_DATA);
        let e = per.entry(q.category).or_default();
        e.1 += 1;
        if missing.is_empty() && !dodged {
            e.0 += 1;
        } else {
            failures.push(format!(
                "[{}] {:?}\n    missing {:?}\n    answer: {}",
                q.category,
                q.text,
                missing,
                answer.replace('\n', " ")
            ));
        }
    }
    let (ok, all) = per.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!("analytics answer quality (offline planner, A2A 1.0), {all} questions:");
    for (cat, (good, n)) in &per {
        println!("  {cat:<20} {good}/{n} ({:.0}%)", 100.0 * *good as f64 / *n as f64);
    }
    println!("  {:<20} {ok}/{all} ({:.1}%)", "overall", 100.0 * ok as f64 / all as f64);
    for f in &failures {
        println!("FAILED {f}");
    }
    assert!(
        ok * 10 >= all * 9,
        "{ok}/{all} answered correctly; failures:\n{}",
        failures.join("\n")
    );
}
