//! Metric definitions over the interaction data as it is ingested (see `tests/e2e/src/demo.rs`):
//!
//! | metric | counts |
//! |---|---|
//! | `views` | `web` interactions of kind `page_view` |
//! | `addToCarts` | `web` `add_to_cart` |
//! | `purchases` | `web` `purchase` (one per order line) |
//! | `units` | `attributes.quantity` of purchases (1 when absent) |
//! | `revenue` | `attributes.orderValueCents` of purchases, in cents |
//! | `conversionRate` | purchases ÷ views |
//! | `cartToPurchaseRate` | purchases ÷ add-to-carts |
//! | `socialMentions` | `social` interactions (mentions, reviews, comments) |
//! | `positiveShare` / `negativeShare` | share of social interactions whose `attributes.sentiment` is `positive` / `negative` |
//! | `dwellSeconds` | `attributes.durationSec` of `cctv` `dwell` observations |
//! | `avgDwellSeconds` | dwell seconds ÷ dwell observations |
//! | `shelfInteractions` | `cctv` `shelf_interaction` |
//! | `footfall` | `attributes.count` of `cctv` `footfall` observations (shoppers passing) |
//! | `searches` | `web` `search` |
//! | `interactions` | every interaction |
//!
//! A rate whose denominator is zero has no value (`null`), never 0.

use serde::{Deserialize, Serialize};

/// The SQL select list every analytics query aggregates with, over interactions aliased `i`.
/// Each column is an integer (0 over no rows), named like the fields of [`Totals`].
pub const AGGREGATES: &str = "\
COALESCE(SUM(i.source_type = 'web' AND i.kind = 'page_view'), 0) AS views, \
COALESCE(SUM(i.source_type = 'web' AND i.kind = 'add_to_cart'), 0) AS add_to_carts, \
COALESCE(SUM(i.source_type = 'web' AND i.kind = 'purchase'), 0) AS purchases, \
COALESCE(SUM(CASE WHEN i.source_type = 'web' AND i.kind = 'purchase' THEN COALESCE(CAST(json_extract(i.attributes, '$.quantity') AS INTEGER), 1) END), 0) AS units, \
COALESCE(SUM(CASE WHEN i.source_type = 'web' AND i.kind = 'purchase' THEN COALESCE(CAST(json_extract(i.attributes, '$.orderValueCents') AS INTEGER), 0) END), 0) AS revenue_cents, \
COALESCE(SUM(i.source_type = 'social'), 0) AS social_mentions, \
COALESCE(SUM(i.source_type = 'social' AND json_extract(i.attributes, '$.sentiment') = 'positive'), 0) AS positive_mentions, \
COALESCE(SUM(i.source_type = 'social' AND json_extract(i.attributes, '$.sentiment') = 'negative'), 0) AS negative_mentions, \
COALESCE(SUM(i.source_type = 'cctv' AND i.kind = 'dwell'), 0) AS dwell_events, \
COALESCE(SUM(CASE WHEN i.source_type = 'cctv' AND i.kind = 'dwell' THEN COALESCE(CAST(json_extract(i.attributes, '$.durationSec') AS INTEGER), 0) END), 0) AS dwell_seconds, \
COALESCE(SUM(i.source_type = 'cctv' AND i.kind = 'shelf_interaction'), 0) AS shelf_interactions, \
COALESCE(SUM(CASE WHEN i.source_type = 'cctv' AND i.kind = 'footfall' THEN COALESCE(CAST(json_extract(i.attributes, '$.count') AS INTEGER), 1) END), 0) AS footfall, \
COALESCE(SUM(i.source_type = 'web' AND i.kind = 'search'), 0) AS searches, \
COUNT(i.id) AS interactions";

/// The same columns summed over daily rollups (`interaction_daily`, aliased `r`, kept by the
/// trigger of migration 0007 with the per-row values of [`AGGREGATES`]).
pub const ROLLUP_AGGREGATES: &str = "COALESCE(SUM(r.views), 0) AS views, COALESCE(SUM(r.add_to_carts), 0) AS add_to_carts, COALESCE(SUM(r.purchases), 0) AS purchases, COALESCE(SUM(r.units), 0) AS units, COALESCE(SUM(r.revenue_cents), 0) AS revenue_cents, COALESCE(SUM(r.social_mentions), 0) AS social_mentions, COALESCE(SUM(r.positive_mentions), 0) AS positive_mentions, COALESCE(SUM(r.negative_mentions), 0) AS negative_mentions, COALESCE(SUM(r.dwell_events), 0) AS dwell_events, COALESCE(SUM(r.dwell_seconds), 0) AS dwell_seconds, COALESCE(SUM(r.shelf_interactions), 0) AS shelf_interactions, COALESCE(SUM(r.footfall), 0) AS footfall, COALESCE(SUM(r.searches), 0) AS searches, COALESCE(SUM(r.interactions), 0) AS interactions";

/// The raw sums of [`AGGREGATES`] for one group of interactions. Numbers arrive from D1 as
/// JavaScript numbers, hence `f64` fields; every one is an integer below 2^53.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
pub struct Totals {
    pub views: f64,
    pub add_to_carts: f64,
    pub purchases: f64,
    pub units: f64,
    pub revenue_cents: f64,
    pub social_mentions: f64,
    pub positive_mentions: f64,
    pub negative_mentions: f64,
    pub dwell_events: f64,
    pub dwell_seconds: f64,
    pub shelf_interactions: f64,
    pub footfall: f64,
    pub searches: f64,
    pub interactions: f64,
}

impl Totals {
    /// Field-wise sum (folding days into weeks, products into a total).
    pub fn add(&mut self, o: &Totals) {
        self.views += o.views;
        self.add_to_carts += o.add_to_carts;
        self.purchases += o.purchases;
        self.units += o.units;
        self.revenue_cents += o.revenue_cents;
        self.social_mentions += o.social_mentions;
        self.positive_mentions += o.positive_mentions;
        self.negative_mentions += o.negative_mentions;
        self.dwell_events += o.dwell_events;
        self.dwell_seconds += o.dwell_seconds;
        self.shelf_interactions += o.shelf_interactions;
        self.footfall += o.footfall;
        self.searches += o.searches;
        self.interactions += o.interactions;
    }

    /// The answer's figures.
    pub fn figures(&self) -> Figures {
        let n = |x: f64| x as i64;
        Figures {
            views: n(self.views),
            add_to_carts: n(self.add_to_carts),
            purchases: n(self.purchases),
            units: n(self.units),
            revenue_cents: n(self.revenue_cents),
            conversion_rate: Metric::ConversionRate.value(self),
            cart_to_purchase_rate: Metric::CartToPurchaseRate.value(self),
            social_mentions: n(self.social_mentions),
            positive_mentions: n(self.positive_mentions),
            negative_mentions: n(self.negative_mentions),
            positive_share: Metric::PositiveShare.value(self),
            negative_share: Metric::NegativeShare.value(self),
            dwell_events: n(self.dwell_events),
            dwell_seconds: n(self.dwell_seconds),
            avg_dwell_seconds: Metric::AvgDwellSeconds.value(self),
            shelf_interactions: n(self.shelf_interactions),
            footfall: n(self.footfall),
            searches: n(self.searches),
            interactions: n(self.interactions),
        }
    }
}

/// Every metric of one group, as answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub views: i64,
    pub add_to_carts: i64,
    pub purchases: i64,
    pub units: i64,
    /// Revenue in the answer's `currency`, in cents.
    pub revenue_cents: i64,
    pub conversion_rate: Option<f64>,
    pub cart_to_purchase_rate: Option<f64>,
    pub social_mentions: i64,
    pub positive_mentions: i64,
    pub negative_mentions: i64,
    pub positive_share: Option<f64>,
    pub negative_share: Option<f64>,
    pub dwell_events: i64,
    pub dwell_seconds: i64,
    pub avg_dwell_seconds: Option<f64>,
    pub shelf_interactions: i64,
    pub footfall: i64,
    pub searches: i64,
    pub interactions: i64,
}

impl Figures {
    /// Back to sums (to recompute a metric from an answer).
    pub fn totals(&self) -> Totals {
        let f = |x: i64| x as f64;
        Totals {
            views: f(self.views),
            add_to_carts: f(self.add_to_carts),
            purchases: f(self.purchases),
            units: f(self.units),
            revenue_cents: f(self.revenue_cents),
            social_mentions: f(self.social_mentions),
            positive_mentions: f(self.positive_mentions),
            negative_mentions: f(self.negative_mentions),
            dwell_events: f(self.dwell_events),
            dwell_seconds: f(self.dwell_seconds),
            shelf_interactions: f(self.shelf_interactions),
            footfall: f(self.footfall),
            searches: f(self.searches),
            interactions: f(self.interactions),
        }
    }

    pub fn get(&self, m: Metric) -> Option<f64> {
        m.value(&self.totals())
    }
}

/// A metric an endpoint can sort, chart or compare by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    Views,
    AddToCarts,
    Purchases,
    Units,
    Revenue,
    ConversionRate,
    CartToPurchaseRate,
    SocialMentions,
    PositiveShare,
    NegativeShare,
    DwellSeconds,
    AvgDwellSeconds,
    ShelfInteractions,
    Footfall,
    Searches,
    Interactions,
}

impl Metric {
    pub const ALL: [Metric; 16] = [
        Metric::Views,
        Metric::AddToCarts,
        Metric::Purchases,
        Metric::Units,
        Metric::Revenue,
        Metric::ConversionRate,
        Metric::CartToPurchaseRate,
        Metric::SocialMentions,
        Metric::PositiveShare,
        Metric::NegativeShare,
        Metric::DwellSeconds,
        Metric::AvgDwellSeconds,
        Metric::ShelfInteractions,
        Metric::Footfall,
        Metric::Searches,
        Metric::Interactions,
    ];

    /// The name clients use (`metric=`, `sort=`).
    pub fn name(self) -> &'static str {
        match self {
            Metric::Views => "views",
            Metric::AddToCarts => "addToCarts",
            Metric::Purchases => "purchases",
            Metric::Units => "units",
            Metric::Revenue => "revenue",
            Metric::ConversionRate => "conversionRate",
            Metric::CartToPurchaseRate => "cartToPurchaseRate",
            Metric::SocialMentions => "socialMentions",
            Metric::PositiveShare => "positiveShare",
            Metric::NegativeShare => "negativeShare",
            Metric::DwellSeconds => "dwellSeconds",
            Metric::AvgDwellSeconds => "avgDwellSeconds",
            Metric::ShelfInteractions => "shelfInteractions",
            Metric::Footfall => "footfall",
            Metric::Searches => "searches",
            Metric::Interactions => "interactions",
        }
    }

    pub fn names() -> Vec<&'static str> {
        Metric::ALL.iter().map(|m| m.name()).collect()
    }

    pub fn from_name(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == s)
    }

    /// How a person says it.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Views => "product page views",
            Metric::AddToCarts => "add-to-carts",
            Metric::Purchases => "purchases",
            Metric::Units => "units sold",
            Metric::Revenue => "revenue",
            Metric::ConversionRate => "conversion rate (purchases per view)",
            Metric::CartToPurchaseRate => "cart-to-purchase rate",
            Metric::SocialMentions => "social mentions",
            Metric::PositiveShare => "share of positive social mentions",
            Metric::NegativeShare => "share of negative social mentions",
            Metric::DwellSeconds => "in-store dwell time",
            Metric::AvgDwellSeconds => "average in-store dwell time",
            Metric::ShelfInteractions => "shelf interactions",
            Metric::Footfall => "store footfall",
            Metric::Searches => "site searches",
            Metric::Interactions => "interactions",
        }
    }

    /// A ratio (shown as a percentage; undefined over an empty denominator).
    pub fn is_rate(self) -> bool {
        matches!(
            self,
            Metric::ConversionRate
                | Metric::CartToPurchaseRate
                | Metric::PositiveShare
                | Metric::NegativeShare
        )
    }

    /// The metric's value over `t`; `None` when a ratio's denominator is zero.
    pub fn value(self, t: &Totals) -> Option<f64> {
        let ratio = |a: f64, b: f64| if b > 0.0 { Some(a / b) } else { None };
        match self {
            Metric::Views => Some(t.views),
            Metric::AddToCarts => Some(t.add_to_carts),
            Metric::Purchases => Some(t.purchases),
            Metric::Units => Some(t.units),
            Metric::Revenue => Some(t.revenue_cents),
            Metric::ConversionRate => ratio(t.purchases, t.views),
            Metric::CartToPurchaseRate => ratio(t.purchases, t.add_to_carts),
            Metric::SocialMentions => Some(t.social_mentions),
            Metric::PositiveShare => ratio(t.positive_mentions, t.social_mentions),
            Metric::NegativeShare => ratio(t.negative_mentions, t.social_mentions),
            Metric::DwellSeconds => Some(t.dwell_seconds),
            Metric::AvgDwellSeconds => ratio(t.dwell_seconds, t.dwell_events),
            Metric::ShelfInteractions => Some(t.shelf_interactions),
            Metric::Footfall => Some(t.footfall),
            Metric::Searches => Some(t.searches),
            Metric::Interactions => Some(t.interactions),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names = Metric::names();
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Metric::ALL.len());
        assert_eq!(Metric::from_name("Revenue"), None);
    }

    #[test]
    fn every_totals_field_is_a_column_of_the_aggregates() {
        for col in [
            "views",
            "add_to_carts",
            "purchases",
            "units",
            "revenue_cents",
            "social_mentions",
            "positive_mentions",
            "negative_mentions",
            "dwell_events",
            "dwell_seconds",
            "shelf_interactions",
            "footfall",
            "searches",
            "interactions",
        ] {
            assert!(AGGREGATES.contains(&format!(" AS {col}")), "{col}");
            assert!(ROLLUP_AGGREGATES.contains(&format!("SUM(r.{col}), 0) AS {col}")), "{col}");
        }
        let casts = AGGREGATES.matches(" AS INTEGER").count();
        assert_eq!(AGGREGATES.matches(" AS ").count() - casts, 14);
        assert_eq!(ROLLUP_AGGREGATES.matches(" AS ").count(), 14);
    }

    #[test]
    fn rates_are_undefined_over_nothing() {
        let mut t = Totals { views: 40.0, purchases: 3.0, add_to_carts: 6.0, ..Totals::default() };
        assert_eq!(Metric::ConversionRate.value(&t), Some(0.075));
        assert_eq!(Metric::CartToPurchaseRate.value(&t), Some(0.5));
        assert_eq!(Metric::PositiveShare.value(&t), None);
        assert_eq!(Metric::AvgDwellSeconds.value(&t), None);
        t.dwell_events = 4.0;
        t.dwell_seconds = 10.0;
        assert_eq!(Metric::AvgDwellSeconds.value(&t), Some(2.5));
        let f = t.figures();
        assert_eq!((f.views, f.conversion_rate), (40, Some(0.075)));
        assert_eq!(f.totals(), t);
        assert_eq!(f.get(Metric::Purchases), Some(3.0));
        let mut sum = t;
        sum.add(&t);
        assert_eq!((sum.views, Metric::ConversionRate.value(&sum)), (80.0, Some(0.075)));
        assert!(Metric::ConversionRate.is_rate() && !Metric::Revenue.is_rate());
    }
}
