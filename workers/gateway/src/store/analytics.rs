//! Analytics reads: every figure is aggregated from the organization's own interactions at
//! request time with the select list of `crow_analytics::metric::AGGREGATES` (nothing
//! precomputed), and all the reads of one answer go to D1 in one batch.
//!
//! Indexes (`migrations/gateway/0007_analytics.sql`): per-product reads walk
//! `interactions_by_product (organization_id, product_id, occurred_at)` once per product; window
//! reads walk `interactions_by_time` or `interactions_by_source`. Each read is linear in the
//! interactions of the window (bounded by the two-year window cap).

use crow_analytics::metric::{Totals, AGGREGATES};
use crow_analytics::params::Common;
use crow_analytics::report::{KeyRow, ProductRow, StoreRow};
use crow_analytics::Window;
use serde::de::DeserializeOwned;
use serde_json::Value;
use worker::D1PreparedStatement;

use crate::db::{Arg, Db};
use crate::error::{DependencyExt, Error, Result};

/// Which interactions a read covers.
pub struct Filter<'a> {
    pub org_id: &'a str,
    pub window: Window,
    pub source_type: Option<&'static str>,
    pub category: Option<&'a str>,
    pub product_id: Option<&'a str>,
}

impl<'a> Filter<'a> {
    pub fn new(org_id: &'a str, common: &Common) -> Filter<'a> {
        Filter {
            org_id,
            window: common.window,
            source_type: common.source_type,
            category: None,
            product_id: None,
        }
    }

    pub fn in_window(&self, window: Window) -> Filter<'a> {
        Filter { window, ..*self }
    }

    /// `WHERE` conditions on interactions `i` and their arguments (`?1` is the organization).
    fn sql(&self) -> (String, Vec<Arg<'a>>) {
        let mut args: Vec<Arg<'a>> = vec![
            Arg::Text(self.org_id),
            Arg::Int(self.window.from_ms),
            Arg::Int(self.window.to_ms),
        ];
        let mut sql =
            String::from("i.organization_id = ?1 AND i.occurred_at >= ?2 AND i.occurred_at < ?3");
        if let Some(s) = self.source_type {
            args.push(Arg::Text(s));
            sql.push_str(&format!(" AND i.source_type = ?{}", args.len()));
        }
        if let Some(p) = self.product_id {
            args.push(Arg::Text(p));
            sql.push_str(&format!(" AND i.product_id = ?{}", args.len()));
        }
        if let Some(c) = self.category {
            args.push(Arg::Text(c));
            sql.push_str(&format!(
                " AND i.product_id IN (SELECT id FROM products WHERE organization_id = ?1 AND category = ?{} COLLATE NOCASE)",
                args.len()
            ));
        }
        (sql, args)
    }

    /// Sums over every matching interaction.
    pub fn totals(&self, db: &Db) -> Result<D1PreparedStatement> {
        let (w, args) = self.sql();
        db.statement(&format!("SELECT {AGGREGATES} FROM interactions i WHERE {w}"), &args)
    }

    /// Sums per day (`key` = days since 1970-01-01, UTC).
    pub fn by_day(&self, db: &Db) -> Result<D1PreparedStatement> {
        let (w, args) = self.sql();
        db.statement(
            &format!(
                "SELECT i.occurred_at / 86400000 AS key, {AGGREGATES} FROM interactions i WHERE {w} GROUP BY key"
            ),
            &args,
        )
    }

    /// Sums per product category (`key`), over linked interactions.
    pub fn by_category(&self, db: &Db) -> Result<D1PreparedStatement> {
        let (w, args) = self.sql();
        db.statement(
            &format!(
                "SELECT p.category AS key, {AGGREGATES} FROM interactions i \
                 JOIN products p ON p.id = i.product_id AND p.organization_id = ?1 \
                 WHERE {w} GROUP BY p.category"
            ),
            &args,
        )
    }

    /// Sums per CCTV store and zone.
    pub fn by_store(&self, db: &Db) -> Result<D1PreparedStatement> {
        let (w, args) = self.sql();
        db.statement(
            &format!(
                "SELECT json_extract(i.attributes, '$.store') AS store, json_extract(i.attributes, '$.zone') AS zone, \
                 {AGGREGATES} FROM interactions i WHERE {w} AND i.source_type = 'cctv' GROUP BY store, zone"
            ),
            &args,
        )
    }

    /// Every product of the organization (or of the category), with the sums of its
    /// interactions in the window (zeros for none).
    pub fn by_product(&self, db: &Db) -> Result<D1PreparedStatement> {
        let mut args: Vec<Arg<'a>> = vec![
            Arg::Text(self.org_id),
            Arg::Int(self.window.from_ms),
            Arg::Int(self.window.to_ms),
        ];
        let mut on = String::new();
        if let Some(s) = self.source_type {
            args.push(Arg::Text(s));
            on.push_str(&format!(" AND i.source_type = ?{}", args.len()));
        }
        let mut wh = String::new();
        if let Some(c) = self.category {
            args.push(Arg::Text(c));
            wh.push_str(&format!(" AND p.category = ?{} COLLATE NOCASE", args.len()));
        }
        db.statement(
            &format!(
                "SELECT p.id AS id, p.name AS name, p.sku AS sku, p.category AS category, {AGGREGATES} \
                 FROM products p LEFT JOIN interactions i ON i.organization_id = ?1 AND i.product_id = p.id \
                 AND i.occurred_at >= ?2 AND i.occurred_at < ?3{on} \
                 WHERE p.organization_id = ?1{wh} GROUP BY p.id"
            ),
            &args,
        )
    }
}

/// The currency of the organization's products (the most common one; USD without products).
pub fn currency(db: &Db, org_id: &str) -> Result<D1PreparedStatement> {
    db.statement(
        "SELECT currency AS key FROM products WHERE organization_id = ?1 \
         GROUP BY currency ORDER BY COUNT(*) DESC, currency LIMIT 1",
        &[Arg::Text(org_id)],
    )
}

/// Whether a product is the organization's.
pub fn product_exists<'a>(
    db: &Db,
    org_id: &'a str,
    product_id: &'a str,
) -> Result<D1PreparedStatement> {
    db.statement(
        "SELECT id AS key FROM products WHERE id = ?1 AND organization_id = ?2",
        &[Arg::Text(product_id), Arg::Text(org_id)],
    )
}

/// The rows of each statement, in order, decoded through JSON.
pub async fn run(db: &Db, statements: Vec<D1PreparedStatement>) -> Result<Vec<Vec<Value>>> {
    let results = db.read_batch(statements).await?;
    results.into_iter().map(|r| r.results::<Value>().dep("database")).collect()
}

pub fn decode<T: DeserializeOwned>(rows: Vec<Value>) -> Result<Vec<T>> {
    rows.into_iter()
        .map(|v| {
            serde_json::from_value(v).map_err(|e| {
                Error::Internal(worker::Error::RustError(format!("analytics row: {e}")))
            })
        })
        .collect()
}

pub fn products(rows: Vec<Value>) -> Result<Vec<ProductRow>> {
    decode(rows)
}

pub fn keyed(rows: Vec<Value>) -> Result<Vec<KeyRow>> {
    decode(rows)
}

pub fn stores(rows: Vec<Value>) -> Result<Vec<StoreRow>> {
    decode(rows)
}

/// The one row of a `totals` read.
pub fn totals(rows: Vec<Value>) -> Result<Totals> {
    Ok(decode::<Totals>(rows)?.into_iter().next().unwrap_or_default())
}

/// The `key` of the first row, as text.
pub fn first_key(rows: &[Value]) -> Option<String> {
    rows.first().and_then(|r| r["key"].as_str()).map(str::to_string)
}
