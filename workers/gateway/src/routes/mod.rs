pub mod analytics;
pub mod auth;
pub mod chat;
pub mod health;
pub mod interactions;
pub mod notifications;
pub mod orgs;
pub mod patterns;
pub mod products;
pub mod qna;
pub mod search;
pub mod users;

use crow_common::pagination::Pagination;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::db::{Arg, Db};
use crate::error::{DependencyExt, Result};

/// One page of a list, newest first by `sort_col` then id, and the total matching `filter`.
/// Fetches `limit + 1` rows so the caller can tell whether there is a next page; both queries go
/// to D1 in one batch.
async fn keyset_page<T: DeserializeOwned>(
    db: &Db,
    table: &str,
    columns: &str,
    sort_col: &str,
    filter: &str,
    params: Vec<Arg<'_>>,
    page: &Pagination,
) -> Result<(Vec<T>, u64)> {
    let count_sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {filter}");
    let count = db.statement(&count_sql, &params)?;
    let mut params = params;
    let mut where_clause = filter.to_string();
    if let Some(c) = page.cursor() {
        let (k, id) = (params.len() + 1, params.len() + 2);
        where_clause
            .push_str(&format!(" AND ({sort_col} < ?{k} OR ({sort_col} = ?{k} AND id < ?{id}))"));
        params.push(Arg::Int(c.k));
        params.push(Arg::Text(&c.id));
    }
    let (lim, off) = (params.len() + 1, params.len() + 2);
    params.push(Arg::Int(page.limit as i64 + 1));
    params.push(Arg::Int(page.offset() as i64));
    let rows_sql =
        format!("SELECT {columns} FROM {table} WHERE {where_clause} ORDER BY {sort_col} DESC, id DESC LIMIT ?{lim} OFFSET ?{off}");
    let rows = db.statement(&rows_sql, &params)?;
    let results = db.read_batch(vec![rows, count]).await?;
    #[derive(Deserialize)]
    struct N {
        n: u64,
    }
    let mut it = results.into_iter();
    let rows: Vec<T> = match it.next() {
        Some(r) => r.results().dep("database")?,
        None => Vec::new(),
    };
    let total = match it.next() {
        Some(r) => r.results::<N>().dep("database")?.first().map(|n| n.n).unwrap_or(0),
        None => 0,
    };
    Ok((rows, total))
}

/// One page as the list envelope every list endpoint returns: `data`, `nextCursor` (null on the
/// last page), `total`, `limit`, `page`. `key` gives a row's sort key and id (for the cursor).
#[allow(clippy::too_many_arguments)]
pub async fn list_page<T: DeserializeOwned>(
    db: &Db,
    table: &str,
    columns: &str,
    sort_col: &str,
    filter: &str,
    params: Vec<Arg<'_>>,
    page: &Pagination,
    key: impl Fn(&T) -> (i64, &str),
    to_json: impl Fn(&T) -> Value,
) -> Result<Value> {
    let (rows, total) =
        keyset_page::<T>(db, table, columns, sort_col, filter, params, page).await?;
    let kept = &rows[..rows.len().min(page.limit as usize)];
    let next = page.next_cursor(rows.len(), kept.last().map(&key));
    Ok(json!({
        "data": kept.iter().map(to_json).collect::<Vec<_>>(),
        "nextCursor": next,
        "total": total,
        "limit": page.limit,
        "page": page.page(),
    }))
}
