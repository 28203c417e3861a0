//! D1 access (the worker's own `crow-a2a` database, binding `DB`). Every statement names the
//! caller's organization (and, for chat, the user): another tenant's ids read as "not found".

use crow_common::pagination::Cursor;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::D1PreparedStatement;

use crate::error::Error;
use crate::protocol::{Part, StoredMessage, StoredTask};

pub use crow_edge::d1::{Arg as A, D1};

pub fn stmt(db: &D1, sql: &str, args: &[A]) -> Result<D1PreparedStatement, Error> {
    Ok(db.statement(sql, args)?)
}

pub async fn all<T: for<'de> Deserialize<'de>>(
    db: &D1,
    s: D1PreparedStatement,
) -> Result<Vec<T>, Error> {
    Ok(db.all_of(&s).await?)
}

pub async fn first<T: for<'de> Deserialize<'de>>(
    db: &D1,
    s: D1PreparedStatement,
) -> Result<Option<T>, Error> {
    Ok(db.first_of(&s).await?)
}

pub async fn run(db: &D1, s: D1PreparedStatement) -> Result<u64, Error> {
    Ok(db.run_of(&s).await?)
}

pub async fn batch(db: &D1, stmts: Vec<D1PreparedStatement>) -> Result<(), Error> {
    db.batch(stmts).await?;
    Ok(())
}

fn parse(text: &Option<String>, default: Value) -> Value {
    text.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// A2A tasks
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct TaskRow {
    id: String,
    context_id: String,
    state: String,
    status_text: Option<String>,
    answer: Option<String>,
    sources: Option<String>,
    tool_calls: Option<String>,
    model: Option<String>,
    metadata: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TaskRow {
    fn into_task(self, history: Vec<StoredMessage>) -> StoredTask {
        StoredTask {
            sources: parse(&self.sources, json!([])),
            tool_calls: parse(&self.tool_calls, json!([])),
            metadata: parse(&self.metadata, json!({})),
            id: self.id,
            context_id: self.context_id,
            state: self.state,
            status_text: self.status_text,
            answer: self.answer,
            model: self.model,
            created_at: self.created_at,
            updated_at: self.updated_at,
            history,
        }
    }
}

#[derive(Deserialize)]
struct MessageRow {
    id: String,
    task_id: String,
    context_id: String,
    role: String,
    parts: String,
}

impl MessageRow {
    fn into_message(self) -> StoredMessage {
        StoredMessage {
            parts: serde_json::from_str(&self.parts).unwrap_or_default(),
            id: self.id,
            task_id: self.task_id,
            context_id: self.context_id,
            role: self.role,
        }
    }
}

const TASK_COLUMNS: &str =
    "id, context_id, state, status_text, answer, sources, tool_calls, model, metadata, created_at, updated_at";

/// A task about to be created.
pub struct NewTask<'a> {
    pub org: &'a str,
    pub key_id: Option<&'a str>,
    pub task_id: &'a str,
    pub context_id: &'a str,
    pub message_id: &'a str,
    pub text: &'a str,
    pub metadata: &'a Value,
    pub now: i64,
}

/// A new task in `working` state with the caller's message as its first history entry.
pub fn insert_task(db: &D1, t: &NewTask<'_>) -> Result<Vec<D1PreparedStatement>, Error> {
    let NewTask { org, key_id, task_id, context_id, message_id, text, metadata, now } = *t;
    let meta = metadata.to_string();
    let parts =
        serde_json::to_string(&vec![Part::Text(text.to_string())]).unwrap_or_else(|_| "[]".into());
    Ok(vec![
        stmt(
            db,
            "INSERT INTO a2a_tasks (id, organization_id, context_id, key_id, state, metadata, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, 'working', ?5, ?6, ?6)",
            &[task_id.into(), org.into(), context_id.into(), key_id.into(), (&meta).into(), now.into()],
        )?,
        stmt(
            db,
            "INSERT INTO a2a_messages (id, task_id, organization_id, context_id, seq, role, parts, created_at) \
             VALUES (?1, ?2, ?3, ?4, 1, 'user', ?5, ?6)",
            &[message_id.into(), task_id.into(), org.into(), context_id.into(), (&parts).into(), now.into()],
        )?,
    ])
}

/// How a run ended.
pub struct Outcome<'a> {
    pub state: &'a str,
    pub status_text: Option<&'a str>,
    pub answer: Option<&'a str>,
    pub sources: Value,
    pub tool_calls: Value,
    pub model: &'a str,
}

/// Records the outcome (only while the task is still `working`, so a cancel wins) and, for an
/// answer, the agent's message.
pub async fn finish_task(
    db: &D1,
    org: &str,
    task_id: &str,
    context_id: &str,
    agent_message_id: &str,
    o: &Outcome<'_>,
    now: i64,
) -> Result<(), Error> {
    let sources = o.sources.to_string();
    let calls = o.tool_calls.to_string();
    let mut stmts = vec![stmt(
        db,
        "UPDATE a2a_tasks SET state = ?3, status_text = ?4, answer = ?5, sources = ?6, tool_calls = ?7, model = ?8, updated_at = ?9 \
         WHERE organization_id = ?1 AND id = ?2 AND state = 'working'",
        &[org.into(), task_id.into(), o.state.into(), o.status_text.into(), o.answer.into(), (&sources).into(), (&calls).into(), o.model.into(), now.into()],
    )?];
    if let Some(answer) = o.answer {
        let parts = serde_json::to_string(&vec![Part::Text(answer.to_string())])
            .unwrap_or_else(|_| "[]".into());
        stmts.push(stmt(
            db,
            "INSERT INTO a2a_messages (id, task_id, organization_id, context_id, seq, role, parts, created_at) \
             SELECT ?1, ?2, ?3, ?4, 2, 'agent', ?5, ?6 WHERE EXISTS \
             (SELECT 1 FROM a2a_tasks WHERE organization_id = ?3 AND id = ?2 AND state = 'completed')",
            &[agent_message_id.into(), task_id.into(), org.into(), context_id.into(), (&parts).into(), now.into()],
        )?);
    }
    batch(db, stmts).await
}

/// A task with its messages, in one round trip (both reads in one D1 batch).
pub async fn get_task(db: &D1, org: &str, id: &str) -> Result<Option<StoredTask>, Error> {
    let task = stmt(
        db,
        &format!("SELECT {TASK_COLUMNS} FROM a2a_tasks WHERE organization_id = ?1 AND id = ?2"),
        &[org.into(), id.into()],
    )?;
    let messages = stmt(
        db,
        "SELECT id, task_id, context_id, role, parts FROM a2a_messages WHERE organization_id = ?1 AND task_id = ?2 ORDER BY seq",
        &[org.into(), id.into()],
    )?;
    let results = db.results(vec![task, messages]).await?;
    let [task, messages] = results.as_slice() else {
        return Err(Error::Runtime {
            what: "reading a task",
            source: worker::Error::RustError(
                "D1 batch returned the wrong number of results".into(),
            ),
        });
    };
    let row: Option<TaskRow> =
        task.results::<TaskRow>().map_err(Error::db("reading a task"))?.into_iter().next();
    let Some(row) = row else { return Ok(None) };
    let msgs: Vec<MessageRow> =
        messages.results::<MessageRow>().map_err(Error::db("reading a task's messages"))?;
    Ok(Some(row.into_task(msgs.into_iter().map(MessageRow::into_message).collect())))
}

/// The conversation so far in a context (oldest first, at most `limit` messages), for the loop.
pub async fn context_history(
    db: &D1,
    org: &str,
    context_id: &str,
    except_task: &str,
    limit: i64,
) -> Result<Vec<(String, String)>, Error> {
    let rows: Vec<MessageRow> = all(db, stmt(
        db,
        "SELECT id, task_id, context_id, role, parts FROM (SELECT * FROM a2a_messages WHERE organization_id = ?1 AND context_id = ?2 \
         AND task_id != ?4 ORDER BY created_at DESC, seq DESC LIMIT ?3) ORDER BY created_at, seq",
        &[org.into(), context_id.into(), limit.into(), except_task.into()],
    )?)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let m = r.into_message();
            let text = m
                .parts
                .iter()
                .filter_map(|p| if let Part::Text(t) = p { Some(t.as_str()) } else { None })
                .collect::<Vec<_>>()
                .join("\n");
            (m.role, text)
        })
        .collect())
}

/// `ListTasks` filters.
pub struct ListQuery<'a> {
    pub context_id: Option<&'a str>,
    pub state: Option<&'a str>,
    pub after_ms: Option<i64>,
    pub page_size: i64,
    pub cursor: Option<Cursor>,
    pub with_history: bool,
}

/// One page of tasks, newest status first; returns (tasks, total, next page token).
pub async fn list_tasks(
    db: &D1,
    org: &str,
    q: &ListQuery<'_>,
) -> Result<(Vec<StoredTask>, i64, String), Error> {
    let filter =
        "organization_id = ?1 AND (?2 IS NULL OR context_id = ?2) AND (?3 IS NULL OR state = ?3) \
                  AND (?4 IS NULL OR updated_at > ?4)";
    let base = || -> Vec<A> {
        vec![
            org.into(),
            q.context_id.into(),
            q.state.into(),
            q.after_ms.map(A::Int).unwrap_or(A::Null),
        ]
    };
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let total = first::<Count>(
        db,
        stmt(db, &format!("SELECT COUNT(*) AS n FROM a2a_tasks WHERE {filter}"), &base())?,
    )
    .await?
    .map(|c| c.n)
    .unwrap_or(0);
    let (ck, cid) = match &q.cursor {
        Some(c) => (A::Int(c.k), A::Text(c.id.as_str())),
        None => (A::Null, A::Null),
    };
    let mut args = base();
    args.extend([ck, cid, A::Int(q.page_size + 1)]);
    let rows: Vec<TaskRow> = all(db, stmt(
        db,
        &format!(
            "SELECT {TASK_COLUMNS} FROM a2a_tasks WHERE {filter} \
             AND (?5 IS NULL OR updated_at < ?5 OR (updated_at = ?5 AND id < ?6)) ORDER BY updated_at DESC, id DESC LIMIT ?7"
        ),
        &args,
    )?)
    .await?;
    let more = rows.len() as i64 > q.page_size;
    let rows: Vec<TaskRow> = rows.into_iter().take(q.page_size as usize).collect();
    let next = if more {
        rows.last()
            .map(|r| Cursor { k: r.updated_at, id: r.id.clone() }.encode())
            .unwrap_or_default()
    } else {
        String::new()
    };
    let mut tasks = Vec::with_capacity(rows.len());
    for row in rows {
        let history = if q.with_history {
            let msgs: Vec<MessageRow> = all(db, stmt(
                db,
                "SELECT id, task_id, context_id, role, parts FROM a2a_messages WHERE organization_id = ?1 AND task_id = ?2 ORDER BY seq",
                &[org.into(), (&row.id).into()],
            )?)
            .await?;
            msgs.into_iter().map(MessageRow::into_message).collect()
        } else {
            Vec::new()
        };
        tasks.push(row.into_task(history));
    }
    Ok((tasks, total, next))
}

/// Cancels a non-terminal task; returns whether it changed.
pub async fn cancel_task(db: &D1, org: &str, id: &str, now: i64) -> Result<bool, Error> {
    Ok(run(db, stmt(
        db,
        "UPDATE a2a_tasks SET state = 'canceled', status_text = 'Canceled by the client.', updated_at = ?3 \
         WHERE organization_id = ?1 AND id = ?2 AND state IN ('submitted', 'working', 'input-required', 'auth-required')",
        &[org.into(), id.into(), now.into()],
    )?)
    .await?
        > 0)
}

// ---------------------------------------------------------------------------------------------
// Chat
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct SessionRow {
    pub id: String,
    pub title: String,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(default)]
    pub message_count: Option<i64>,
}

#[derive(Deserialize)]
pub struct ChatMessageRow {
    pub id: String,
    pub session_id: String,
    pub role: String,
    pub content: String,
    pub sources: Option<String>,
    pub tool_calls: Option<String>,
    pub model: Option<String>,
    pub created_at: i64,
}

impl ChatMessageRow {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "sessionId": self.session_id,
            "role": self.role,
            "content": self.content,
            "sources": parse(&self.sources, json!([])),
            "toolCalls": parse(&self.tool_calls, json!([])),
            "model": self.model,
            "createdAt": crow_common::time::iso8601(self.created_at),
        })
    }
}

const SESSION_COLUMNS: &str = "s.id, s.title, s.created_at, s.updated_at, \
    (SELECT COUNT(*) FROM chat_messages m WHERE m.session_id = s.id) AS message_count";

pub async fn get_session(
    db: &D1,
    org: &str,
    user: &str,
    id: &str,
) -> Result<Option<SessionRow>, Error> {
    first(db, stmt(
        db,
        &format!("SELECT {SESSION_COLUMNS} FROM chat_sessions s WHERE s.organization_id = ?1 AND s.user_id = ?2 AND s.id = ?3"),
        &[org.into(), user.into(), id.into()],
    )?)
    .await
}

pub async fn list_sessions(
    db: &D1,
    org: &str,
    user: &str,
    limit: i64,
    offset: i64,
    cursor: Option<&Cursor>,
) -> Result<(Vec<SessionRow>, i64), Error> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let total = first::<Count>(
        db,
        stmt(
            db,
            "SELECT COUNT(*) AS n FROM chat_sessions WHERE organization_id = ?1 AND user_id = ?2",
            &[org.into(), user.into()],
        )?,
    )
    .await?
    .map(|c| c.n)
    .unwrap_or(0);
    let (ck, cid) = match cursor {
        Some(c) => (A::Int(c.k), A::Text(c.id.as_str())),
        None => (A::Null, A::Null),
    };
    let rows = all(db, stmt(
        db,
        &format!(
            "SELECT {SESSION_COLUMNS} FROM chat_sessions s WHERE s.organization_id = ?1 AND s.user_id = ?2 \
             AND (?3 IS NULL OR s.updated_at < ?3 OR (s.updated_at = ?3 AND s.id < ?4)) \
             ORDER BY s.updated_at DESC, s.id DESC LIMIT ?5 OFFSET ?6"
        ),
        &[org.into(), user.into(), ck, cid, A::Int(limit + 1), A::Int(offset)],
    )?)
    .await?;
    Ok((rows, total))
}

pub async fn delete_session(db: &D1, org: &str, user: &str, id: &str) -> Result<bool, Error> {
    let n = run(
        db,
        stmt(
            db,
            "DELETE FROM chat_sessions WHERE organization_id = ?1 AND user_id = ?2 AND id = ?3",
            &[org.into(), user.into(), id.into()],
        )?,
    )
    .await?;
    if n > 0 {
        run(db, stmt(
            db,
            "DELETE FROM chat_messages WHERE organization_id = ?1 AND user_id = ?2 AND session_id = ?3",
            &[org.into(), user.into(), id.into()],
        )?)
        .await?;
    }
    Ok(n > 0)
}

pub async fn chat_messages(
    db: &D1,
    org: &str,
    user: &str,
    session: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ChatMessageRow>, i64), Error> {
    #[derive(Deserialize)]
    struct Count {
        n: i64,
    }
    let total = first::<Count>(db, stmt(
        db,
        "SELECT COUNT(*) AS n FROM chat_messages WHERE organization_id = ?1 AND user_id = ?2 AND session_id = ?3",
        &[org.into(), user.into(), session.into()],
    )?)
    .await?
    .map(|c| c.n)
    .unwrap_or(0);
    let rows = all(db, stmt(
        db,
        "SELECT id, session_id, role, content, sources, tool_calls, model, created_at FROM chat_messages \
         WHERE organization_id = ?1 AND user_id = ?2 AND session_id = ?3 ORDER BY created_at, id LIMIT ?4 OFFSET ?5",
        &[org.into(), user.into(), session.into(), A::Int(limit + 1), A::Int(offset)],
    )?)
    .await?;
    Ok((rows, total))
}
