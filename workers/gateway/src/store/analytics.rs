//! Analytics reads: every figure is aggregated from the organization's own interactions at
//! request time with the select list of `crow_analytics::metric::AGGREGATES` (nothing
//! precomputed), and all the reads of one answer go to D1 in one batch.
//!
//! Every read has two parts in the same batch: the window's whole UTC days from the daily
//! rollups (`interaction_daily`, kept exact by a trigger on insert, migration 0007), and its
//! partial days at the edges from the interactions themselves; the two are added up here. So a
//! read grows with products × days of the window (at most two years), not with interactions,
//! except for the at most two partial days. Indexes: `interaction_daily` is keyed by
//! (organization, day, product, source, store, zone) with `interaction_daily_by_product`;
//! edge reads use `interactions_by_time`, per-product edge reads `interactions_by_product`.

use crow_analytics::metric::{Totals, AGGREGATES, ROLLUP_AGGREGATES};
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

    /// Conditions on the rows `t` (`i` interactions or `r` rollups) shared by both parts, after
    /// the time condition; `?1` is the organization.
    fn rest(&self, t: &str, args: &mut Vec<Arg<'a>>, sql: &mut String) {
        if let Some(s) = self.source_type {
            args.push(Arg::Text(s));
            sql.push_str(&format!(" AND {t}.source_type = ?{}", args.len()));
        }
        if let Some(p) = self.product_id {
            args.push(Arg::Text(p));
            sql.push_str(&format!(" AND {t}.product_id = ?{}", args.len()));
        }
        if let Some(c) = self.category {
            args.push(Arg::Text(c));
            sql.push_str(&format!(
                " AND {t}.product_id IN (SELECT id FROM products WHERE organization_id = ?1 AND category = ?{} COLLATE NOCASE)",
                args.len()
            ));
        }
    }

    /// Interactions at the window's partial-day edges (`[from, a)` and `[b, to)`), as one
    /// condition (for the per-product join, which the planner splits into two index ranges).
    fn raw(&self) -> (String, Vec<Arg<'a>>) {
        let s = self.window.split();
        let mut args: Vec<Arg<'a>> = vec![
            Arg::Text(self.org_id),
            Arg::Int(self.window.from_ms),
            Arg::Int(self.window.to_ms),
            Arg::Int(s.edge_a),
            Arg::Int(s.edge_b),
        ];
        let mut sql = String::from(
            "i.organization_id = ?1 AND ((i.occurred_at >= ?2 AND i.occurred_at < ?4) OR (i.occurred_at >= ?5 AND i.occurred_at < ?3))",
        );
        self.rest("i", &mut args, &mut sql);
        (sql, args)
    }

    /// The same edges as a table: two index ranges of `interactions_by_time` (or
    /// `interactions_by_source`) joined by UNION ALL, with the other conditions after it.
    fn raw_table(&self) -> (&'static str, String, Vec<Arg<'a>>) {
        let (_, mut args) = self.raw();
        args.truncate(5);
        let mut sql = String::from("i.organization_id = ?1");
        self.rest("i", &mut args, &mut sql);
        (
            "(SELECT * FROM interactions WHERE organization_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?4 \
             UNION ALL SELECT * FROM interactions WHERE organization_id = ?1 AND occurred_at >= ?5 AND occurred_at < ?3) i",
            sql,
            args,
        )
    }

    /// Daily rollups of the window's whole days.
    fn days(&self) -> (String, Vec<Arg<'a>>) {
        let s = self.window.split();
        let mut args: Vec<Arg<'a>> =
            vec![Arg::Text(self.org_id), Arg::Int(s.first_day), Arg::Int(s.end_day)];
        let mut sql = String::from("r.organization_id = ?1 AND r.day >= ?2 AND r.day < ?3");
        self.rest("r", &mut args, &mut sql);
        (sql, args)
    }

    /// Two statements: `shape` over the rollups (`{agg}`, `{w}` with `r`), then over the edge
    /// interactions (`i`).
    fn pair(&self, db: &Db, shape: &str) -> Result<[D1PreparedStatement; 2]> {
        let (dw, dargs) = self.days();
        let (table, rw, rargs) = self.raw_table();
        let rollup = shape
            .replace("{agg}", ROLLUP_AGGREGATES)
            .replace("{t}", "interaction_daily r")
            .replace("{x}", "r")
            .replace("{day}", "r.day")
            .replace("{store}", "NULLIF(r.store, '')")
            .replace("{zone}", "NULLIF(r.zone, '')")
            .replace("{w}", &dw);
        let raw = shape
            .replace("{agg}", AGGREGATES)
            .replace("{t}", table)
            .replace("{x}", "i")
            .replace("{day}", "i.occurred_at / 86400000")
            .replace("{store}", "json_extract(i.attributes, '$.store')")
            .replace("{zone}", "json_extract(i.attributes, '$.zone')")
            .replace("{w}", &rw);
        Ok([db.statement(&rollup, &dargs)?, db.statement(&raw, &rargs)?])
    }

    /// Sums over every matching interaction.
    pub fn totals(&self, db: &Db) -> Result<[D1PreparedStatement; 2]> {
        self.pair(db, "SELECT {agg} FROM {t} WHERE {w}")
    }

    /// Sums per day (`key` = days since 1970-01-01, UTC).
    pub fn by_day(&self, db: &Db) -> Result<[D1PreparedStatement; 2]> {
        self.pair(db, "SELECT {day} AS key, {agg} FROM {t} WHERE {w} GROUP BY key")
    }

    /// Sums per product category (`key`), over linked interactions.
    pub fn by_category(&self, db: &Db) -> Result<[D1PreparedStatement; 2]> {
        self.pair(
            db,
            "SELECT p.category AS key, {agg} FROM {t} \
             JOIN products p ON p.id = {x}.product_id AND p.organization_id = ?1 \
             WHERE {w} GROUP BY p.category",
        )
    }

    /// Sums per CCTV store and zone.
    pub fn by_store(&self, db: &Db) -> Result<[D1PreparedStatement; 2]> {
        self.pair(
            db,
            "SELECT {store} AS store, {zone} AS zone, {agg} FROM {t} \
             WHERE {w} AND {x}.source_type = 'cctv' GROUP BY store, zone",
        )
    }

    /// Every product of the organization (or of the category), with the sums of its
    /// interactions in the window (zeros for none): the products LEFT JOIN each part.
    pub fn by_product(&self, db: &Db) -> Result<[D1PreparedStatement; 2]> {
        let whole = Filter { product_id: None, category: None, ..*self };
        let mut out = Vec::with_capacity(2);
        for (w, mut args, t, x) in [
            {
                let (w, a) = whole.days();
                (w, a, "interaction_daily r INDEXED BY interaction_daily_by_product", "r")
            },
            {
                let (w, a) = whole.raw();
                (w, a, "interactions i", "i")
            },
        ] {
            let agg = if x == "r" { ROLLUP_AGGREGATES } else { AGGREGATES };
            let mut wh = String::new();
            if let Some(c) = self.category {
                args.push(Arg::Text(c));
                wh.push_str(&format!(" AND p.category = ?{} COLLATE NOCASE", args.len()));
            }
            // The part's conditions move into the join (`{x}.organization_id = ?1 AND …`).
            let on = w.replacen(&format!("{x}.organization_id = ?1 AND "), "", 1);
            out.push(db.statement(
                &format!(
                    "SELECT p.id AS id, p.name AS name, p.sku AS sku, p.category AS category, {agg} \
                     FROM products p LEFT JOIN {t} ON {x}.organization_id = ?1 AND {x}.product_id = p.id AND {on} \
                     WHERE p.organization_id = ?1{wh} GROUP BY p.id"
                ),
                &args,
            )?);
        }
        let b =
            out.pop().ok_or_else(|| Error::Internal(worker::Error::RustError("pair".into())))?;
        let a =
            out.pop().ok_or_else(|| Error::Internal(worker::Error::RustError("pair".into())))?;
        Ok([a, b])
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

/// The next two result sets (a rollup part and an edge part) of `it`.
pub fn next_pair(it: &mut impl Iterator<Item = Vec<Value>>) -> (Vec<Value>, Vec<Value>) {
    (it.next().unwrap_or_default(), it.next().unwrap_or_default())
}

/// Per-product rows of both parts, added up by product.
pub fn products((a, b): (Vec<Value>, Vec<Value>)) -> Result<Vec<ProductRow>> {
    let mut rows: Vec<ProductRow> = decode(a)?;
    for r in decode::<ProductRow>(b)? {
        match rows.iter_mut().find(|x| x.id == r.id) {
            Some(x) => x.totals.add(&r.totals),
            None => rows.push(r),
        }
    }
    Ok(rows)
}

/// Keyed rows of both parts (the report folds equal keys).
pub fn keyed((a, b): (Vec<Value>, Vec<Value>)) -> Result<Vec<KeyRow>> {
    let mut rows: Vec<KeyRow> = decode(a)?;
    rows.extend(decode::<KeyRow>(b)?);
    Ok(rows)
}

/// Store rows of both parts (the report folds equal stores and zones).
pub fn stores((a, b): (Vec<Value>, Vec<Value>)) -> Result<Vec<StoreRow>> {
    let mut rows: Vec<StoreRow> = decode(a)?;
    rows.extend(decode::<StoreRow>(b)?);
    Ok(rows)
}

/// The sums of a `totals` read, both parts added.
pub fn totals((a, b): (Vec<Value>, Vec<Value>)) -> Result<Totals> {
    let mut t = decode::<Totals>(a)?.into_iter().next().unwrap_or_default();
    if let Some(e) = decode::<Totals>(b)?.into_iter().next() {
        t.add(&e);
    }
    Ok(t)
}

/// The `key` of the first row, as text.
pub fn first_key(rows: &[Value]) -> Option<String> {
    rows.first().and_then(|r| r["key"].as_str()).map(str::to_string)
}
