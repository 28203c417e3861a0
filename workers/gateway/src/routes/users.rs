//! `/api/v1/users/*`: the signed-in user's profile, preferences and profile picture (R2).

use crow_common::identity::{check_name, NAME_MAX};
use crow_common::time::iso8601;
use crow_common::ApiError;
use crow_edge::{header, json, now_ms, read_body, read_json};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Headers, Request, Response};

use crate::auth::Principal;
use crate::db::Db;
use crate::error::{DependencyExt, Result};
use crate::routes::auth::load_user;
use crate::{args, App};

/// Preferences are one JSON object of at most this many bytes.
pub const PREFERENCES_LIMIT: usize = 16 * 1024;
/// Profile pictures: at most 2 MiB of PNG, JPEG, WebP or GIF.
pub const PICTURE_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Debug, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub active_organization_id: Option<String>,
    pub image_content_type: Option<String>,
    pub image_updated_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn user_json(u: &UserRow) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "image": u.image_content_type.as_ref().map(|_| format!("/api/v1/users/{}/picture?v={}", u.id, u.image_updated_at.unwrap_or(0))),
        "activeOrganizationId": u.active_organization_id,
        "createdAt": iso8601(u.created_at),
        "updatedAt": iso8601(u.updated_at),
    })
}

pub async fn me(app: &App<'_>) -> Result<Response> {
    let user_id = app.caller()?.require_user()?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    Ok(json(200, &user_json(&load_user(&db, user_id).await?))?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateMe {
    name: Option<String>,
}

pub async fn update_me(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let user_id = app.caller()?.require_user()?;
    let body: UpdateMe = read_json(req, 4096).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    if let Some(name) = body.name {
        let name = check_name("name", &name, NAME_MAX)?;
        db.run(
            "UPDATE users SET name = ?1, updated_at = ?2 WHERE id = ?3",
            args![&name, now_ms(), user_id],
        )
        .await?;
    }
    Ok(json(200, &user_json(&load_user(&db, user_id).await?))?)
}

pub async fn get_preferences(app: &App<'_>) -> Result<Response> {
    let user_id = app.caller()?.require_user()?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    #[derive(Deserialize)]
    struct Doc {
        document: String,
        updated_at: i64,
    }
    let doc: Option<Doc> = db
        .first(
            "SELECT document, updated_at FROM user_preferences WHERE user_id = ?1",
            args![user_id],
        )
        .await?;
    let (preferences, updated) = match doc {
        Some(d) => (
            serde_json::from_str::<Value>(&d.document).unwrap_or_else(|_| json!({})),
            Some(iso8601(d.updated_at)),
        ),
        None => (json!({}), None),
    };
    Ok(json(200, &json!({ "preferences": preferences, "updatedAt": updated }))?)
}

/// Replaces the preferences document. It must be a JSON object, at most 16 KiB, at most 8 levels
/// deep.
pub async fn put_preferences(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let user_id = app.caller()?.require_user()?.to_string();
    let doc: Value = read_json(req, PREFERENCES_LIMIT).await?;
    if !doc.is_object() {
        return Err(ApiError::invalid_field("body", "preferences must be a JSON object").into());
    }
    fn depth(v: &Value) -> usize {
        match v {
            Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
            Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }
    if depth(&doc) > 8 {
        return Err(ApiError::invalid_field("body", "preferences may nest at most 8 levels").into());
    }
    let text = doc.to_string();
    let now = now_ms();
    let db = Db::new(app.env, &app.ctx.meter)?;
    db.run(
        "INSERT INTO user_preferences (user_id, document, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT(user_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at",
        args![&user_id, &text, now],
    )
    .await?;
    Ok(json(200, &json!({ "preferences": doc, "updatedAt": iso8601(now as i64) }))?)
}

/// The image type from the file's first bytes; the declared `Content-Type` must agree.
fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else {
        None
    }
}

fn picture_key(user_id: &str) -> String {
    format!("users/{user_id}/picture")
}

pub async fn put_picture(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let user_id = app.caller()?.require_user()?.to_string();
    let declared = header(req, "Content-Type").unwrap_or_default();
    let declared = declared.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let bytes = read_body(req, PICTURE_LIMIT).await?;
    if bytes.is_empty() {
        return Err(ApiError::invalid_field("body", "an image is required").into());
    }
    let sniffed = sniff_image(&bytes).ok_or_else(|| {
        ApiError::new(
            crow_common::ErrorCode::UnsupportedMediaType,
            "The picture must be a PNG, JPEG, WebP or GIF image",
        )
        .detail("field", "body")
    })?;
    if declared != sniffed {
        return Err(ApiError::invalid_field(
            "Content-Type",
            format!("declared {declared:?} but the data is {sniffed}"),
        )
        .into());
    }
    let bucket = app.env.bucket("MEDIA").dep("object storage")?;
    let size = bytes.len();
    bucket
        .put(picture_key(&user_id), bytes)
        .http_metadata(worker::HttpMetadata {
            content_type: Some(sniffed.to_string()),
            ..Default::default()
        })
        .execute()
        .await
        .dep("object storage")?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let now = now_ms();
    db.run(
        "UPDATE users SET image_content_type = ?1, image_size = ?2, image_updated_at = ?3, updated_at = ?3 WHERE id = ?4",
        args![sniffed, size as u64, now, &user_id],
    )
    .await?;
    Ok(json(200, &user_json(&load_user(&db, &user_id).await?))?)
}

pub async fn delete_picture(app: &App<'_>) -> Result<Response> {
    let user_id = app.caller()?.require_user()?.to_string();
    let bucket = app.env.bucket("MEDIA").dep("object storage")?;
    bucket.delete(picture_key(&user_id)).await.dep("object storage")?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    db.run(
        "UPDATE users SET image_content_type = NULL, image_size = NULL, image_updated_at = NULL, updated_at = ?1 WHERE id = ?2",
        args![now_ms(), &user_id],
    )
    .await?;
    Ok(json(200, &user_json(&load_user(&db, &user_id).await?))?)
}

/// A user's picture, visible to the user and to members of an organization they share;
/// anyone else gets the same 404 as for a user without a picture.
pub async fn get_picture(app: &App<'_>) -> Result<Response> {
    let caller = app.caller()?;
    // `/api/v1/users/me/picture` means the caller's own picture.
    let target = match app.param("userId")? {
        "me" => caller.user_id().ok_or_else(|| ApiError::not_found("Picture"))?,
        id => id,
    };
    let db = Db::new(app.env, &app.ctx.meter)?;
    // A user sees pictures of people they share an organization with. An API key (or another
    // worker acting for an organization) acts for its organization only: it sees its members'
    // pictures, never those of people its creator knows from elsewhere.
    let person = match &caller.principal {
        Principal::Session { user_id, .. } => Some(user_id.as_str()),
        Principal::Internal { org_id: None, user_id } => user_id.as_deref(),
        _ => None,
    };
    let visible = match (person, caller.default_org()) {
        (Some(me), _) if me == target => true,
        (Some(me), _) => db
            .first::<Value>(
                "SELECT 1 AS ok FROM memberships a JOIN memberships b ON a.organization_id = b.organization_id \
                 WHERE a.user_id = ?1 AND b.user_id = ?2 LIMIT 1",
                args![me, target],
            )
            .await?
            .is_some(),
        (None, Some(org)) => db
            .first::<Value>(
                "SELECT 1 AS ok FROM memberships WHERE organization_id = ?1 AND user_id = ?2",
                args![org, target],
            )
            .await?
            .is_some(),
        (None, None) => false,
    };
    let not_found = || ApiError::not_found("Picture");
    if !visible {
        return Err(not_found().into());
    }
    let bucket = app.env.bucket("MEDIA").dep("object storage")?;
    let object = bucket
        .get(picture_key(target))
        .execute()
        .await
        .dep("object storage")?
        .ok_or_else(not_found)?;
    let content_type =
        object.http_metadata().content_type.unwrap_or_else(|| "application/octet-stream".into());
    let body = object.body().ok_or_else(not_found)?.bytes().await.dep("object storage")?;
    let headers = Headers::new();
    let _ = headers.set("Content-Type", &content_type);
    let _ = headers.set("Cache-Control", "private, max-age=300");
    Ok(Response::from_bytes(body).dep("response")?.with_headers(headers))
}
