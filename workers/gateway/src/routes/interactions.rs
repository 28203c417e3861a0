//! `/api/v1/interactions/*`: batch ingest (idempotent on the client's event id), listing with
//! filters, and the channel summary.

use crow_common::identity::Action;
use crow_common::pagination::Pagination;
use crow_common::time::{iso8601, parse_iso8601};
use crow_common::{ids, ApiError};
use crow_edge::{json, now_ms, read_json};
use crow_retail::inputs::{InteractionBatch, SourceType};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

use crate::db::{Arg, Db};
use crate::error::{Error, Result};
use crate::routes::list_page;
use crate::semantic::{self, Kind};
use crate::{args, scope, App};

/// Largest ingest body: 500 interactions of up to ~2 KB each.
const INGEST_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Deserialize)]
pub struct InteractionRow {
    pub id: String,
    pub event_id: String,
    pub source_type: String,
    pub kind: String,
    pub product_id: Option<String>,
    pub occurred_at: i64,
    pub content: String,
    pub attributes: String,
}

pub const INTERACTION_COLUMNS: &str =
    "id, event_id, source_type, kind, product_id, occurred_at, content, attributes";

impl InteractionRow {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "eventId": self.event_id,
            "sourceType": self.source_type,
            "kind": self.kind,
            "productId": self.product_id,
            "occurredAt": iso8601(self.occurred_at),
            "content": self.content,
            "attributes": serde_json::from_str::<Value>(&self.attributes).unwrap_or_else(|_| json!({})),
        })
    }
}

/// `POST /api/v1/interactions/organization/:orgId/batch`. All rows go in one D1 batch (one
/// transaction); an event id seen before is skipped, so a retried batch changes nothing.
pub async fn ingest(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let access = scope::path_org(app, Action::WriteData).await?;
    let batch: InteractionBatch = read_json(req, INGEST_LIMIT).await?;
    let items = batch.validate()?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let now = now_ms() as i64;
    // Event ids already stored: their rows will be skipped, so they get no (orphan) vector and
    // cost no embedding. A concurrent retry can still race past this read; its vector is then
    // never shown (results are read from the rows) and the next write of the row replaces it.
    #[derive(Deserialize)]
    struct Known {
        event_id: String,
    }
    let event_ids: Vec<&str> = items.iter().map(|it| it.event_id.as_str()).collect();
    let event_ids = serde_json::to_string(&event_ids)
        .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
    let known: std::collections::HashSet<String> = db
        .all::<Known>(
            "SELECT event_id FROM interactions WHERE organization_id = ?1 AND event_id IN (SELECT value FROM json_each(?2))",
            args![&access.org_id, &event_ids],
        )
        .await?
        .into_iter()
        .map(|k| k.event_id)
        .collect();
    let mut statements = Vec::with_capacity(items.len());
    let mut texts = Vec::with_capacity(items.len());
    for it in &items {
        let id = ids::new_id("int", now as u64)
            .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
        if !known.contains(&it.event_id) {
            texts.push((
                id.clone(),
                format!("{} {} {}", it.source_type.as_str(), it.kind.replace('_', " "), it.content),
            ));
        }
        // The product is resolved here, inside the organization, in the writing statement:
        // `productId` if it names one of the organization's products, else `attributes.sku`.
        // Anything else stays unlinked (NULL), never guessed.
        statements.push(db.statement(
            "INSERT INTO interactions (id, organization_id, event_id, source_type, kind, product_id, occurred_at, content, attributes, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, COALESCE( \
                 (SELECT p.id FROM products p WHERE p.id = ?6 AND p.organization_id = ?2), \
                 (SELECT p.id FROM products p WHERE p.organization_id = ?2 AND p.sku = ?11)), \
             ?7, ?8, ?9, ?10 WHERE true \
             ON CONFLICT (organization_id, event_id) DO NOTHING RETURNING id, product_id",
            args![&id, &access.org_id, &it.event_id, it.source_type.as_str(), &it.kind, it.product_id.as_ref(), it.occurred_at, &it.content, &it.attributes, now, it.sku.as_ref()],
        )?);
    }
    let row_count = statements.len();
    semantic::index_items(app.env, &db, &access.org_id, Kind::Interaction, texts).await?;
    // Each insert returns its id only if it inserted (`meta.changes` would also count the
    // full-text index rows its trigger writes).
    let results = db.read_batch(statements).await?;
    #[derive(Deserialize)]
    struct Inserted {
        product_id: Option<String>,
    }
    let (mut inserted, mut linked) = (0u64, 0u64);
    for r in results.iter().take(row_count) {
        let rows = r.results::<Inserted>().unwrap_or_default();
        inserted += rows.len() as u64;
        linked += rows.iter().filter(|x| x.product_id.is_some()).count() as u64;
    }
    Ok(json(
        200,
        &json!({ "received": items.len(), "inserted": inserted, "duplicates": items.len() as u64 - inserted, "linked": linked }),
    )?)
}

/// Filters shared by list and summary: `sourceType`, `from`, `to` (ISO 8601, `to` exclusive).
fn filters<'a>(
    app: &'a App<'_>,
    org_id: &'a str,
    with_source: bool,
) -> Result<(String, Vec<Arg<'a>>)> {
    let mut sql = String::from("organization_id = ?1");
    let mut params: Vec<Arg> = vec![Arg::Text(org_id)];
    if with_source {
        if let Some(s) = app.query_param("sourceType") {
            let st = SourceType::parse("sourceType", s)?;
            params.push(Arg::Text(st.as_str()));
            sql.push_str(&format!(" AND source_type = ?{}", params.len()));
        }
    }
    let mut bound = |name: &str, op: &str| -> Result<Option<i64>> {
        match app.query_param(name) {
            None => Ok(None),
            Some(v) => {
                let t = parse_iso8601(v).ok_or_else(|| {
                    ApiError::invalid_field(name, "must be an ISO 8601 timestamp")
                        .detail("expected", "ISO 8601 format")
                })?;
                params.push(Arg::Int(t));
                sql.push_str(&format!(" AND occurred_at {op} ?{}", params.len()));
                Ok(Some(t))
            }
        }
    };
    let from = bound("from", ">=")?;
    let to = bound("to", "<")?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(ApiError::invalid_field("from", "must not be after `to`").into());
        }
    }
    Ok((sql, params))
}

/// `GET /api/v1/interactions/organization/:orgId`: newest first.
pub async fn list(app: &App<'_>) -> Result<Response> {
    let access = scope::path_org(app, Action::Read).await?;
    let page = Pagination::from_query(&app.query, 100)?;
    let (filter, params) = filters(app, &access.org_id, true)?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let body = list_page::<InteractionRow>(
        &db,
        "interactions",
        INTERACTION_COLUMNS,
        "occurred_at",
        &filter,
        params,
        &page,
        |r| (r.occurred_at, r.id.as_str()),
        InteractionRow::to_json,
    )
    .await?;
    Ok(json(200, &body)?)
}

/// `GET /api/v1/interactions/organization/:orgId/summary`: the channel breakdown, counted in SQL.
pub async fn summary(app: &App<'_>) -> Result<Response> {
    let access = scope::path_org(app, Action::Read).await?;
    let (filter, params) = filters(app, &access.org_id, false)?;
    #[derive(Deserialize)]
    struct Counts {
        web: Option<u64>,
        cctv: Option<u64>,
        social: Option<u64>,
        total: u64,
    }
    let db = Db::new(app.env, &app.ctx.meter)?;
    let c: Option<Counts> = db
        .first(
            &format!(
                "SELECT SUM(source_type = 'web') AS web, SUM(source_type = 'cctv') AS cctv, SUM(source_type = 'social') AS social, \
                 COUNT(*) AS total FROM interactions WHERE {filter}"
            ),
            &params,
        )
        .await?;
    let c = c.unwrap_or(Counts { web: None, cctv: None, social: None, total: 0 });
    Ok(json(
        200,
        &json!({
            "organizationId": access.org_id,
            "web": c.web.unwrap_or(0),
            "cctv": c.cctv.unwrap_or(0),
            "social": c.social.unwrap_or(0),
            "total": c.total,
            "from": app.query_param("from"),
            "to": app.query_param("to"),
        }),
    )?)
}
