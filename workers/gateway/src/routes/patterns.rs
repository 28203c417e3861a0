//! `/api/v1/patterns/*`: behavioural patterns, ingested in batches and listed by period.

use crow_common::identity::Action;
use crow_common::ids;
use crow_common::pagination::Pagination;
use crow_common::time::iso8601;
use crow_edge::{json, now_ms, read_json};
use crow_retail::inputs::{parse_period, PatternBatch};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

use crate::db::{Arg, Db};
use crate::error::{Error, Result};
use crate::routes::list_page;
use crate::semantic::{self, Kind};
use crate::{args, scope, App};

#[derive(Debug, Deserialize)]
pub struct PatternRow {
    pub id: String,
    pub period: String,
    pub title: String,
    pub description: String,
    pub metric: Option<String>,
    pub value: Option<f64>,
    pub period_start: i64,
    pub confidence: Option<f64>,
    pub created_at: i64,
}

pub const PATTERN_COLUMNS: &str =
    "id, period, title, description, metric, value, period_start, confidence, created_at";

impl PatternRow {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "period": self.period,
            "title": self.title,
            "description": self.description,
            "metric": self.metric,
            "value": self.value,
            "periodStart": iso8601(self.period_start),
            "confidence": self.confidence,
            "createdAt": iso8601(self.created_at),
        })
    }
}

/// `POST /api/v1/patterns/organization/:orgId`: `{ "patterns": [...] }`, all or nothing.
pub async fn create(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let access = scope::path_org(app, Action::WriteData).await?;
    let batch: PatternBatch = read_json(req, 512 * 1024).await?;
    let items = batch.validate()?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let now = now_ms() as i64;
    let mut ids_out = Vec::with_capacity(items.len());
    let mut statements = Vec::with_capacity(items.len() * 2);
    let mut texts = Vec::with_capacity(items.len());
    for p in &items {
        let id = ids::new_id("pat", now as u64)
            .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
        texts.push((
            id.clone(),
            format!(
                "{} {} {} {}",
                p.period,
                p.title,
                p.description,
                p.metric.as_deref().unwrap_or("")
            ),
        ));
        statements.push(db.statement(
            "INSERT INTO patterns (id, organization_id, period, title, description, metric, value, period_start, confidence, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            args![&id, &access.org_id, p.period, &p.title, &p.description, p.metric.as_ref(), p.value, p.period_start, p.confidence, now],
        )?);
        ids_out.push(id);
    }
    semantic::index_items(app.env, &db, &access.org_id, Kind::Pattern, texts).await?;
    db.batch(statements).await?;
    Ok(json(201, &json!({ "created": ids_out.len(), "ids": ids_out }))?)
}

/// `GET /api/v1/patterns/organization/:orgId`: newest first, optional `period`.
pub async fn list(app: &App<'_>) -> Result<Response> {
    let access = scope::path_org(app, Action::Read).await?;
    let page = Pagination::from_query(&app.query, 100)?;
    let mut filter = String::from("organization_id = ?1");
    let mut params: Vec<Arg> = vec![Arg::Text(&access.org_id)];
    if let Some(p) = app.query_param("period") {
        params.push(Arg::Text(parse_period("period", p)?));
        filter.push_str(" AND period = ?2");
    }
    let db = Db::new(app.env, &app.ctx.meter)?;
    let body = list_page::<PatternRow>(
        &db,
        "patterns",
        PATTERN_COLUMNS,
        "created_at",
        &filter,
        params,
        &page,
        |r| (r.created_at, r.id.as_str()),
        PatternRow::to_json,
    )
    .await?;
    Ok(json(200, &body)?)
}
