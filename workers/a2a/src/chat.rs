//! Dashboard chat, reached only through the gateway: it forwards `/api/v1/chat/<rest>` over its
//! `A2A` service binding as `/internal/chat/<rest>` with `X-Internal-Key`, `X-Organization-Id`
//! and `X-User-Id`. Without the right internal key these paths answer 401. Sessions and messages
//! belong to one user in one organization; anyone else's ids are 404.

use crow_agent::{AgentError, Message, MAX_QUESTION_CHARS};
use crow_common::crypto::secret_eq;
use crow_common::pagination::{Cursor, Pagination};
use crow_common::ApiError;
use crow_edge::{empty, header, json, now_ms, Ctx};
use serde_json::{json, Value};
use worker::{console_error, Env, Request, Response};

use crate::agent::Caller;
use crate::store::{self, stmt, SessionRow, A};
use crate::tasks::{answer, db, new_id};

const MAX_TITLE_CHARS: usize = 200;
const DEFAULT_TITLE: &str = "New chat";
/// Earlier messages of the session given to the model.
const HISTORY_MESSAGES: i64 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRoute {
    Sessions,
    Session,
    Messages,
}

/// Who the gateway says is asking.
pub struct Principal {
    pub org_id: String,
    pub user_id: String,
}

/// Checks the internal key (constant time) and reads the forwarded identity.
pub fn principal(env: &Env, req: &Request) -> Result<Principal, ApiError> {
    let expected = crow_edge::entry::internal_key(env)?;
    let presented = header(req, "X-Internal-Key").unwrap_or_default();
    if !secret_eq(&presented, &expected) {
        return Err(ApiError::unauthorized("Internal route: a valid X-Internal-Key is required"));
    }
    let get = |name: &'static str| -> Result<String, ApiError> {
        header(req, name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .ok_or_else(|| {
                ApiError::invalid_field(name, "the forwarded identity header is required")
            })
    };
    Ok(Principal { org_id: get("X-Organization-Id")?, user_id: get("X-User-Id")? })
}

fn session_json(s: &SessionRow) -> Value {
    json!({
        "id": s.id,
        "title": s.title,
        "messageCount": s.message_count.unwrap_or(0),
        "createdAt": crow_common::time::iso8601(s.created_at),
        "updatedAt": crow_common::time::iso8601(s.updated_at),
    })
}

fn query_pairs(req: &Request) -> Vec<(String, String)> {
    req.url()
        .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
        .unwrap_or_default()
}

fn body_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    let v: Value = crow_common::body::parse_json(body)?;
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::validation("The request body must be a JSON object")),
    }
}

pub async fn handle(
    env: &Env,
    ctx: &Ctx,
    req: &Request,
    route: ChatRoute,
    session_id: Option<&str>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let who = principal(env, req)?;
    let db = db(env, ctx)?;
    let (org, user) = (who.org_id.as_str(), who.user_id.as_str());
    match (route, ctx.method.as_str()) {
        (ChatRoute::Sessions, "POST") => {
            let b = body_object(body)?;
            let title = match b.get("title") {
                None | Some(Value::Null) => DEFAULT_TITLE.to_string(),
                Some(Value::String(t))
                    if !t.trim().is_empty() && t.trim().chars().count() <= MAX_TITLE_CHARS =>
                {
                    t.trim().to_string()
                }
                Some(_) => {
                    return Err(ApiError::invalid_field(
                        "title",
                        format!(
                            "must be a non-blank string of at most {MAX_TITLE_CHARS} characters"
                        ),
                    ))
                }
            };
            let id = new_id("chs")?;
            let now = now_ms() as i64;
            store::run(&db, stmt(
                &db,
                "INSERT INTO chat_sessions (id, organization_id, user_id, title, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                &[A::Text(&id), A::Text(org), A::Text(user), A::Text(&title), A::Int(now)],
            )?)
            .await?;
            let s =
                store::get_session(&db, org, user, &id).await?.ok_or_else(ApiError::internal)?;
            json(201, &session_json(&s))
        }
        (ChatRoute::Sessions, _) => {
            let pg = Pagination::from_query(&query_pairs(req), 100)?;
            let (rows, total) = store::list_sessions(
                &db,
                org,
                user,
                pg.limit as i64,
                pg.offset() as i64,
                pg.cursor(),
            )
            .await?;
            let fetched = rows.len();
            let kept: Vec<&SessionRow> = rows.iter().take(pg.limit as usize).collect();
            let next = match pg.page() {
                Some(_) => None,
                None => pg.next_cursor(fetched, kept.last().map(|s| (s.updated_at, s.id.as_str()))),
            };
            json(
                200,
                &json!({
                    "data": kept.iter().map(|s| session_json(s)).collect::<Vec<_>>(),
                    "nextCursor": next,
                    "total": total,
                    "limit": pg.limit,
                    "page": pg.page(),
                }),
            )
        }
        (ChatRoute::Session, "DELETE") => {
            let id = session_id.unwrap_or_default();
            if store::delete_session(&db, org, user, id).await? {
                empty(204)
            } else {
                Err(ApiError::not_found("Chat session"))
            }
        }
        (ChatRoute::Session, _) => {
            let id = session_id.unwrap_or_default();
            let s = store::get_session(&db, org, user, id)
                .await?
                .ok_or_else(|| ApiError::not_found("Chat session"))?;
            json(200, &session_json(&s))
        }
        (ChatRoute::Messages, "POST") => {
            post_message(env, ctx, &db, &who, session_id.unwrap_or_default(), body).await
        }
        (ChatRoute::Messages, _) => {
            let id = session_id.unwrap_or_default();
            store::get_session(&db, org, user, id)
                .await?
                .ok_or_else(|| ApiError::not_found("Chat session"))?;
            let pairs = query_pairs(req);
            let pg = Pagination::from_query(&pairs, 100)?;
            // Messages read oldest first; the cursor is the offset of the next page.
            let offset = match pg.cursor() {
                Some(c) => c.k,
                None => pg.offset() as i64,
            };
            let (rows, total) =
                store::chat_messages(&db, org, user, id, pg.limit as i64, offset).await?;
            let more = rows.len() as u32 > pg.limit;
            let next = (more && pg.page().is_none())
                .then(|| Cursor { k: offset + pg.limit as i64, id: "offset".into() }.encode());
            json(
                200,
                &json!({
                    "data": rows.iter().take(pg.limit as usize).map(|m| m.json()).collect::<Vec<_>>(),
                    "nextCursor": next,
                    "total": total,
                    "limit": pg.limit,
                    "page": pg.page(),
                }),
            )
        }
    }
}

async fn post_message(
    env: &Env,
    ctx: &Ctx,
    db: &store::D1,
    who: &Principal,
    session_id: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (org, user) = (who.org_id.as_str(), who.user_id.as_str());
    let session = store::get_session(db, org, user, session_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Chat session"))?;
    let b = body_object(body)?;
    let content = match b.get("content") {
        Some(Value::String(c))
            if !c.trim().is_empty() && c.trim().chars().count() <= MAX_QUESTION_CHARS =>
        {
            c.trim().to_string()
        }
        _ => {
            return Err(ApiError::invalid_field(
                "content",
                format!("must be a non-blank string of at most {MAX_QUESTION_CHARS} characters"),
            ))
        }
    };
    let (earlier, _) = store::chat_messages(db, org, user, session_id, 1000, 0).await?;
    let history: Vec<Message> = earlier
        .iter()
        .rev()
        .take(HISTORY_MESSAGES as usize)
        .rev()
        .map(|m| {
            if m.role == "user" {
                Message::user(m.content.clone())
            } else {
                Message::assistant(m.content.clone())
            }
        })
        .collect();
    let caller = Caller::User { org_id: who.org_id.clone(), user_id: who.user_id.clone() };
    let a = match answer(env, ctx, caller, history, &content).await {
        Ok(a) => a,
        Err((e, _)) => {
            console_error!("chat {session_id}: the agent failed: {e}");
            return Err(match e {
                AgentError::Model { .. } => ApiError::unavailable("assistant model"),
                AgentError::NoFinalAnswer { .. } => ApiError::bad_gateway("assistant model"),
                other => ApiError::invalid_field("content", other.to_string()),
            });
        }
    };
    let now = now_ms() as i64;
    let user_msg = new_id("chm")?;
    let bot_msg = new_id("chm")?;
    let sources = serde_json::to_string(&a.sources).unwrap_or_else(|_| "[]".into());
    let calls = serde_json::to_string(&a.tool_calls).unwrap_or_else(|_| "[]".into());
    let title = if session.title == DEFAULT_TITLE {
        content.chars().take(60).collect::<String>()
    } else {
        session.title.clone()
    };
    store::batch(
        db,
        vec![
            stmt(
                db,
                "INSERT INTO chat_messages (id, session_id, organization_id, user_id, role, content, created_at) VALUES (?1, ?2, ?3, ?4, 'user', ?5, ?6)",
                &[A::Text(&user_msg), A::Text(session_id), A::Text(org), A::Text(user), A::Text(&content), A::Int(now)],
            )?,
            stmt(
                db,
                "INSERT INTO chat_messages (id, session_id, organization_id, user_id, role, content, sources, tool_calls, model, created_at) \
                 VALUES (?1, ?2, ?3, ?4, 'assistant', ?5, ?6, ?7, ?8, ?9)",
                &[A::Text(&bot_msg), A::Text(session_id), A::Text(org), A::Text(user), A::Text(&a.text), A::Text(&sources), A::Text(&calls), A::Text(&a.model), A::Int(now + 1)],
            )?,
            stmt(
                db,
                "UPDATE chat_sessions SET updated_at = ?4, title = ?5 WHERE organization_id = ?1 AND user_id = ?2 AND id = ?3",
                &[A::Text(org), A::Text(user), A::Text(session_id), A::Int(now + 1), A::Text(&title)],
            )?,
        ],
    )
    .await?;
    let (rows, _) = store::chat_messages(db, org, user, session_id, 1000, 0).await?;
    let m = rows.iter().find(|m| m.id == bot_msg).ok_or_else(ApiError::internal)?;
    json(201, &m.json())
}
