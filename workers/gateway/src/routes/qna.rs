//! `/api/v1/qna/*`: the organization's knowledge base. Documents come from text posted here or
//! from crawler jobs; each is split into overlapping chunks (800 characters, 120 overlap) that are
//! indexed for full-text and semantic search, with their offsets into the document.

use crow_common::identity::{check_name, Action};
use crow_common::pagination::Pagination;
use crow_common::time::iso8601;
use crow_common::{ids, ApiError};
use crow_edge::{json, now_ms, read_json};
use crow_search::{chunk_text, ChunkConfig};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{D1PreparedStatement, Env, Request, Response};

use crate::db::{Arg, Db};
use crate::error::{Error, Result};
use crate::routes::list_page;
use crate::scope::{self, Owned};
use crate::semantic::{self, Kind};
use crate::{args, App};

/// Largest document accepted through the API (characters).
pub const MAX_DOCUMENT_CHARS: usize = 200_000;

fn id_failure(e: crow_common::crypto::RandomError) -> Error {
    Error::Internal(worker::Error::RustError(e.to_string()))
}

/// Statements that chunk and index a document. With `while_job_runs`, chunk rows are written
/// only if that crawler job is still running (they go in the job's final batch).
pub async fn index_statements(
    env: &Env,
    db: &Db,
    org_id: &str,
    document_id: &str,
    text: &str,
    while_job_runs: Option<&str>,
) -> Result<Vec<D1PreparedStatement>> {
    let chunks = chunk_text(text, &ChunkConfig::default())
        .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
    let now = now_ms();
    let mut statements = Vec::with_capacity(chunks.len() * 2);
    let mut items = Vec::with_capacity(chunks.len());
    for c in &chunks {
        let id = ids::new_id("chk", now).map_err(id_failure)?;
        let sql = match while_job_runs {
            None => "INSERT INTO document_chunks (id, organization_id, document_id, chunk_index, text, char_start, char_end) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            Some(_) => "INSERT INTO document_chunks (id, organization_id, document_id, chunk_index, text, char_start, char_end) \
                        SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM crawler_jobs WHERE id = ?8 AND status = 'running')",
        };
        let mut params: Vec<Arg> = vec![
            Arg::Text(&id),
            Arg::Text(org_id),
            Arg::Text(document_id),
            Arg::Int(c.index as i64),
            Arg::Text(c.text),
            Arg::Int(c.char_start as i64),
            Arg::Int(c.char_end as i64),
        ];
        if let Some(job) = while_job_runs {
            params.push(Arg::Text(job));
        }
        statements.push(db.statement(sql, &params)?);
        items.push((id, c.text.to_string()));
    }
    semantic::index_items(env, db, org_id, Kind::Chunk, items).await?;
    Ok(statements)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateDocument {
    title: String,
    text: String,
}

#[derive(Deserialize)]
struct DocumentRow {
    id: String,
    organization_id: String,
    source: String,
    source_url: Option<String>,
    title: String,
    content: String,
    created_at: i64,
    updated_at: i64,
}

const COLUMNS: &str =
    "id, organization_id, source, source_url, title, content, created_at, updated_at";

impl DocumentRow {
    fn to_json(&self, with_content: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "organizationId": self.organization_id,
            "source": self.source,
            "sourceUrl": self.source_url,
            "title": self.title,
            "characters": self.content.chars().count(),
            "createdAt": iso8601(self.created_at),
            "updatedAt": iso8601(self.updated_at),
        });
        if with_content {
            v["content"] = json!(self.content);
        }
        v
    }
}

async fn load(db: &Db, org_id: &str, id: &str) -> Result<DocumentRow> {
    db.first::<DocumentRow>(
        &format!("SELECT {COLUMNS} FROM documents WHERE id = ?1 AND organization_id = ?2"),
        args![id, org_id],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("Document").into())
}

/// `POST /api/v1/qna/documents`: the document, its chunks and their vectors in one batch.
pub async fn create(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let access = scope::implied_org(app, Action::WriteData).await?;
    let body: CreateDocument = read_json(req, 1024 * 1024).await?;
    let title = check_name("title", &body.title, 200)?;
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > MAX_DOCUMENT_CHARS {
        return Err(ApiError::invalid_field(
            "text",
            format!("must be 1 to {MAX_DOCUMENT_CHARS} characters"),
        )
        .into());
    }
    let db = Db::new(app.env, &app.ctx.meter)?;
    let now = now_ms() as i64;
    let id = ids::new_id("doc", now as u64).map_err(id_failure)?;
    let mut statements = vec![db.statement(
        "INSERT INTO documents (id, organization_id, source, title, content, created_at, updated_at) VALUES (?1, ?2, 'text', ?3, ?4, ?5, ?5)",
        args![&id, &access.org_id, &title, text, now],
    )?];
    statements.extend(index_statements(app.env, &db, &access.org_id, &id, text, None).await?);
    db.batch(statements).await?;
    let doc = load(&db, &access.org_id, &id).await?;
    let mut out = doc.to_json(false);
    out["chunks"] = json!(chunk_text(text, &ChunkConfig::default()).map(|c| c.len()).unwrap_or(0));
    Ok(json(201, &out)?)
}

pub async fn list(app: &App<'_>) -> Result<Response> {
    let access = scope::implied_org(app, Action::Read).await?;
    let page = Pagination::from_query(&app.query, 100)?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let params = vec![Arg::Text(&access.org_id)];
    let body = list_page::<DocumentRow>(
        &db,
        "documents",
        COLUMNS,
        "created_at",
        "organization_id = ?1",
        params,
        &page,
        |r| (r.created_at, r.id.as_str()),
        |r| r.to_json(false),
    )
    .await?;
    Ok(json(200, &body)?)
}

pub async fn get(app: &App<'_>) -> Result<Response> {
    let id = app.param("id")?;
    let access = scope::owned(app, Owned::Document, id, Action::Read).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    Ok(json(200, &load(&db, &access.org_id, id).await?.to_json(true))?)
}

/// Deletes a document, its chunks (cascade) and their vectors.
pub async fn delete(app: &App<'_>) -> Result<Response> {
    let id = app.param("id")?;
    let access = scope::owned(app, Owned::Document, id, Action::WriteData).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    #[derive(Deserialize)]
    struct Chunk {
        id: String,
    }
    let chunks: Vec<Chunk> = db
        .all(
            "SELECT id FROM document_chunks WHERE document_id = ?1 AND organization_id = ?2",
            args![id, &access.org_id],
        )
        .await?;
    let chunk_ids: Vec<String> = chunks.into_iter().map(|c| c.id).collect();
    semantic::unindex_items(app.env, &db, Kind::Chunk, &chunk_ids).await?;
    db.batch(vec![db.statement(
        "DELETE FROM documents WHERE id = ?1 AND organization_id = ?2",
        args![id, &access.org_id],
    )?])
    .await?;
    Ok(json(200, &json!({ "id": id, "deleted": true }))?)
}
