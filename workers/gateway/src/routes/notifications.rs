//! `/api/v1/notifications/*`: the signed-in user's notifications. The system creates them on
//! events (crawler jobs finishing; billing changes later) through [`notify`].

use crow_common::pagination::Pagination;
use crow_common::time::iso8601;
use crow_common::ApiError;
use crow_edge::{json, now_ms};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::Response;

use crate::db::{Arg, Db};
use crate::error::Result;
use crate::routes::list_page;
use crate::scope::{self, Owned};
use crate::{args, App};

#[derive(Debug, Deserialize)]
struct NotificationRow {
    id: String,
    organization_id: String,
    kind: String,
    title: String,
    body: String,
    data: String,
    read_at: Option<i64>,
    created_at: i64,
}

const COLUMNS: &str = "id, organization_id, kind, title, body, data, read_at, created_at";

impl NotificationRow {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "organizationId": self.organization_id,
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "data": serde_json::from_str::<Value>(&self.data).unwrap_or_else(|_| json!({})),
            "read": self.read_at.is_some(),
            "readAt": self.read_at.map(iso8601),
            "createdAt": iso8601(self.created_at),
        })
    }
}

/// `GET /api/v1/notifications?unread=true|false`: newest first.
pub async fn list(app: &App<'_>) -> Result<Response> {
    let user_id = app.caller()?.require_user()?;
    let page = Pagination::from_query(&app.query, 100)?;
    let mut filter = String::from("user_id = ?1");
    let params: Vec<Arg> = vec![Arg::Text(user_id)];
    match app.query_param("unread") {
        None => {}
        Some("true") => filter.push_str(" AND read_at IS NULL"),
        Some("false") => filter.push_str(" AND read_at IS NOT NULL"),
        Some(_) => return Err(ApiError::invalid_field("unread", "must be true or false").into()),
    }
    let db = Db::new(app.env, &app.ctx.meter)?;
    let body = list_page::<NotificationRow>(
        &db,
        "notifications",
        COLUMNS,
        "created_at",
        &filter,
        params,
        &page,
        |r| (r.created_at, r.id.as_str()),
        NotificationRow::to_json,
    )
    .await?;
    Ok(json(200, &body)?)
}

pub async fn unread_count(app: &App<'_>) -> Result<Response> {
    let user_id = app.caller()?.require_user()?;
    #[derive(Deserialize)]
    struct N {
        n: u64,
    }
    let db = Db::new(app.env, &app.ctx.meter)?;
    let n: Option<N> = db
        .first(
            "SELECT COUNT(*) AS n FROM notifications WHERE user_id = ?1 AND read_at IS NULL",
            args![user_id],
        )
        .await?;
    Ok(json(200, &json!({ "unread": n.map(|n| n.n).unwrap_or(0) }))?)
}

/// `POST /api/v1/notifications/:id/read`. Other users' notifications are not found.
pub async fn mark_read(app: &App<'_>) -> Result<Response> {
    let id = app.param("id")?;
    scope::owned(app, Owned::Notification, id, crow_common::identity::Action::Read).await?;
    let user_id = app.caller()?.require_user()?.to_string();
    let db = Db::new(app.env, &app.ctx.meter)?;
    let changed = db
        .run("UPDATE notifications SET read_at = COALESCE(read_at, ?1) WHERE id = ?2 AND user_id = ?3", args![now_ms(), id, &user_id])
        .await?;
    if changed == 0 {
        return Err(ApiError::not_found("Notification").into());
    }
    let row: NotificationRow = db
        .first(
            &format!("SELECT {COLUMNS} FROM notifications WHERE id = ?1 AND user_id = ?2"),
            args![id, &user_id],
        )
        .await?
        .ok_or_else(|| ApiError::not_found("Notification"))?;
    Ok(json(200, &row.to_json())?)
}

pub async fn mark_all_read(app: &App<'_>) -> Result<Response> {
    let user_id = app.caller()?.require_user()?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let n = db
        .run(
            "UPDATE notifications SET read_at = ?1 WHERE user_id = ?2 AND read_at IS NULL",
            args![now_ms(), user_id],
        )
        .await?;
    Ok(json(200, &json!({ "marked": n }))?)
}
