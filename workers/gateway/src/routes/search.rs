//! Search over products, interactions, patterns and the knowledge base, in three modes:
//!
//! - `fts`: SQLite FTS5 in D1, ranked with bm25 (column weights favour names and titles), with
//!   snippets;
//! - `semantic`: the query's embedding against the vector index (cosine);
//! - `hybrid` (default): both, fused with reciprocal rank fusion (`crow_search::RRF_K` = 60,
//!   equal weights), each side contributing its top [`WINDOW`] candidates.
//!
//! Filters (channel, period) are applied to the candidates after ranking; pagination is `limit`
//! plus `page` over the ranked list.

use std::collections::HashMap;

use crow_common::identity::Action;
use crow_common::ApiError;
use crow_edge::json;
use crow_retail::inputs::{parse_period, SourceType};
use crow_search::{build_match_expression, reciprocal_rank_fusion, RankedList, SearchMode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Response;

use crate::db::{Arg, Db};
use crate::error::Result;
use crate::routes::interactions::{InteractionRow, INTERACTION_COLUMNS};
use crate::routes::patterns::{PatternRow, PATTERN_COLUMNS};
use crate::routes::products::{ProductRow, PRODUCT_COLUMNS};
use crate::semantic::{self, Kind};
use crate::{scope, App};

/// Candidates each ranking contributes before fusion and filtering.
pub const WINDOW: usize = 100;
pub const MAX_QUERY_CHARS: usize = 512;

/// Validated search parameters.
pub struct Params {
    pub query: String,
    pub mode: SearchMode,
    pub limit: usize,
    pub page: usize,
}

pub fn params(app: &App<'_>, max_limit: usize, default_limit: usize) -> Result<Params> {
    let query = app.query_param("query").map(str::trim).unwrap_or("").to_string();
    if query.is_empty() || query.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::invalid_field(
            "query",
            format!("is required, 1 to {MAX_QUERY_CHARS} characters"),
        )
        .into());
    }
    let mode = match app.query_param("mode") {
        None => SearchMode::Hybrid,
        Some(m) => m.parse::<SearchMode>().map_err(|_| {
            ApiError::invalid_field("mode", "must be one of semantic, fts, hybrid")
                .detail("allowed", vec!["semantic", "fts", "hybrid"])
        })?,
    };
    let limit = match app.query_param("limit") {
        None => default_limit,
        Some(v) => {
            v.parse::<usize>().ok().filter(|n| (1..=max_limit).contains(n)).ok_or_else(|| {
                ApiError::invalid_field(
                    "limit",
                    format!("must be an integer from 1 to {max_limit}"),
                )
                .detail("max", max_limit as u64)
            })?
        }
    };
    let page = match app.query_param("page") {
        None => 1,
        Some(v) => {
            v.parse::<usize>().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| {
                ApiError::invalid_field("page", "must be an integer from 1 to 100")
            })?
        }
    };
    Ok(Params { query, mode, limit, page })
}

/// A ranked candidate list: ids best first with their scores and optional snippets.
#[derive(Default)]
struct Ranking {
    ids: Vec<String>,
    scores: HashMap<String, f64>,
    snippets: HashMap<String, String>,
}

#[derive(Deserialize)]
struct FtsHit {
    id: String,
    rank: f64,
    snippet: Option<String>,
}

/// One FTS5 query: `sql` must select `id`, `rank` (bm25, lower is better) and `snippet`, take
/// the MATCH expression as ?1, the organization as ?2 and the window as ?3.
async fn fts(db: &Db, sql: &str, query: &str, org_id: &str) -> Result<Ranking> {
    let Some(expr) = build_match_expression(query) else { return Ok(Ranking::default()) };
    let hits: Vec<FtsHit> =
        db.all(sql, &[Arg::Text(&expr), Arg::Text(org_id), Arg::Int(WINDOW as i64)]).await?;
    let mut r = Ranking::default();
    for h in hits {
        r.scores.insert(h.id.clone(), -h.rank);
        if let Some(s) = h.snippet {
            r.snippets.insert(h.id.clone(), s);
        }
        r.ids.push(h.id);
    }
    Ok(r)
}

async fn semantic_ranking(
    app: &App<'_>,
    db: &Db,
    org_id: &str,
    kind: Kind,
    query: &str,
) -> Result<Ranking> {
    let hits = semantic::nearest(app.env, db, org_id, kind, query, WINDOW).await?;
    let mut r = Ranking::default();
    for (id, score) in hits {
        r.scores.insert(id.clone(), score as f64);
        r.ids.push(id);
    }
    Ok(r)
}

/// Ranks ids for `kind` in the requested mode.
async fn rank(
    app: &App<'_>,
    db: &Db,
    org_id: &str,
    kind: Kind,
    p: &Params,
    fts_sql: &str,
) -> Result<Ranking> {
    match p.mode {
        SearchMode::Fts => fts(db, fts_sql, &p.query, org_id).await,
        SearchMode::Semantic => semantic_ranking(app, db, org_id, kind, &p.query).await,
        SearchMode::Hybrid => {
            let text = fts(db, fts_sql, &p.query, org_id).await?;
            let vec = semantic_ranking(app, db, org_id, kind, &p.query).await?;
            let lists = [RankedList::new("fts", &text.ids), RankedList::new("semantic", &vec.ids)];
            let fused = reciprocal_rank_fusion(&lists).map_err(|e| {
                crate::error::Error::Internal(worker::Error::RustError(e.to_string()))
            })?;
            let mut r = Ranking { snippets: text.snippets, ..Ranking::default() };
            for hit in fused {
                r.scores.insert(hit.id.clone(), hit.score);
                r.ids.push(hit.id);
            }
            Ok(r)
        }
    }
}

/// Loads rows by id (scoped to the organization and `extra` filter), in ranking order.
async fn load<T: DeserializeOwned>(
    db: &Db,
    table: &str,
    columns: &str,
    org_id: &str,
    ids: &[String],
    extra: Option<(&str, &str)>,
    id_of: impl Fn(&T) -> &str,
) -> Result<Vec<T>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut params: Vec<Arg> = vec![Arg::Text(org_id)];
    let mut sql = format!("SELECT {columns} FROM {table} WHERE organization_id = ?1");
    if let Some((col, value)) = extra {
        params.push(Arg::Text(value));
        sql.push_str(&format!(" AND {col} = ?2"));
    }
    // One JSON-array parameter instead of one parameter per id: D1 allows at most 100 bound
    // parameters per statement, and a ranking window can hold 100 ids.
    let id_list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    params.push(Arg::Text(&id_list));
    sql.push_str(&format!(" AND id IN (SELECT value FROM json_each(?{}))", params.len()));
    let rows: Vec<T> = db.all(&sql, &params).await?;
    let mut by_id: HashMap<String, T> =
        rows.into_iter().map(|r| (id_of(&r).to_string(), r)).collect();
    Ok(ids.iter().filter_map(|i| by_id.remove(i)).collect())
}

/// Pages through filtered, ranked rows and renders them with score and snippet.
fn respond<T>(
    p: &Params,
    ranking: &Ranking,
    rows: Vec<T>,
    id_of: impl Fn(&T) -> &str,
    to_json: impl Fn(&T) -> Value,
) -> Result<Response> {
    let total = rows.len();
    let start = (p.page - 1) * p.limit;
    let data: Vec<Value> = rows
        .iter()
        .skip(start)
        .take(p.limit)
        .map(|r| {
            let id = id_of(r);
            let mut v = to_json(r);
            v["score"] = json!(ranking.scores.get(id).copied().unwrap_or(0.0));
            if let Some(s) = ranking.snippets.get(id) {
                v["snippet"] = json!(s);
            }
            v
        })
        .collect();
    Ok(json(
        200,
        &json!({ "query": p.query, "mode": p.mode.as_str(), "data": data, "limit": p.limit, "page": p.page, "matched": total }),
    )?)
}

/// `GET /api/v1/products/search`.
pub async fn products(app: &App<'_>) -> Result<Response> {
    let access = scope::implied_org(app, Action::Read).await?;
    let p = params(app, 50, 10)?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let ranking = rank(
        app,
        &db,
        &access.org_id,
        Kind::Product,
        &p,
        "SELECT p.id AS id, bm25(products_fts, 10.0, 2.0, 4.0, 4.0, 3.0) AS rank, snippet(products_fts, 1, '[', ']', '…', 12) AS snippet \
         FROM products_fts JOIN products p ON p.rowid = products_fts.rowid \
         WHERE products_fts MATCH ?1 AND p.organization_id = ?2 ORDER BY rank LIMIT ?3",
    )
    .await?;
    let rows: Vec<ProductRow> = load(
        &db,
        "products",
        PRODUCT_COLUMNS,
        &access.org_id,
        &ranking.ids,
        None,
        |r: &ProductRow| &r.id,
    )
    .await?;
    respond(&p, &ranking, rows, |r| &r.id, ProductRow::to_json)
}

/// `GET /api/v1/interactions/organization/:orgId/search`, optional `sourceType`.
pub async fn interactions(app: &App<'_>) -> Result<Response> {
    let access = scope::path_org(app, Action::Read).await?;
    let p = params(app, 100, 20)?;
    let source =
        app.query_param("sourceType").map(|s| SourceType::parse("sourceType", s)).transpose()?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let ranking = rank(
        app,
        &db,
        &access.org_id,
        Kind::Interaction,
        &p,
        "SELECT i.id AS id, bm25(interactions_fts, 4.0, 2.0, 1.0) AS rank, snippet(interactions_fts, 0, '[', ']', '…', 12) AS snippet \
         FROM interactions_fts JOIN interactions i ON i.rowid = interactions_fts.rowid \
         WHERE interactions_fts MATCH ?1 AND i.organization_id = ?2 ORDER BY rank LIMIT ?3",
    )
    .await?;
    let rows: Vec<InteractionRow> = load(
        &db,
        "interactions",
        INTERACTION_COLUMNS,
        &access.org_id,
        &ranking.ids,
        source.map(|s| ("source_type", s.as_str())),
        |r: &InteractionRow| &r.id,
    )
    .await?;
    respond(&p, &ranking, rows, |r| &r.id, InteractionRow::to_json)
}

/// `GET /api/v1/patterns/organization/:orgId/search`, optional `period`.
pub async fn patterns(app: &App<'_>) -> Result<Response> {
    let access = scope::path_org(app, Action::Read).await?;
    let p = params(app, 50, 20)?;
    let period = app.query_param("period").map(|s| parse_period("period", s)).transpose()?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let ranking = rank(
        app,
        &db,
        &access.org_id,
        Kind::Pattern,
        &p,
        "SELECT p.id AS id, bm25(patterns_fts, 6.0, 2.0, 1.0) AS rank, snippet(patterns_fts, 1, '[', ']', '…', 12) AS snippet \
         FROM patterns_fts JOIN patterns p ON p.rowid = patterns_fts.rowid \
         WHERE patterns_fts MATCH ?1 AND p.organization_id = ?2 ORDER BY rank LIMIT ?3",
    )
    .await?;
    let rows: Vec<PatternRow> = load(
        &db,
        "patterns",
        PATTERN_COLUMNS,
        &access.org_id,
        &ranking.ids,
        period.map(|p| ("period", p)),
        |r: &PatternRow| &r.id,
    )
    .await?;
    respond(&p, &ranking, rows, |r| &r.id, PatternRow::to_json)
}

#[derive(Deserialize)]
pub struct PassageRow {
    pub id: String,
    pub document_id: String,
    pub title: String,
    pub chunk_index: i64,
    pub text: String,
    pub char_start: i64,
    pub char_end: i64,
}

/// `GET /api/v1/qna/search`: ranked passages of the knowledge base.
pub async fn qna(app: &App<'_>) -> Result<Response> {
    let access = scope::implied_org(app, Action::Read).await?;
    let p = params(app, 20, 5)?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let ranking = rank(
        app,
        &db,
        &access.org_id,
        Kind::Chunk,
        &p,
        "SELECT c.id AS id, bm25(chunks_fts) AS rank, snippet(chunks_fts, 0, '[', ']', '…', 16) AS snippet \
         FROM chunks_fts JOIN document_chunks c ON c.rowid = chunks_fts.rowid \
         WHERE chunks_fts MATCH ?1 AND c.organization_id = ?2 ORDER BY rank LIMIT ?3",
    )
    .await?;
    let rows: Vec<PassageRow> = load(
        &db,
        "(SELECT c.id, c.organization_id, c.document_id, d.title, c.chunk_index, c.text, c.char_start, c.char_end \
          FROM document_chunks c JOIN documents d ON d.id = c.document_id)",
        "id, document_id, title, chunk_index, text, char_start, char_end",
        &access.org_id,
        &ranking.ids,
        None,
        |r: &PassageRow| &r.id,
    )
    .await?;
    respond(
        &p,
        &ranking,
        rows,
        |r| &r.id,
        |r| {
            json!({
                "documentId": r.document_id,
                "title": r.title,
                "chunkIndex": r.chunk_index,
                "text": r.text,
                "charStart": r.char_start,
                "charEnd": r.char_end,
            })
        },
    )
}
