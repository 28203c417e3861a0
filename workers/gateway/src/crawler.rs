//! Crawler jobs: `/api/v1/crawler-jobs` and the Queue consumer that runs them.
//!
//! A job is written to D1 first and then sent to the `crow-crawler` queue (if sending fails the
//! row is removed again and the client gets a 503). The consumer fetches the page with a deadline
//! and a size cap, following at most five redirects (each `Location` resolved by the URL Standard
//! and put through the same SSRF check; the string fetched is always the checked one), extracts
//! title and text, stores them as a knowledge-base document, and notifies the
//! user who created the job. Every final write is conditional on the job still running, so a job
//! cancelled meanwhile stays cancelled and leaves no document behind.

use std::time::Duration;

use crow_common::body::DEFAULT_JSON_LIMIT;
use crow_common::identity::Action;
use crow_common::pagination::Pagination;
use crow_common::time::iso8601;
use crow_common::{ids, ApiError};
use crow_edge::{json, now_ms, read_json};
use crow_retail::crawl::{check_url, extract_text, redirect_target};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{
    console_error, console_log, Env, MessageBatch, MessageExt, Request, RequestInit,
    RequestRedirect, Response,
};

use crate::config;
use crate::db::{Arg, Db};
use crate::error::{Error, Result};
use crate::routes::list_page;
use crate::scope::{self, Owned};
use crate::{args, App};

/// Largest page stored (bytes of HTML or text).
pub const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;
/// Deadline for one crawl: connect, redirects and body together.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_REDIRECTS: usize = 5;
/// Active (queued or running) jobs one organization may have.
const MAX_ACTIVE_JOBS: i64 = 20;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobMessage {
    pub job_id: String,
    pub organization_id: String,
}

#[derive(Debug, Deserialize)]
struct JobRow {
    id: String,
    organization_id: String,
    created_by: Option<String>,
    url: String,
    status: String,
    progress: i64,
    error: Option<String>,
    title: Option<String>,
    bytes: Option<i64>,
    document_id: Option<String>,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

const COLUMNS: &str =
    "id, organization_id, created_by, url, status, progress, error, title, bytes, document_id, created_at, started_at, finished_at";

impl JobRow {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "organizationId": self.organization_id,
            "url": self.url,
            "status": self.status,
            "progress": self.progress,
            "error": self.error,
            "title": self.title,
            "bytes": self.bytes,
            "documentId": self.document_id,
            "createdAt": iso8601(self.created_at),
            "startedAt": self.started_at.map(iso8601),
            "finishedAt": self.finished_at.map(iso8601),
        })
    }
}

fn allow_loopback(env: &Env) -> bool {
    config::var(env, "CRAWLER_ALLOW_LOOPBACK", "false") == "true"
        && config::environment(env) != "production"
}

async fn load(db: &Db, org_id: &str, id: &str) -> Result<JobRow> {
    db.first::<JobRow>(
        &format!("SELECT {COLUMNS} FROM crawler_jobs WHERE id = ?1 AND organization_id = ?2"),
        args![id, org_id],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("Crawler job").into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateJob {
    url: String,
}

/// `POST /api/v1/crawler-jobs`: 202 with the queued job.
pub async fn create(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let access = scope::implied_org(app, Action::WriteData).await?;
    let body: CreateJob = read_json(req, DEFAULT_JSON_LIMIT).await?;
    let target = check_url(&body.url, allow_loopback(app.env))?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let now = now_ms() as i64;
    let id = ids::new_id("crj", now as u64)
        .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
    let user = app.caller()?.user_id().map(str::to_string);
    // The cap on active jobs is part of the insert: concurrent requests cannot together pass it.
    let inserted = db
        .run(
            "INSERT INTO crawler_jobs (id, organization_id, created_by, url, status, created_at, updated_at) \
             SELECT ?1, ?2, ?3, ?4, 'queued', ?5, ?5 \
             WHERE (SELECT COUNT(*) FROM crawler_jobs WHERE organization_id = ?2 AND status IN ('queued', 'running')) < ?6",
            args![&id, &access.org_id, user.as_ref(), &target.url, now, MAX_ACTIVE_JOBS],
        )
        .await?;
    if inserted == 0 {
        return Err(ApiError::conflict(format!(
            "At most {MAX_ACTIVE_JOBS} crawler jobs can be active at once"
        ))
        .detail("limit", MAX_ACTIVE_JOBS)
        .into());
    }
    let sent = match app.env.queue("CRAWLER_QUEUE") {
        Ok(q) => {
            let _span = app.ctx.meter.span("queue");
            q.send(&JobMessage { job_id: id.clone(), organization_id: access.org_id.clone() }).await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        console_error!("queueing crawler job {id} failed: {e}");
        db.run("DELETE FROM crawler_jobs WHERE id = ?1", args![&id]).await?;
        return Err(ApiError::unavailable("crawler queue").into());
    }
    Ok(json(202, &load(&db, &access.org_id, &id).await?.to_json())?)
}

/// `GET /api/v1/crawler-jobs`: the organization's jobs, newest first, optional `status`.
pub async fn list(app: &App<'_>) -> Result<Response> {
    let access = scope::implied_org(app, Action::Read).await?;
    let page = Pagination::from_query(&app.query, 100)?;
    let mut filter = String::from("organization_id = ?1");
    let mut params: Vec<Arg> = vec![Arg::Text(&access.org_id)];
    if let Some(s) = app.query_param("status") {
        if !["queued", "running", "completed", "failed", "cancelled"].contains(&s) {
            return Err(ApiError::invalid_field(
                "status",
                "must be one of queued, running, completed, failed, cancelled",
            )
            .into());
        }
        params.push(Arg::Text(s));
        filter.push_str(" AND status = ?2");
    }
    let db = Db::new(app.env, &app.ctx.meter)?;
    let body = list_page::<JobRow>(
        &db,
        "crawler_jobs",
        COLUMNS,
        "created_at",
        &filter,
        params,
        &page,
        |r| (r.created_at, r.id.as_str()),
        JobRow::to_json,
    )
    .await?;
    Ok(json(200, &body)?)
}

pub async fn get(app: &App<'_>) -> Result<Response> {
    let id = app.param("id")?;
    let access = scope::owned(app, Owned::CrawlerJob, id, Action::Read).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    Ok(json(200, &load(&db, &access.org_id, id).await?.to_json())?)
}

/// `POST /api/v1/crawler-jobs/:id/cancel`: queued or running jobs become cancelled; finished
/// ones are a 409.
pub async fn cancel(app: &App<'_>) -> Result<Response> {
    let id = app.param("id")?;
    let access = scope::owned(app, Owned::CrawlerJob, id, Action::WriteData).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let now = now_ms() as i64;
    let changed = db
        .run(
            "UPDATE crawler_jobs SET status = 'cancelled', finished_at = ?1, updated_at = ?1 \
             WHERE id = ?2 AND organization_id = ?3 AND status IN ('queued', 'running')",
            args![now, id, &access.org_id],
        )
        .await?;
    let job = load(&db, &access.org_id, id).await?;
    if changed == 0 {
        return Err(ApiError::conflict(format!("The job is already {}", job.status))
            .detail("status", job.status)
            .into());
    }
    Ok(json(200, &job.to_json())?)
}

// ---------------------------------------------------------------------------------------------
// The consumer

/// Why a crawl failed, in words stored on the job.
type CrawlError = String;

async fn read_capped(resp: &mut Response) -> std::result::Result<Vec<u8>, CrawlError> {
    let mut stream = resp.stream().map_err(|e| format!("reading the page failed: {e}"))?;
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("reading the page failed: {e}"))?;
        if buf.len() + chunk.len() > MAX_PAGE_BYTES {
            return Err(format!("the page is larger than {} bytes", MAX_PAGE_BYTES));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

async fn fetch_page(
    start: &str,
    allow_loopback: bool,
) -> std::result::Result<(String, Vec<u8>), CrawlError> {
    // Every hop fetches exactly `target.url`, the serialisation that passed `check_url`.
    let mut target = check_url(start, allow_loopback)
        .map_err(|e| format!("refused target {start}: {}", e.message))?;
    for hop in 0..=MAX_REDIRECTS {
        let url = target.url.as_str();
        let headers = worker::Headers::new();
        let _ = headers.set("User-Agent", "CrowCrawler/1.0 (+https://crowai.dev)");
        let _ = headers.set("Accept", "text/html, text/plain;q=0.9");
        let mut init = RequestInit::new();
        init.with_redirect(RequestRedirect::Manual).with_headers(headers);
        let req = Request::new_with_init(url, &init).map_err(|e| format!("bad URL {url}: {e}"))?;
        let mut resp = worker::Fetch::Request(req)
            .send()
            .await
            .map_err(|e| format!("fetching {url} failed: {e}"))?;
        let status = resp.status_code();
        if (300..400).contains(&status) {
            if hop == MAX_REDIRECTS {
                break;
            }
            let location = resp
                .headers()
                .get("Location")
                .ok()
                .flatten()
                .ok_or_else(|| format!("redirect {status} without Location"))?;
            target = redirect_target(url, &location, allow_loopback)
                .map_err(|e| format!("refused redirect from {url} to {location}: {}", e.message))?;
            continue;
        }
        if !(200..300).contains(&status) {
            return Err(format!("the site answered HTTP {status}"));
        }
        let ct = resp
            .headers()
            .get("Content-Type")
            .ok()
            .flatten()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !(ct.is_empty()
            || ct.starts_with("text/html")
            || ct.starts_with("text/plain")
            || ct.starts_with("application/xhtml"))
        {
            return Err(format!("unsupported content type {ct}"));
        }
        if let Some(len) = resp
            .headers()
            .get("Content-Length")
            .ok()
            .flatten()
            .and_then(|l| l.parse::<usize>().ok())
        {
            if len > MAX_PAGE_BYTES {
                return Err(format!("the page is larger than {} bytes", MAX_PAGE_BYTES));
            }
        }
        let body = read_capped(&mut resp).await?;
        return Ok((target.url, body));
    }
    Err(format!("more than {MAX_REDIRECTS} redirects"))
}

/// Fetches with a deadline covering redirects and the body.
async fn fetch_with_deadline(
    url: &str,
    allow_loopback: bool,
) -> std::result::Result<(String, Vec<u8>), CrawlError> {
    crow_edge::deadline(fetch_page(url, allow_loopback), FETCH_TIMEOUT)
        .await
        .unwrap_or_else(|| Err(format!("timed out after {} s", FETCH_TIMEOUT.as_secs())))
}

async fn finish_job(
    env: &Env,
    db: &Db,
    job: &JobRow,
    outcome: std::result::Result<(String, Vec<u8>), CrawlError>,
) -> Result<()> {
    let now = now_ms() as i64;
    let running = "EXISTS (SELECT 1 FROM crawler_jobs WHERE id = ?1 AND status = 'running')";
    let extracted = outcome.and_then(|(final_url, bytes)| {
        let html = String::from_utf8_lossy(&bytes);
        let page = extract_text(&html);
        if page.text.trim().is_empty() {
            Err("the page has no text".to_string())
        } else {
            Ok((final_url, page, bytes.len()))
        }
    });
    let mut statements = Vec::new();
    let (kind, title, body, data) = match &extracted {
        Ok((final_url, page, size)) => {
            let doc_id = ids::new_id("doc", now as u64)
                .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
            let title = if page.title.is_empty() {
                final_url.clone()
            } else {
                page.title.chars().take(200).collect()
            };
            statements.push(db.statement(
                &format!(
                    "INSERT INTO documents (id, organization_id, source, source_url, title, content, created_at, updated_at) \
                     SELECT ?2, ?3, 'crawler', ?4, ?5, ?6, ?7, ?7 WHERE {running}"
                ),
                args![&job.id, &doc_id, &job.organization_id, final_url, &title, &page.text, now],
            )?);
            // Its passages and their vectors, in the same batch and under the same condition.
            statements.extend(
                crate::routes::qna::index_statements(
                    env,
                    db,
                    &job.organization_id,
                    &doc_id,
                    &page.text,
                    Some(&job.id),
                )
                .await?,
            );
            statements.push(db.statement(
                "UPDATE crawler_jobs SET status = 'completed', progress = 100, title = ?2, bytes = ?3, document_id = ?4, finished_at = ?5, updated_at = ?5 \
                 WHERE id = ?1 AND status = 'running'",
                args![&job.id, &title, *size as u64, &doc_id, now],
            )?);
            (
                "crawler.completed",
                format!("Crawl finished: {title}"),
                format!("{} is now in the knowledge base.", job.url),
                json!({ "jobId": job.id, "documentId": doc_id }),
            )
        }
        Err(reason) => {
            statements.push(db.statement(
                "UPDATE crawler_jobs SET status = 'failed', error = ?2, finished_at = ?3, updated_at = ?3 WHERE id = ?1 AND status = 'running'",
                args![&job.id, reason, now],
            )?);
            (
                "crawler.failed",
                "Crawl failed".to_string(),
                format!("{}: {reason}", job.url),
                json!({ "jobId": job.id, "error": reason }),
            )
        }
    };
    if let Some(user) = &job.created_by {
        let ntf = ids::new_id("ntf", now as u64)
            .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
        // Inserted before the job update in the batch, conditional on the job still running.
        statements.insert(
            statements.len() - 1,
            db.statement(
                &format!(
                    "INSERT INTO notifications (id, organization_id, user_id, kind, title, body, data, created_at) \
                     SELECT ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE {running}"
                ),
                args![&job.id, &ntf, &job.organization_id, user, kind, &title, &body, &data.to_string(), now],
            )?,
        );
    }
    db.batch(statements).await?;
    Ok(())
}

async fn run_job(env: &Env, msg: &JobMessage) -> Result<()> {
    let db = Db::new(env, &crow_edge::Meter::new())?;
    let now = now_ms() as i64;
    let started = db
        .run(
            "UPDATE crawler_jobs SET status = 'running', progress = 10, attempts = attempts + 1, started_at = ?1, updated_at = ?1 \
             WHERE id = ?2 AND organization_id = ?3 AND status = 'queued'",
            args![now, &msg.job_id, &msg.organization_id],
        )
        .await?;
    if started == 0 {
        // Cancelled, finished, or unknown: nothing to do.
        return Ok(());
    }
    let job = load(&db, &msg.organization_id, &msg.job_id).await?;
    let outcome = fetch_with_deadline(&job.url, allow_loopback(env)).await;
    console_log!(
        "crawler job {} finished: {}",
        job.id,
        if outcome.is_ok() { "ok" } else { "failed" }
    );
    finish_job(env, &db, &job, outcome).await
}

/// The Queue consumer. A message whose job cannot be recorded (D1 unavailable) is retried by the
/// queue; everything else is acknowledged, with the outcome on the job row.
pub async fn consume(batch: MessageBatch<JobMessage>, env: Env) -> worker::Result<()> {
    for message in batch.messages()? {
        match run_job(&env, message.body()).await {
            Ok(()) => message.ack(),
            Err(e) => {
                console_error!("crawler job {} could not be recorded: {e}", message.body().job_id);
                message.retry();
            }
        }
    }
    Ok(())
}
