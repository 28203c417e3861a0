//! Query parameters of the analytics endpoints. Every value is checked; a bad one is a 400
//! naming the field, never clamped. Unknown parameters are ignored, as elsewhere in the API.

use crow_common::ApiError;

use crate::metric::Metric;
use crate::period::{Interval, Window};

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 100;
pub const SOURCE_TYPES: [&str; 3] = ["web", "cctv", "social"];

/// Parameters every analytics endpoint takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    pub window: Window,
    pub source_type: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Desc,
    Asc,
}

impl Order {
    pub fn name(self) -> &'static str {
        match self {
            Order::Desc => "desc",
            Order::Asc => "asc",
        }
    }
}

/// `GET …/products`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductsQuery {
    pub common: Common,
    pub sort: Metric,
    pub order: Order,
    pub limit: u32,
    pub category: Option<String>,
}

/// `GET …/timeseries`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesQuery {
    pub common: Common,
    pub metric: Metric,
    pub interval: Interval,
    pub product_id: Option<String>,
    pub category: Option<String>,
}

/// What a comparison is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    None,
    Product,
    Category,
}

impl GroupBy {
    pub const NAMES: [&'static str; 3] = ["none", "product", "category"];

    pub fn name(self) -> &'static str {
        match self {
            GroupBy::None => "none",
            GroupBy::Product => "product",
            GroupBy::Category => "category",
        }
    }
}

/// `GET …/compare`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareQuery {
    pub common: Common,
    pub metric: Metric,
    pub group_by: GroupBy,
    pub limit: u32,
    pub category: Option<String>,
}

/// `GET …/funnel`.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelQuery {
    pub common: Common,
    pub limit: u32,
    pub category: Option<String>,
}

/// The query string, for lookups.
pub struct Query<'a>(pub &'a [(String, String)]);

impl<'a> Query<'a> {
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn common(&self, now_ms: i64) -> Result<Common, ApiError> {
        let window = Window::parse(self.get("from"), self.get("to"), now_ms)?;
        let source_type = match self.get("sourceType") {
            None => None,
            Some(s) => Some(SOURCE_TYPES.into_iter().find(|t| *t == s).ok_or_else(|| {
                ApiError::invalid_field("sourceType", "must be one of web, cctv, social")
                    .detail("allowed", SOURCE_TYPES.to_vec())
            })?),
        };
        Ok(Common { window, source_type })
    }

    fn metric(&self, field: &str, default: Metric) -> Result<Metric, ApiError> {
        match self.get(field) {
            None => Ok(default),
            Some(s) => Metric::from_name(s).ok_or_else(|| {
                ApiError::invalid_field(field, "is not a known metric")
                    .detail("allowed", Metric::names())
            }),
        }
    }

    fn limit(&self) -> Result<u32, ApiError> {
        match self.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(s) => {
                s.parse::<u32>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                    ApiError::invalid_field(
                        "limit",
                        format!("must be an integer from 1 to {MAX_LIMIT}"),
                    )
                })
            }
        }
    }

    fn category(&self) -> Result<Option<String>, ApiError> {
        match self.get("category") {
            None => Ok(None),
            Some(s) => {
                let t = s.trim();
                if t.is_empty() || t.chars().count() > 100 || t.chars().any(char::is_control) {
                    return Err(ApiError::invalid_field("category", "must be 1 to 100 characters"));
                }
                Ok(Some(t.to_string()))
            }
        }
    }

    pub fn products(&self, now_ms: i64) -> Result<ProductsQuery, ApiError> {
        let order = match self.get("order") {
            None | Some("desc") => Order::Desc,
            Some("asc") => Order::Asc,
            Some(_) => {
                return Err(ApiError::invalid_field("order", "must be asc or desc")
                    .detail("allowed", vec!["asc", "desc"]))
            }
        };
        Ok(ProductsQuery {
            common: self.common(now_ms)?,
            sort: self.metric("sort", Metric::Revenue)?,
            order,
            limit: self.limit()?,
            category: self.category()?,
        })
    }

    pub fn series(&self, now_ms: i64) -> Result<SeriesQuery, ApiError> {
        let interval = match self.get("interval") {
            None => Interval::Day,
            Some(s) => Interval::parse(s).ok_or_else(|| {
                ApiError::invalid_field("interval", "must be one of day, week, month")
                    .detail("allowed", Interval::NAMES.to_vec())
            })?,
        };
        let product_id = match self.get("productId") {
            None => None,
            Some(p)
                if !p.is_empty()
                    && p.len() <= 64
                    && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) =>
            {
                Some(p.to_string())
            }
            Some(_) => {
                return Err(ApiError::invalid_field(
                    "productId",
                    "must be 1 to 64 characters of A-Z, a-z, 0-9, - _ . :",
                ))
            }
        };
        Ok(SeriesQuery {
            common: self.common(now_ms)?,
            metric: self.metric("metric", Metric::Purchases)?,
            interval,
            product_id,
            category: self.category()?,
        })
    }

    pub fn compare(&self, now_ms: i64) -> Result<CompareQuery, ApiError> {
        let group_by = match self.get("groupBy") {
            None | Some("none") => GroupBy::None,
            Some("product") => GroupBy::Product,
            Some("category") => GroupBy::Category,
            Some(_) => {
                return Err(ApiError::invalid_field(
                    "groupBy",
                    "must be one of none, product, category",
                )
                .detail("allowed", GroupBy::NAMES.to_vec()))
            }
        };
        Ok(CompareQuery {
            common: self.common(now_ms)?,
            metric: self.metric("metric", Metric::Revenue)?,
            group_by,
            limit: self.limit()?,
            category: self.category()?,
        })
    }

    pub fn funnel(&self, now_ms: i64) -> Result<FunnelQuery, ApiError> {
        Ok(FunnelQuery {
            common: self.common(now_ms)?,
            limit: self.limit()?,
            category: self.category()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const NOW: i64 = 1_796_000_000_000;

    #[test]
    fn defaults() {
        let p = Query(&q(&[])).products(NOW).unwrap();
        assert_eq!(
            (p.sort, p.order, p.limit, p.category),
            (Metric::Revenue, Order::Desc, 10, None)
        );
        assert_eq!(p.common.window.to_ms, NOW);
        let s = Query(&q(&[])).series(NOW).unwrap();
        assert_eq!((s.metric, s.interval), (Metric::Purchases, Interval::Day));
        let c = Query(&q(&[])).compare(NOW).unwrap();
        assert_eq!((c.metric, c.group_by), (Metric::Revenue, GroupBy::None));
    }

    #[test]
    fn values_are_parsed() {
        let p = Query(&q(&[
            ("sort", "conversionRate"),
            ("order", "asc"),
            ("limit", "100"),
            ("category", " Footwear "),
            ("sourceType", "web"),
            ("from", "2026-10-01"),
            ("to", "2026-11-01"),
        ]))
        .products(NOW)
        .unwrap();
        assert_eq!(p.sort, Metric::ConversionRate);
        assert_eq!((p.order, p.limit, p.category.as_deref()), (Order::Asc, 100, Some("Footwear")));
        assert_eq!(p.common.source_type, Some("web"));
        let s = Query(&q(&[("interval", "month"), ("productId", "prd_1"), ("metric", "footfall")]))
            .series(NOW)
            .unwrap();
        assert_eq!((s.interval, s.product_id.as_deref()), (Interval::Month, Some("prd_1")));
        let c = Query(&q(&[("groupBy", "category")])).compare(NOW).unwrap();
        assert_eq!(c.group_by, GroupBy::Category);
    }

    #[test]
    fn bad_values_name_their_field() {
        for (pairs, field) in [
            (vec![("sort", "price")], "sort"),
            (vec![("order", "up")], "order"),
            (vec![("limit", "0")], "limit"),
            (vec![("limit", "101")], "limit"),
            (vec![("limit", "ten")], "limit"),
            (vec![("category", " ")], "category"),
            (vec![("sourceType", "email")], "sourceType"),
            (vec![("from", "last week")], "from"),
        ] {
            let e = Query(&q(&pairs)).products(NOW).unwrap_err();
            assert_eq!(e.details["field"], field, "{pairs:?}");
        }
        for (pairs, field) in [
            (vec![("interval", "hour")], "interval"),
            (vec![("metric", "profit")], "metric"),
            (vec![("productId", "a b")], "productId"),
        ] {
            assert_eq!(Query(&q(&pairs)).series(NOW).unwrap_err().details["field"], field);
        }
        let e = Query(&q(&[("groupBy", "store")])).compare(NOW).unwrap_err();
        assert_eq!(e.details["field"], "groupBy");
        assert_eq!(e.details["allowed"], serde_json::json!(["none", "product", "category"]));
    }
}
