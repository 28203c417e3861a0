//! Which organization a data request is about, and whether the caller may touch a row.

use crow_common::identity::Action;
use crow_common::{ApiError, ErrorCode};
use serde::Deserialize;

use crate::auth::{self, Access};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::{args, App};

/// Access to the organization named in the path (`:orgId`).
pub async fn path_org(app: &App<'_>, action: Action) -> Result<Access> {
    auth::org_access(app, app.caller()?, app.param("orgId")?, action).await
}

/// Access to the organization a request without `:orgId` means: `?organizationId=` if given,
/// else the key's (or the session's active) organization.
pub async fn implied_org(app: &App<'_>, action: Action) -> Result<Access> {
    let caller = app.caller()?;
    let org = app
        .query_param("organizationId")
        .map(str::to_string)
        .or_else(|| caller.default_org().map(str::to_string))
        .ok_or_else(|| ApiError::invalid_field("organizationId", "is required when no organization is active"))?;
    auth::org_access(app, caller, &org, action).await
}

/// Tables whose rows are addressed by id (`/products/:id`, …).
#[derive(Debug, Clone, Copy)]
pub enum Owned {
    Product,
    Notification,
    CrawlerJob,
    Document,
}

impl Owned {
    fn table(self) -> &'static str {
        match self {
            Owned::Product => "products",
            Owned::Notification => "notifications",
            Owned::CrawlerJob => "crawler_jobs",
            Owned::Document => "documents",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Owned::Product => "Product",
            Owned::Notification => "Notification",
            Owned::CrawlerJob => "Crawler job",
            Owned::Document => "Document",
        }
    }
}

/// Access to the organization owning row `id`. A row in an organization the caller cannot see is
/// "not found", exactly like a missing one.
pub async fn owned(app: &App<'_>, kind: Owned, id: &str, action: Action) -> Result<Access> {
    #[derive(Deserialize)]
    struct Row {
        organization_id: String,
    }
    let not_found = || Error::from(ApiError::not_found(kind.label()));
    if id.is_empty() || id.len() > 64 {
        return Err(not_found());
    }
    let db = Db::new(app.env, &app.ctx.meter)?;
    let row: Row = db
        .first(&format!("SELECT organization_id FROM {} WHERE id = ?1", kind.table()), args![id])
        .await?
        .ok_or_else(not_found)?;
    match auth::org_access(app, app.caller()?, &row.organization_id, action).await {
        Err(Error::Api(e)) if e.code == ErrorCode::NotFound => Err(not_found()),
        other => other,
    }
}
