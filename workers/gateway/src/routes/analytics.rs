//! `/api/v1/analytics/organization/:orgId/*`: product performance, time series, period
//! comparison, the web funnel and the in-store breakdown. Parameters, metrics and the shape of
//! each answer are `crow_analytics`; the reads are `store::analytics`; this is the glue.

use crow_analytics::params::{GroupBy, Query};
use crow_analytics::report::{self, Scope};
use crow_common::identity::Action;
use crow_common::ApiError;
use crow_edge::{json, now_ms};
use worker::Response;

use crate::db::Db;
use crate::error::Result;
use crate::store::analytics::{self as store, Filter};
use crate::{scope, App};

const DEFAULT_CURRENCY: &str = "USD";

fn now() -> i64 {
    now_ms() as i64
}

fn currency(rows: Option<Vec<serde_json::Value>>) -> String {
    rows.as_deref().and_then(store::first_key).unwrap_or_else(|| DEFAULT_CURRENCY.to_string())
}

/// `GET …/products`: every product's figures, sorted by `sort`, the first `limit`.
pub async fn products(app: &App<'_>) -> Result<Response> {
    let access = scope::path_org(app, Action::Read).await?;
    let q = Query(&app.query).products(now())?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let mut f = Filter::new(&access.org_id, &q.common);
    f.category = q.category.as_deref();
    let mut statements = vec![store::currency(&db, &access.org_id)?];
    statements.extend(f.by_product(&db)?);
    let mut res = store::run(&db, statements).await?.into_iter();
    let cur = currency(res.next());
    let rows = store::products(store::next_pair(&mut res))?;
    let scope = Scope::new(&access.org_id, q.common.window, &cur, q.common.source_type);
    Ok(json(200, &report::performance(scope, &q, rows))?)
}

/// `GET …/timeseries`: one metric by day, week or month, empty buckets included.
pub async fn timeseries(app: &App<'_>) -> Result<Response> {
    let access = scope::path_org(app, Action::Read).await?;
    let q = Query(&app.query).series(now())?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let mut f = Filter::new(&access.org_id, &q.common);
    f.category = q.category.as_deref();
    f.product_id = q.product_id.as_deref();
    let mut statements = vec![store::currency(&db, &access.org_id)?];
    statements.extend(f.by_day(&db)?);
    if let Some(p) = &q.product_id {
        statements.push(store::product_exists(&db, &access.org_id, p)?);
    }
    let mut res = store::run(&db, statements).await?.into_iter();
    let cur = currency(res.next());
    let days = store::keyed(store::next_pair(&mut res))?;
    if q.product_id.is_some() && res.next().is_none_or(|r| r.is_empty()) {
        return Err(ApiError::not_found("Product").into());
    }
    let scope = Scope::new(&access.org_id, q.common.window, &cur, q.common.source_type);
    Ok(json(200, &report::series(scope, &q, &days))?)
}

/// `GET …/compare`: a metric in this window against the previous one of equal length.
pub async fn compare(app: &App<'_>) -> Result<Response> {
    let access = scope::path_org(app, Action::Read).await?;
    let q = Query(&app.query).compare(now())?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let mut f = Filter::new(&access.org_id, &q.common);
    f.category = q.category.as_deref();
    let p = f.in_window(q.common.window.previous());
    let mut statements = vec![store::currency(&db, &access.org_id)?];
    statements.extend(f.totals(&db)?);
    statements.extend(p.totals(&db)?);
    match q.group_by {
        GroupBy::None => {}
        GroupBy::Product => {
            statements.extend(f.by_product(&db)?);
            statements.extend(p.by_product(&db)?);
        }
        GroupBy::Category => {
            statements.extend(f.by_category(&db)?);
            statements.extend(p.by_category(&db)?);
        }
    }
    let mut res = store::run(&db, statements).await?.into_iter();
    let cur = currency(res.next());
    let current = store::totals(store::next_pair(&mut res))?;
    let previous = store::totals(store::next_pair(&mut res))?;
    let (a, b) = (store::next_pair(&mut res), store::next_pair(&mut res));
    let groups = match q.group_by {
        GroupBy::None => vec![],
        GroupBy::Product => report::product_groups(&store::products(a)?, &store::products(b)?),
        GroupBy::Category => report::category_groups(&store::keyed(a)?, &store::keyed(b)?),
    };
    let scope = Scope::new(&access.org_id, q.common.window, &cur, q.common.source_type);
    Ok(json(200, &report::comparison(scope, &q, current, previous, groups))?)
}

/// `GET …/funnel`: view → cart → purchase, overall and per product.
pub async fn funnel(app: &App<'_>) -> Result<Response> {
    let access = scope::path_org(app, Action::Read).await?;
    let q = Query(&app.query).funnel(now())?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let mut f = Filter::new(&access.org_id, &q.common);
    f.category = q.category.as_deref();
    let mut statements = vec![store::currency(&db, &access.org_id)?];
    statements.extend(f.totals(&db)?);
    statements.extend(f.by_product(&db)?);
    let mut res = store::run(&db, statements).await?.into_iter();
    let cur = currency(res.next());
    let overall = store::totals(store::next_pair(&mut res))?;
    let rows = store::products(store::next_pair(&mut res))?;
    let scope = Scope::new(&access.org_id, q.common.window, &cur, q.common.source_type);
    Ok(json(200, &report::funnel(scope, &q, overall, rows))?)
}

/// `GET …/stores`: CCTV footfall, dwell and shelf interactions by store and zone.
pub async fn stores(app: &App<'_>) -> Result<Response> {
    let access = scope::path_org(app, Action::Read).await?;
    let common = Query(&app.query).common(now())?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let f = Filter::new(&access.org_id, &common);
    let mut statements = vec![store::currency(&db, &access.org_id)?];
    statements.extend(f.by_store(&db)?);
    let mut res = store::run(&db, statements).await?.into_iter();
    let cur = currency(res.next());
    let rows = store::stores(store::next_pair(&mut res))?;
    let scope = Scope::new(&access.org_id, common.window, &cur, common.source_type);
    Ok(json(200, &report::stores(scope, &rows))?)
}
