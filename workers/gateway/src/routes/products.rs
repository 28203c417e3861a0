//! `/api/v1/products/*`: the catalogue and its AI descriptions.

use crow_common::body::DEFAULT_JSON_LIMIT;
use crow_common::identity::Action;
use crow_common::pagination::Pagination;
use crow_common::time::iso8601;
use crow_common::{ids, ApiError};
use crow_edge::{json, now_ms, read_json};
use crow_retail::inputs::{Product, ProductInput};
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Request, Response};

use crate::ai::Describer;
use crate::db::{is_unique_violation, Arg, Db};
use crate::error::{Error, Result};
use crate::routes::list_page;
use crate::scope::{self, Owned};
use crate::semantic::{self, Kind};
use crate::{args, App};

#[derive(Debug, Deserialize)]
pub struct ProductRow {
    pub id: String,
    pub organization_id: String,
    pub sku: Option<String>,
    pub name: String,
    pub description: String,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub price_cents: Option<i64>,
    pub currency: String,
    pub tags: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub const PRODUCT_COLUMNS: &str =
    "id, organization_id, sku, name, description, category, brand, price_cents, currency, tags, created_at, updated_at";

impl ProductRow {
    pub fn product(&self) -> Product {
        Product {
            name: self.name.clone(),
            description: self.description.clone(),
            sku: self.sku.clone(),
            category: self.category.clone(),
            brand: self.brand.clone(),
            price_cents: self.price_cents,
            currency: self.currency.clone(),
            tags: serde_json::from_str(&self.tags).unwrap_or_default(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "organizationId": self.organization_id,
            "sku": self.sku,
            "name": self.name,
            "description": self.description,
            "category": self.category,
            "brand": self.brand,
            "priceCents": self.price_cents,
            "currency": self.currency,
            "tags": serde_json::from_str::<Value>(&self.tags).unwrap_or_else(|_| json!([])),
            "createdAt": iso8601(self.created_at),
            "updatedAt": iso8601(self.updated_at),
        })
    }
}

pub async fn load(db: &Db, org_id: &str, id: &str) -> Result<ProductRow> {
    db.first::<ProductRow>(
        &format!("SELECT {PRODUCT_COLUMNS} FROM products WHERE id = ?1 AND organization_id = ?2"),
        args![id, org_id],
    )
    .await?
    .ok_or_else(|| ApiError::not_found("Product").into())
}

/// The text a product is embedded from.
pub fn search_text(p: &Product) -> String {
    format!(
        "{}. {} {} {}. {}",
        p.name,
        p.brand.as_deref().unwrap_or(""),
        p.category.as_deref().unwrap_or(""),
        p.tags.join(", "),
        p.description
    )
}

fn sku_conflict() -> Error {
    ApiError::conflict("Another product of this organization has this SKU")
        .detail("field", "sku")
        .into()
}

pub async fn create(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let access = scope::implied_org(app, Action::WriteData).await?;
    let input: ProductInput = read_json(req, DEFAULT_JSON_LIMIT).await?;
    let p = input.validate(None)?;
    let now = now_ms() as i64;
    let id = ids::new_id("prd", now as u64)
        .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let tags = serde_json::to_string(&p.tags).unwrap_or_else(|_| "[]".into());
    let statements = vec![db.statement(
        "INSERT INTO products (id, organization_id, sku, name, description, category, brand, price_cents, currency, tags, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        args![&id, &access.org_id, p.sku.as_ref(), &p.name, &p.description, p.category.as_ref(), p.brand.as_ref(), p.price_cents, &p.currency, &tags, now],
    )?];
    semantic::index_items(
        app.env,
        &db,
        &access.org_id,
        Kind::Product,
        vec![(id.clone(), search_text(&p))],
    )
    .await?;
    match db.batch(statements).await {
        Err(e) if is_unique_violation(&e) => return Err(sku_conflict()),
        other => other?,
    };
    Ok(json(201, &load(&db, &access.org_id, &id).await?.to_json())?)
}

pub async fn get(app: &App<'_>) -> Result<Response> {
    let id = app.param("id")?;
    let access = scope::owned_row(app, Owned::Product, id, Action::Read).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    Ok(json(200, &load(&db, &access.org_id, id).await?.to_json())?)
}

pub async fn update(app: &App<'_>, req: &mut Request) -> Result<Response> {
    let id = app.param("id")?;
    let access = scope::owned_row(app, Owned::Product, id, Action::WriteData).await?;
    let input: ProductInput = read_json(req, DEFAULT_JSON_LIMIT).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let current = load(&db, &access.org_id, id).await?;
    let p = input.validate(Some(&current.product()))?;
    let tags = serde_json::to_string(&p.tags).unwrap_or_else(|_| "[]".into());
    let statements = vec![db.statement(
        "UPDATE products SET sku = ?1, name = ?2, description = ?3, category = ?4, brand = ?5, price_cents = ?6, currency = ?7, tags = ?8, updated_at = ?9 \
         WHERE id = ?10 AND organization_id = ?11",
        args![p.sku.as_ref(), &p.name, &p.description, p.category.as_ref(), p.brand.as_ref(), p.price_cents, &p.currency, &tags, now_ms(), id, &access.org_id],
    )?];
    semantic::index_items(
        app.env,
        &db,
        &access.org_id,
        Kind::Product,
        vec![(id.to_string(), search_text(&p))],
    )
    .await?;
    match db.batch(statements).await {
        Err(e) if is_unique_violation(&e) => return Err(sku_conflict()),
        other => other?,
    };
    Ok(json(200, &load(&db, &access.org_id, id).await?.to_json())?)
}

pub async fn delete(app: &App<'_>) -> Result<Response> {
    let id = app.param("id")?;
    let access = scope::owned(app, Owned::Product, id, Action::WriteData).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    semantic::unindex_items(app.env, &db, Kind::Product, &[id.to_string()]).await?;
    db.batch(vec![db.statement(
        "DELETE FROM products WHERE id = ?1 AND organization_id = ?2",
        args![id, &access.org_id],
    )?])
    .await?;
    Ok(json(200, &json!({ "id": id, "deleted": true }))?)
}

/// `GET /api/v1/products/organization/:orgId`: newest first, optional `category`.
pub async fn list(app: &App<'_>) -> Result<Response> {
    let access = scope::path_org(app, Action::Read).await?;
    let page = Pagination::from_query(&app.query, 100)?;
    let category = app.query_param("category").filter(|c| !c.is_empty());
    let mut filter = String::from("organization_id = ?1");
    let mut params: Vec<Arg> = vec![Arg::Text(&access.org_id)];
    if let Some(c) = category {
        params.push(Arg::Text(c));
        filter.push_str(&format!(" AND category = ?{}", params.len()));
    }
    let db = Db::new(app.env, &app.ctx.meter)?;
    let body = list_page::<ProductRow>(
        &db,
        "products",
        PRODUCT_COLUMNS,
        "created_at",
        &filter,
        params,
        &page,
        |r| (r.created_at, r.id.as_str()),
        ProductRow::to_json,
    )
    .await?;
    Ok(json(200, &body)?)
}

#[derive(Deserialize)]
struct DescriptionRow {
    style: String,
    text: String,
    model: String,
    created_at: i64,
}

async fn descriptions_json(db: &Db, org_id: &str, product_id: &str) -> Result<Value> {
    let rows: Vec<DescriptionRow> = db
        .all(
            "SELECT style, text, model, created_at FROM product_ai_descriptions WHERE product_id = ?1 AND organization_id = ?2 ORDER BY style",
            args![product_id, org_id],
        )
        .await?;
    Ok(json!({
        "productId": product_id,
        "descriptions": rows.iter().map(|r| json!({
            "style": r.style, "text": r.text, "model": r.model, "generatedAt": iso8601(r.created_at),
        })).collect::<Vec<_>>(),
    }))
}

/// `GET /api/v1/products/:id/ai-descriptions`: the stored descriptions (empty until generated).
pub async fn get_descriptions(app: &App<'_>) -> Result<Response> {
    let id = app.param("id")?;
    let access = scope::owned(app, Owned::Product, id, Action::Read).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    Ok(json(200, &descriptions_json(&db, &access.org_id, id).await?)?)
}

/// `POST /api/v1/products/:id/ai-descriptions`: (re)generates them through the AI backend and
/// replaces the stored set in one batch (a failing backend changes nothing).
pub async fn generate_descriptions(app: &App<'_>) -> Result<Response> {
    let id = app.param("id")?;
    let access = scope::owned_row(app, Owned::Product, id, Action::WriteData).await?;
    let db = Db::new(app.env, &app.ctx.meter)?;
    let product = load(&db, &access.org_id, id).await?;
    let describer = Describer::from_env(app.env)?;
    let texts = {
        let _span = app.ctx.meter.span("ai");
        describer.describe(&product.product()).await?
    };
    let now = now_ms() as i64;
    let mut statements = vec![db.statement(
        "DELETE FROM product_ai_descriptions WHERE product_id = ?1 AND organization_id = ?2",
        args![id, &access.org_id],
    )?];
    for (style, text) in &texts {
        let row_id = ids::new_id("dsc", now as u64)
            .map_err(|e| Error::Internal(worker::Error::RustError(e.to_string())))?;
        statements.push(db.statement(
            "INSERT INTO product_ai_descriptions (id, organization_id, product_id, style, text, model, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            args![&row_id, &access.org_id, id, style, text, describer.model(), now],
        )?);
    }
    db.batch(statements).await?;
    Ok(json(201, &descriptions_json(&db, &access.org_id, id).await?)?)
}
