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
        .ok_or_else(|| {
            ApiError::invalid_field("organizationId", "is required when no organization is active")
        })?;
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

/// Access for a handler that reads row `id` with `WHERE id = ? AND organization_id = ?` and
/// answers 404 itself when nothing comes back. A caller bound to one organization without a
/// role (an API key, an internal call scoped to an organization) can only ever reach that
/// organization's rows, so no lookup of the row's owner is needed: one D1 round trip saved on
/// the hottest reads. Everyone else goes through `owned`.
pub async fn owned_row(app: &App<'_>, kind: Owned, id: &str, action: Action) -> Result<Access> {
    let caller = app.caller()?;
    let bound = match &caller.principal {
        auth::Principal::ApiKey { org_id, .. } => Some(org_id),
        auth::Principal::Internal { org_id: Some(org_id), user_id: None } => Some(org_id),
        _ => None,
    };
    match bound {
        Some(org_id) => as_row_not_found(kind, auth::org_access(app, caller, org_id, action).await),
        None => owned(app, kind, id, action).await,
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
    as_row_not_found(kind, auth::org_access(app, app.caller()?, &row.organization_id, action).await)
}

/// An organization the caller cannot see makes its rows "not found" under the row's own name.
fn as_row_not_found(kind: Owned, access: Result<Access>) -> Result<Access> {
    match access {
        Err(Error::Api(e)) if e.code == ErrorCode::NotFound => {
            Err(ApiError::not_found(kind.label()).into())
        }
        other => other,
    }
}
