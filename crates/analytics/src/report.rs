//! The answers of `/api/v1/analytics/organization/:orgId/*`, built from the rows the gateway's
//! store reads with [`crate::metric::AGGREGATES`]. The same types deserialize a REST answer
//! back (the MCP tools and the agent read them).

use serde::{Deserialize, Serialize};

use crate::metric::{Figures, Metric, Totals};
use crate::params::{CompareQuery, FunnelQuery, GroupBy, Order, ProductsQuery, SeriesQuery};
use crate::period::{self, Window};

/// What every answer says about itself: whose data, which window, in which currency and zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    pub organization_id: String,
    /// Inclusive start (ISO 8601).
    pub from: String,
    /// Exclusive end (ISO 8601).
    pub to: String,
    pub time_zone: String,
    /// Currency of revenue figures (the organization's products' currency).
    pub currency: String,
    pub source_type: Option<String>,
}

impl Scope {
    pub fn new(org_id: &str, window: Window, currency: &str, source: Option<&str>) -> Scope {
        Scope {
            organization_id: org_id.to_string(),
            from: window.from_iso(),
            to: window.to_iso(),
            time_zone: period::TIME_ZONE.to_string(),
            currency: currency.to_string(),
            source_type: source.map(str::to_string),
        }
    }

    pub fn window(&self) -> Option<Window> {
        let f = crow_common::time::parse_iso8601(&self.from)?;
        let t = crow_common::time::parse_iso8601(&self.to)?;
        Some(Window::new(f, t))
    }
}

/// A product's row: its identity and the sums of its interactions in the window.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProductRow {
    pub id: String,
    pub name: String,
    pub sku: Option<String>,
    pub category: Option<String>,
    #[serde(flatten)]
    pub totals: Totals,
}

/// A row grouped by one key (a category, or a day number for series).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct KeyRow {
    pub key: Option<serde_json::Value>,
    #[serde(flatten)]
    pub totals: Totals,
}

/// A row of the in-store breakdown.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StoreRow {
    pub store: Option<String>,
    pub zone: Option<String>,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductRef {
    pub product_id: String,
    pub name: String,
    pub sku: Option<String>,
    pub category: Option<String>,
}

impl ProductRef {
    fn of(r: &ProductRow) -> ProductRef {
        ProductRef {
            product_id: r.id.clone(),
            name: r.name.clone(),
            sku: r.sku.clone(),
            category: r.category.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductFigures {
    #[serde(flatten)]
    pub product: ProductRef,
    #[serde(flatten)]
    pub figures: Figures,
}

/// `GET …/products`: per-product performance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductPerformance {
    #[serde(flatten)]
    pub scope: Scope,
    pub category: Option<String>,
    pub sort: String,
    pub order: String,
    pub limit: u32,
    /// Products considered (all of the organization's, or the category's).
    pub product_count: u64,
    /// Sums over those products.
    pub totals: Figures,
    pub products: Vec<ProductFigures>,
}

/// Sorts by `metric` (`None` last whatever the order), then by name and id.
fn rank<T>(
    items: &mut [T],
    metric: Metric,
    order: Order,
    key: impl Fn(&T) -> (&Totals, &str, &str),
) {
    items.sort_by(|a, b| {
        let (ta, na, ia) = key(a);
        let (tb, nb, ib) = key(b);
        let (va, vb) = (metric.value(ta), metric.value(tb));
        let by_value = match (va, vb) {
            (Some(x), Some(y)) => match order {
                Order::Desc => y.total_cmp(&x),
                Order::Asc => x.total_cmp(&y),
            },
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        by_value.then_with(|| na.cmp(nb)).then_with(|| ia.cmp(ib))
    });
}

pub fn performance(
    scope: Scope,
    q: &ProductsQuery,
    mut rows: Vec<ProductRow>,
) -> ProductPerformance {
    let mut totals = Totals::default();
    for r in &rows {
        totals.add(&r.totals);
    }
    rank(&mut rows, q.sort, q.order, |r| (&r.totals, r.name.as_str(), r.id.as_str()));
    let count = rows.len() as u64;
    ProductPerformance {
        scope,
        category: q.category.clone(),
        sort: q.sort.name().to_string(),
        order: q.order.name().to_string(),
        limit: q.limit,
        product_count: count,
        totals: totals.figures(),
        products: rows
            .iter()
            .take(q.limit as usize)
            .map(|r| ProductFigures { product: ProductRef::of(r), figures: r.totals.figures() })
            .collect(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Point {
    pub start: String,
    pub end: String,
    /// The metric over the bucket: 0 for a count with no interactions, null for a ratio with
    /// nothing to divide by.
    pub value: Option<f64>,
}

/// `GET …/timeseries`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeSeries {
    #[serde(flatten)]
    pub scope: Scope,
    pub metric: String,
    pub interval: String,
    pub product_id: Option<String>,
    pub category: Option<String>,
    /// The metric over the whole window.
    pub total: Option<f64>,
    pub points: Vec<Point>,
}

/// `days`: rows keyed by the day number (days since 1970-01-01).
pub fn series(scope: Scope, q: &SeriesQuery, days: &[KeyRow]) -> TimeSeries {
    let days: Vec<(i64, Totals)> =
        days.iter().filter_map(|r| Some((r.key.as_ref()?.as_f64()? as i64, r.totals))).collect();
    let mut all = Totals::default();
    for (_, t) in &days {
        all.add(t);
    }
    let points = period::buckets(q.common.window, q.interval, &days)
        .into_iter()
        .map(|b| Point {
            start: b.window.from_iso(),
            end: b.window.to_iso(),
            value: q.metric.value(&b.totals),
        })
        .collect();
    TimeSeries {
        scope,
        metric: q.metric.name().to_string(),
        interval: q.interval.name().to_string(),
        product_id: q.product_id.clone(),
        category: q.category.clone(),
        total: q.metric.value(&all),
        points,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeriodValue {
    pub from: String,
    pub to: String,
    pub value: Option<f64>,
}

/// Change from `previous` to `current`: absolute, and relative to `previous` (null when the
/// previous value is zero or either is undefined).
pub fn change(current: Option<f64>, previous: Option<f64>) -> (Option<f64>, Option<f64>) {
    match (current, previous) {
        (Some(c), Some(p)) => (Some(c - p), if p != 0.0 { Some((c - p) / p) } else { None }),
        _ => (None, None),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompareItem {
    /// The product id or the category name.
    pub key: String,
    /// The product's name, or the category name.
    pub name: String,
    pub sku: Option<String>,
    pub current: Option<f64>,
    pub previous: Option<f64>,
    pub absolute_change: Option<f64>,
    pub relative_change: Option<f64>,
}

/// `GET …/compare`: this window against the previous one of equal length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    #[serde(flatten)]
    pub scope: Scope,
    pub metric: String,
    pub group_by: String,
    pub category: Option<String>,
    pub current: PeriodValue,
    pub previous: PeriodValue,
    pub absolute_change: Option<f64>,
    pub relative_change: Option<f64>,
    /// Per product or category (empty for `groupBy=none`), largest current value first.
    pub items: Vec<CompareItem>,
}

/// One group of a comparison: key, name, sku, and its sums in each window.
pub struct CompareGroup {
    pub key: String,
    pub name: String,
    pub sku: Option<String>,
    pub current: Totals,
    pub previous: Totals,
}

/// Groups of a comparison from per-product rows of both windows (matched by id).
pub fn product_groups(current: &[ProductRow], previous: &[ProductRow]) -> Vec<CompareGroup> {
    current
        .iter()
        .map(|c| CompareGroup {
            key: c.id.clone(),
            name: c.name.clone(),
            sku: c.sku.clone(),
            current: c.totals,
            previous: previous.iter().find(|p| p.id == c.id).map(|p| p.totals).unwrap_or_default(),
        })
        .collect()
}

/// Groups of a comparison from per-category rows of both windows (matched by name).
pub fn category_groups(current: &[KeyRow], previous: &[KeyRow]) -> Vec<CompareGroup> {
    let name = |r: &KeyRow| match &r.key {
        Some(serde_json::Value::String(s)) => s.clone(),
        _ => "(no category)".to_string(),
    };
    let mut keys: Vec<String> = current.iter().chain(previous).map(name).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let sum = |rows: &[KeyRow]| {
                let mut t = Totals::default();
                for r in rows.iter().filter(|r| name(r) == k) {
                    t.add(&r.totals);
                }
                t
            };
            let (current, previous) = (sum(current), sum(previous));
            CompareGroup { key: k.clone(), name: k, sku: None, current, previous }
        })
        .collect()
}

pub fn comparison(
    scope: Scope,
    q: &CompareQuery,
    current: Totals,
    previous: Totals,
    mut groups: Vec<CompareGroup>,
) -> Comparison {
    let m = q.metric;
    let (c, p) = (m.value(&current), m.value(&previous));
    let (abs, rel) = change(c, p);
    let prev = q.common.window.previous();
    rank(&mut groups, m, Order::Desc, |g| (&g.current, g.name.as_str(), g.key.as_str()));
    let items = if q.group_by == GroupBy::None {
        vec![]
    } else {
        groups
            .iter()
            .take(q.limit as usize)
            .map(|g| {
                let (c, p) = (m.value(&g.current), m.value(&g.previous));
                let (a, r) = change(c, p);
                CompareItem {
                    key: g.key.clone(),
                    name: g.name.clone(),
                    sku: g.sku.clone(),
                    current: c,
                    previous: p,
                    absolute_change: a,
                    relative_change: r,
                }
            })
            .collect()
    };
    Comparison {
        current: PeriodValue { from: scope.from.clone(), to: scope.to.clone(), value: c },
        previous: PeriodValue { from: prev.from_iso(), to: prev.to_iso(), value: p },
        scope,
        metric: m.name().to_string(),
        group_by: q.group_by.name().to_string(),
        category: q.category.clone(),
        absolute_change: abs,
        relative_change: rel,
        items,
    }
}

/// The web funnel of one group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunnelSteps {
    pub views: i64,
    pub add_to_carts: i64,
    pub purchases: i64,
    pub view_to_cart_rate: Option<f64>,
    pub cart_to_purchase_rate: Option<f64>,
    pub view_to_purchase_rate: Option<f64>,
}

impl FunnelSteps {
    pub fn of(t: &Totals) -> FunnelSteps {
        let ratio = |a: f64, b: f64| if b > 0.0 { Some(a / b) } else { None };
        FunnelSteps {
            views: t.views as i64,
            add_to_carts: t.add_to_carts as i64,
            purchases: t.purchases as i64,
            view_to_cart_rate: ratio(t.add_to_carts, t.views),
            cart_to_purchase_rate: ratio(t.purchases, t.add_to_carts),
            view_to_purchase_rate: ratio(t.purchases, t.views),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductFunnel {
    #[serde(flatten)]
    pub product: ProductRef,
    #[serde(flatten)]
    pub steps: FunnelSteps,
}

/// `GET …/funnel`: view → cart → purchase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Funnel {
    #[serde(flatten)]
    pub scope: Scope,
    pub category: Option<String>,
    /// Every web interaction of the organization in the window (linked to a product or not;
    /// with a category, only that category's products).
    pub overall: FunnelSteps,
    /// Products with the most views first.
    pub products: Vec<ProductFunnel>,
}

pub fn funnel(scope: Scope, q: &FunnelQuery, overall: Totals, mut rows: Vec<ProductRow>) -> Funnel {
    rank(&mut rows, Metric::Views, Order::Desc, |r| (&r.totals, r.name.as_str(), r.id.as_str()));
    Funnel {
        scope,
        category: q.category.clone(),
        overall: FunnelSteps::of(&overall),
        products: rows
            .iter()
            .take(q.limit as usize)
            .map(|r| ProductFunnel {
                product: ProductRef::of(r),
                steps: FunnelSteps::of(&r.totals),
            })
            .collect(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InStore {
    pub footfall: i64,
    pub dwell_events: i64,
    pub dwell_seconds: i64,
    pub avg_dwell_seconds: Option<f64>,
    pub shelf_interactions: i64,
    pub interactions: i64,
}

impl InStore {
    fn of(t: &Totals) -> InStore {
        InStore {
            footfall: t.footfall as i64,
            dwell_events: t.dwell_events as i64,
            dwell_seconds: t.dwell_seconds as i64,
            avg_dwell_seconds: Metric::AvgDwellSeconds.value(t),
            shelf_interactions: t.shelf_interactions as i64,
            interactions: t.interactions as i64,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneFigures {
    pub zone: String,
    #[serde(flatten)]
    pub figures: InStore,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreFigures {
    pub store: String,
    #[serde(flatten)]
    pub figures: InStore,
    /// The store's zones, busiest (footfall) first.
    pub zones: Vec<ZoneFigures>,
}

/// `GET …/stores`: CCTV figures by store and zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreBreakdown {
    #[serde(flatten)]
    pub scope: Scope,
    pub overall: InStore,
    /// Stores, busiest (footfall) first.
    pub stores: Vec<StoreFigures>,
}

const UNKNOWN: &str = "(unknown)";

pub fn stores(scope: Scope, rows: &[StoreRow]) -> StoreBreakdown {
    let mut overall = Totals::default();
    let mut names: Vec<String> =
        rows.iter().map(|r| r.store.clone().unwrap_or_else(|| UNKNOWN.into())).collect();
    names.sort();
    names.dedup();
    let by_footfall = |a: &InStore, b: &InStore| b.footfall.cmp(&a.footfall);
    let mut stores: Vec<StoreFigures> = names
        .into_iter()
        .map(|store| {
            let mine: Vec<&StoreRow> =
                rows.iter().filter(|r| r.store.as_deref().unwrap_or(UNKNOWN) == store).collect();
            let mut sum = Totals::default();
            let mut zones: Vec<ZoneFigures> = Vec::new();
            for r in &mine {
                sum.add(&r.totals);
                let zone = r.zone.clone().unwrap_or_else(|| UNKNOWN.into());
                // One row per (store, zone) from SQL; folded again in case zone is NULL twice.
                match zones.iter_mut().find(|z| z.zone == zone) {
                    Some(z) => {
                        let mut t = zone_totals(z);
                        t.add(&r.totals);
                        z.figures = InStore::of(&t);
                    }
                    None => zones.push(ZoneFigures { zone, figures: InStore::of(&r.totals) }),
                }
            }
            overall.add(&sum);
            zones.sort_by(|a, b| by_footfall(&a.figures, &b.figures).then(a.zone.cmp(&b.zone)));
            StoreFigures { store, figures: InStore::of(&sum), zones }
        })
        .collect();
    stores.sort_by(|a, b| by_footfall(&a.figures, &b.figures).then(a.store.cmp(&b.store)));
    StoreBreakdown { scope, overall: InStore::of(&overall), stores }
}

fn zone_totals(z: &ZoneFigures) -> Totals {
    let f = &z.figures;
    Totals {
        footfall: f.footfall as f64,
        dwell_events: f.dwell_events as f64,
        dwell_seconds: f.dwell_seconds as f64,
        shelf_interactions: f.shelf_interactions as f64,
        interactions: f.interactions as f64,
        ..Totals::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Query;
    use serde_json::json;

    const NOW: i64 = 1_796_000_000_000;

    fn row(id: &str, name: &str, views: f64, purchases: f64, revenue: f64) -> ProductRow {
        serde_json::from_value(json!({
            "id": id, "name": name, "sku": format!("SKU-{id}"), "category": "Footwear",
            "views": views, "add_to_carts": 0, "purchases": purchases, "units": purchases,
            "revenue_cents": revenue, "social_mentions": 0, "positive_mentions": 0,
            "negative_mentions": 0, "dwell_events": 0, "dwell_seconds": 0,
            "shelf_interactions": 0, "footfall": 0, "searches": 0, "interactions": views + purchases,
        }))
        .unwrap()
    }

    fn scope() -> Scope {
        Scope::new("org_1", Window::new(0, 86_400_000), "USD", None)
    }

    #[test]
    fn performance_sorts_limits_and_sums() {
        let q = Query(&[("limit".into(), "2".into())]).products(NOW).unwrap();
        let rows = vec![
            row("a", "Alpha", 10.0, 1.0, 500.0),
            row("b", "Bravo", 0.0, 0.0, 0.0),
            row("c", "Charlie", 20.0, 2.0, 900.0),
        ];
        let p = performance(scope(), &q, rows.clone());
        assert_eq!(p.product_count, 3);
        assert_eq!(p.totals.revenue_cents, 1400);
        let ids: Vec<&str> = p.products.iter().map(|x| x.product.product_id.as_str()).collect();
        assert_eq!(ids, ["c", "a"]);
        // By conversion, ascending: undefined (no views) goes last either way.
        let q = Query(&[("sort".into(), "conversionRate".into()), ("order".into(), "asc".into())])
            .products(NOW)
            .unwrap();
        let p = performance(scope(), &q, rows);
        let ids: Vec<&str> = p.products.iter().map(|x| x.product.product_id.as_str()).collect();
        assert_eq!(ids, ["a", "c", "b"]);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["products"][0]["productId"], "a");
        assert_eq!(v["products"][0]["conversionRate"], 0.1);
        assert_eq!(v["timeZone"], "UTC");
        assert_eq!(serde_json::from_value::<ProductPerformance>(v).unwrap(), p);
    }

    #[test]
    fn comparisons() {
        assert_eq!(change(Some(15.0), Some(10.0)), (Some(5.0), Some(0.5)));
        assert_eq!(change(Some(3.0), Some(0.0)), (Some(3.0), None));
        assert_eq!(change(None, Some(1.0)), (None, None));
        let q = Query(&[("groupBy".into(), "product".into())]).compare(NOW).unwrap();
        let cur = vec![row("a", "Alpha", 0.0, 2.0, 300.0), row("c", "Charlie", 0.0, 1.0, 800.0)];
        let prev = vec![row("a", "Alpha", 0.0, 1.0, 600.0)];
        let sum = |rows: &[ProductRow]| {
            let mut t = Totals::default();
            rows.iter().for_each(|r| t.add(&r.totals));
            t
        };
        let sc = Scope::new("org_1", q.common.window, "USD", None);
        let c = comparison(sc, &q, sum(&cur), sum(&prev), product_groups(&cur, &prev));
        assert_eq!((c.current.value, c.previous.value), (Some(1100.0), Some(600.0)));
        assert_eq!(c.relative_change, Some(500.0 / 600.0));
        assert_eq!(c.items[0].key, "c");
        assert_eq!((c.items[0].previous, c.items[0].relative_change), (Some(0.0), None));
        assert_eq!(c.items[1].relative_change, Some(-0.5));
        assert_eq!(c.previous.to, c.current.from);
    }

    #[test]
    fn series_fills_empty_buckets() {
        let q = Query(&[
            ("from".into(), "2026-11-01".into()),
            ("to".into(), "2026-11-04".into()),
            ("metric".into(), "revenue".into()),
        ])
        .series(NOW)
        .unwrap();
        let day = crow_common::time::parse_iso8601("2026-11-02").unwrap() / 86_400_000;
        let rows: Vec<KeyRow> = vec![serde_json::from_value(json!({
            "key": day, "views": 0, "add_to_carts": 0, "purchases": 1, "units": 1,
            "revenue_cents": 1234, "social_mentions": 0, "positive_mentions": 0,
            "negative_mentions": 0, "dwell_events": 0, "dwell_seconds": 0,
            "shelf_interactions": 0, "footfall": 0, "searches": 0, "interactions": 1,
        }))
        .unwrap()];
        let s = series(scope(), &q, &rows);
        let values: Vec<Option<f64>> = s.points.iter().map(|p| p.value).collect();
        assert_eq!(values, [Some(0.0), Some(1234.0), Some(0.0)]);
        assert_eq!(s.total, Some(1234.0));
        assert_eq!(s.points[1].start, "2026-11-02T00:00:00.000Z");
    }

    #[test]
    fn stores_group_zones_busiest_first() {
        let r = |store: &str, zone: &str, footfall: f64| -> StoreRow {
            serde_json::from_value(json!({
                "store": store, "zone": zone, "views": 0, "add_to_carts": 0, "purchases": 0, "units": 0,
                "revenue_cents": 0, "social_mentions": 0, "positive_mentions": 0,
                "negative_mentions": 0, "dwell_events": 2, "dwell_seconds": 100,
                "shelf_interactions": 1, "footfall": footfall, "searches": 0, "interactions": 3,
            }))
            .unwrap()
        };
        let b = stores(
            scope(),
            &[r("north", "A1", 5.0), r("south", "B2", 30.0), r("north", "C3", 9.0)],
        );
        assert_eq!(b.stores[0].store, "south");
        assert_eq!(b.stores[1].figures.footfall, 14);
        assert_eq!(b.stores[1].zones[0].zone, "C3");
        assert_eq!(b.overall.footfall, 44);
        assert_eq!(b.overall.avg_dwell_seconds, Some(50.0));
    }
}
