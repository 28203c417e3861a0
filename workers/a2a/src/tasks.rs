//! A2A: JSON-RPC at `/a2a/jsonrpc` (1.0 and 0.3 on one endpoint), the seed's REST-ish
//! `POST /a2a/tasks/send` and `GET /a2a/tasks/:taskId`, and running one task through the agent
//! loop. Tasks belong to the caller's organization.

use crow_agent::{
    run_loop, AgentError, LoopConfig, Message, Model, DEFAULT_SYSTEM_PROMPT, MAX_QUESTION_CHARS,
};
use crow_common::jsonrpc::{self, RpcError};
use crow_common::pagination::Cursor;
use crow_common::{ids, ApiError};
use crow_edge::entry::Entry;
use crow_edge::{json, now_ms, rpc_reply, rpc_request, Ctx};
use serde_json::{json, Map, Value};
use worker::{console_error, console_log, Context, Env, Response};

use crate::agent::{Backend, Caller, GatewayTools, Metered};
use crate::error::Error;
use crate::protocol::{self as p, Dialect, Method, StoredTask, View};
use crate::store::{self, ListQuery, Outcome};

/// Messages of earlier tasks in the same context given to the model as history.
const CONTEXT_HISTORY: i64 = 12;

pub fn new_id(prefix: &str) -> Result<String, ApiError> {
    ids::new_id(prefix, now_ms()).map_err(|_| ApiError::internal())
}

pub fn db(env: &Env, ctx: &Ctx) -> Result<store::D1, ApiError> {
    store::D1::bind(env, "DB", &ctx.meter).map_err(|e| {
        console_error!("D1 binding DB: {e}");
        ApiError::unavailable("database")
    })
}

/// Runs the agent for one question on behalf of `caller`, with `history` as earlier turns.
pub async fn answer(
    env: &Env,
    ctx: &Ctx,
    caller: Caller,
    history: Vec<Message>,
    question: &str,
) -> Result<crow_agent::AgentAnswer, (AgentError, String)> {
    let backend = match Backend::from_env(env) {
        Ok(b) => b,
        Err(e) => {
            console_error!("model backend configuration: {e}");
            return Err((
                AgentError::Model {
                    model: "unconfigured".into(),
                    round: 0,
                    source: crow_agent::ModelError::new(e),
                },
                "unconfigured".into(),
            ));
        }
    };
    let model_name = backend.name().to_string();
    let gateway = match env.service("GATEWAY") {
        Ok(g) => g,
        Err(e) => {
            console_error!("GATEWAY binding: {e}");
            return Err((
                AgentError::Model {
                    model: model_name.clone(),
                    round: 0,
                    source: crow_agent::ModelError::new("gateway binding"),
                },
                model_name,
            ));
        }
    };
    let internal_key = crow_edge::entry::internal_key(env).unwrap_or_default();
    let tools = GatewayTools { gateway, internal_key, caller, ctx };
    let model = Metered { backend, meter: &ctx.meter };
    // The model is told today's date so it can turn "last month" into from/to.
    let prompt = format!(
        "{DEFAULT_SYSTEM_PROMPT}\nToday is {} (UTC).",
        &crow_common::time::iso8601(crow_edge::now_ms() as i64)[..10]
    );
    run_loop(&model, &tools, &prompt, &history, question, LoopConfig::default())
        .await
        .map_err(|e| (e, model_name))
}

/// Runs a stored `working` task to its end and records the outcome.
/// `continuing`: the message named an existing context, whose earlier turns are read first (a
/// new context has none, so that read is skipped).
async fn execute(
    env: Env,
    ctx: Ctx,
    caller: Caller,
    task_id: String,
    context_id: String,
    continuing: bool,
    text: String,
) {
    let org = caller.org_id().to_string();
    let result = async {
        let db = db(&env, &ctx).map_err(Error::Api)?;
        let history: Vec<Message> =
            if continuing {
                store::context_history(&db, &org, &context_id, &task_id, CONTEXT_HISTORY)
                    .await?
                    .into_iter()
                    .map(|(role, text)| {
                        if role == "user" {
                            Message::user(text)
                        } else {
                            Message::assistant(text)
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
        let outcome = answer(&env, &ctx, caller, history, &text).await;
        let agent_message_id = new_id("msg").map_err(Error::Api)?;
        let now = now_ms() as i64;
        match outcome {
            Ok(a) => {
                let o = Outcome {
                    state: "completed",
                    status_text: None,
                    answer: Some(&a.text),
                    sources: serde_json::to_value(&a.sources).unwrap_or_default(),
                    tool_calls: serde_json::to_value(&a.tool_calls).unwrap_or_default(),
                    model: &a.model,
                };
                console_log!(
                    "task {task_id}: completed by {} in {} rounds, {} sources",
                    a.model,
                    a.rounds,
                    a.sources.len()
                );
                store::finish_task(&db, &org, &task_id, &context_id, &agent_message_id, &o, now)
                    .await
            }
            Err((e, model)) => {
                console_error!("task {task_id}: the agent failed: {e}");
                let text = match e {
                    AgentError::Model { .. } => {
                        "The agent's model backend failed; please try again later."
                    }
                    AgentError::NoFinalAnswer { .. } => {
                        "The agent could not produce an answer for this question."
                    }
                    _ => "The agent could not process this question.",
                };
                let o = Outcome {
                    state: "failed",
                    status_text: Some(text),
                    answer: None,
                    sources: json!([]),
                    tool_calls: json!([]),
                    model: &model,
                };
                store::finish_task(&db, &org, &task_id, &context_id, &agent_message_id, &o, now)
                    .await
            }
        }
    }
    .await;
    if let Err(e) = result {
        console_error!("task {task_id}: recording the outcome failed: {e}");
    }
}

/// A new task: checks the continuation rules, stores it, runs it (blocking, or in the
/// background when the caller asked to return immediately) and reads it back.
async fn create_task(
    env: &Env,
    ctx: &Ctx,
    wctx: &Context,
    entry: &Entry,
    dialect: Dialect,
    incoming: p::Incoming,
    background: bool,
) -> Result<Result<StoredTask, RpcError>, ApiError> {
    let db = db(env, ctx)?;
    let org = entry.org_id.as_str();
    if let Some(claimed) = incoming.metadata.get("organizationId") {
        if claimed.as_str() != Some(org) {
            return Ok(Err(RpcError::invalid_params(
                "metadata.organizationId does not match the API key's organization",
            )
            .with_data(json!({ "field": "metadata.organizationId" }))));
        }
    }
    if incoming.text.chars().count() > MAX_QUESTION_CHARS {
        return Ok(Err(RpcError::invalid_params(format!(
            "the message text is longer than {MAX_QUESTION_CHARS} characters"
        ))));
    }
    if let Some(tid) = &incoming.task_id {
        let Some(existing) = store::get_task(&db, org, tid).await.map_err(ApiError::from)? else {
            return Ok(Err(p::task_not_found(dialect, tid)));
        };
        if incoming.context_id.as_deref().is_some_and(|c| c != existing.context_id) {
            return Ok(Err(RpcError::invalid_params(
                "message.contextId does not match the task's contextId",
            )));
        }
        return Ok(Err(p::a2a_error(
            dialect,
            p::UNSUPPORTED_OPERATION,
            format!("Task {tid} is in a terminal state ({}); send a new message without taskId (same contextId to continue the conversation)", existing.state),
            json!({ "taskId": tid, "state": existing.state }),
        )));
    }
    let continuing = incoming.context_id.is_some();
    let context_id = match incoming.context_id {
        Some(c) => c,
        None => new_id("ctx")?,
    };
    let task_id = new_id("task")?;
    let now = now_ms() as i64;
    let new = store::NewTask {
        org,
        key_id: Some(&entry.key_id),
        task_id: &task_id,
        context_id: &context_id,
        message_id: &incoming.message_id,
        text: &incoming.text,
        metadata: &incoming.metadata,
        now,
    };
    let stmts = store::insert_task(&db, &new).map_err(ApiError::from)?;
    store::batch(&db, stmts).await.map_err(ApiError::from)?;
    let caller = Caller::ApiKey { key: entry.key.clone(), org_id: entry.org_id.clone() };
    let job = execute(
        env.clone(),
        ctx.clone(),
        caller,
        task_id.clone(),
        context_id.clone(),
        continuing,
        incoming.text.clone(),
    );
    if background {
        wctx.wait_until(job);
    } else {
        job.await;
    }
    let task = store::get_task(&db, org, &task_id)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(ApiError::internal)?;
    Ok(Ok(task))
}

/// `POST /a2a/jsonrpc` after authentication.
pub async fn rpc(
    env: &Env,
    ctx: &Ctx,
    wctx: &Context,
    entry: &Entry,
    version: Option<&str>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let request = match rpc_request(body) {
        Ok(r) => r,
        Err(answer) => return answer,
    };
    let reply = |result: Result<Value, RpcError>| -> Result<Response, ApiError> {
        match result {
            Ok(v) => rpc_reply(200, &jsonrpc::success(&request.id, v)),
            Err(e) => rpc_reply(200, &jsonrpc::failure(&request.id, &e)),
        }
    };
    let Some((dialect, method)) = p::method(&request.method) else {
        return reply(Err(RpcError::method_not_found(&request.method)));
    };
    if let Err(e) = p::negotiate(&p::requested_version(version), dialect, &request.method) {
        return reply(Err(e));
    }
    let params = match request.params_object() {
        Ok(p) => p,
        Err(e) => return reply(Err(e)),
    };
    let call = Call { env, ctx, wctx, entry, dialect };
    match dispatch(&call, method, &params).await {
        Ok(result) => reply(result),
        // A failing dependency (the task store, the gateway) is still answered in JSON-RPC, with
        // the request's id and the envelope's code and details in `data`; the HTTP status says
        // what kind of failure it was (503 for a dependency).
        Err(api) => {
            let envelope = api.envelope(&ctx.request_id);
            let error = RpcError::new(jsonrpc::INTERNAL_ERROR, api.message.clone())
                .with_data(envelope["error"].clone());
            rpc_reply(api.status(), &jsonrpc::failure(&request.id, &error))
        }
    }
}

/// What every method handler needs.
struct Call<'a> {
    env: &'a Env,
    ctx: &'a Ctx,
    wctx: &'a Context,
    entry: &'a Entry,
    dialect: Dialect,
}

async fn dispatch(
    call: &Call<'_>,
    method: Method,
    params: &Map<String, Value>,
) -> Result<Result<Value, RpcError>, ApiError> {
    let Call { env, ctx, wctx, entry, dialect } = *call;
    let org = entry.org_id.as_str();
    Ok(match method {
        Method::Streaming => Err(p::a2a_error(
            dialect,
            p::UNSUPPORTED_OPERATION,
            "Streaming is not supported by this agent (capabilities.streaming is false)",
            json!({}),
        )),
        Method::Push => Err(p::a2a_error(
            dialect,
            p::PUSH_NOT_SUPPORTED,
            "Push notifications are not supported by this agent",
            json!({}),
        )),
        Method::ExtendedCard => Err(p::a2a_error(
            dialect,
            p::UNSUPPORTED_OPERATION,
            "This agent has no extended agent card",
            json!({}),
        )),
        Method::Send => {
            let incoming = match p::read_message(dialect, params) {
                Ok(m) => m,
                Err(e) => return Ok(Err(e)),
            };
            let history_length = match p::history_length(params) {
                Ok(h) => h,
                Err(e) => return Ok(Err(e)),
            };
            let background = p::return_immediately(params);
            match create_task(env, ctx, wctx, entry, dialect, incoming, background).await? {
                Err(e) => Err(e),
                Ok(task) => {
                    let t = p::task_json(dialect, &task, View { history_length, artifacts: true });
                    Ok(match dialect {
                        Dialect::V1 => json!({ "task": t }),
                        Dialect::V03 => t,
                    })
                }
            }
        }
        Method::Get => {
            let id = match p::task_id_param(params) {
                Ok(id) => id,
                Err(e) => return Ok(Err(e)),
            };
            let history_length = match p::history_length(params) {
                Ok(h) => h,
                Err(e) => return Ok(Err(e)),
            };
            match store::get_task(&db(env, ctx)?, org, &id).await.map_err(ApiError::from)? {
                None => Err(p::task_not_found(dialect, &id)),
                Some(t) => Ok(p::task_json(dialect, &t, View { history_length, artifacts: true })),
            }
        }
        Method::Cancel => {
            let id = match p::task_id_param(params) {
                Ok(id) => id,
                Err(e) => return Ok(Err(e)),
            };
            let db = db(env, ctx)?;
            match store::get_task(&db, org, &id).await.map_err(ApiError::from)? {
                None => Err(p::task_not_found(dialect, &id)),
                Some(t) if t.is_terminal() => Err(p::a2a_error(
                    dialect,
                    p::TASK_NOT_CANCELABLE,
                    format!("Task cannot be canceled: it is already {}", t.state),
                    json!({ "taskId": id, "state": t.state }),
                )),
                Some(_) => {
                    store::cancel_task(&db, org, &id, now_ms() as i64)
                        .await
                        .map_err(ApiError::from)?;
                    match store::get_task(&db, org, &id).await.map_err(ApiError::from)? {
                        Some(t) => Ok(p::task_json(dialect, &t, View::FULL)),
                        None => Err(p::task_not_found(dialect, &id)),
                    }
                }
            }
        }
        Method::List => list(env, ctx, org, params).await?,
    })
}

async fn list(
    env: &Env,
    ctx: &Ctx,
    org: &str,
    params: &Map<String, Value>,
) -> Result<Result<Value, RpcError>, ApiError> {
    let bad = |m: &str| Ok(Err(RpcError::invalid_params(m.to_string())));
    let page_size = match params.get("pageSize") {
        None | Some(Value::Null) => 50,
        Some(v) => match v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())) {
            Some(n) if (1..=100).contains(&n) => n,
            _ => return bad("pageSize must be an integer from 1 to 100"),
        },
    };
    let cursor = match params.get("pageToken").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        None => None,
        Some(t) => match Cursor::decode(t) {
            Some(c) => Some(c),
            None => return bad("pageToken is not a token this agent issued"),
        },
    };
    let state = match params
        .get("status")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && *s != "TASK_STATE_UNSPECIFIED")
    {
        None => None,
        Some(s) => match p::state_filter(s) {
            Some(s) => Some(s),
            None => return bad("status must be a TaskState such as TASK_STATE_COMPLETED"),
        },
    };
    let after_ms = match params.get("statusTimestampAfter").and_then(Value::as_str) {
        None => None,
        Some(s) => match crow_common::time::parse_iso8601(s) {
            Some(ms) => Some(ms),
            None => return bad("statusTimestampAfter must be an RFC 3339 timestamp"),
        },
    };
    let history_length = match p::history_length(params) {
        Ok(h) => h,
        Err(e) => return Ok(Err(e)),
    };
    let include_artifacts =
        params.get("includeArtifacts").and_then(Value::as_bool).unwrap_or(false);
    let context_id = params.get("contextId").and_then(Value::as_str).filter(|s| !s.is_empty());
    let q = ListQuery {
        context_id,
        state,
        after_ms,
        page_size,
        cursor,
        with_history: history_length != Some(0),
    };
    let (tasks, total, next) =
        store::list_tasks(&db(env, ctx)?, org, &q).await.map_err(ApiError::from)?;
    let view = View { history_length, artifacts: include_artifacts };
    let tasks: Vec<Value> = tasks.iter().map(|t| p::task_json(Dialect::V1, t, view)).collect();
    Ok(Ok(
        json!({ "tasks": tasks, "nextPageToken": next, "pageSize": page_size, "totalSize": total }),
    ))
}

// ---------------------------------------------------------------------------------------------
// The seed's REST-ish endpoints (0.3 task shapes, errors in the envelope)
// ---------------------------------------------------------------------------------------------

/// `POST /a2a/tasks/send`: `{id?, message: {parts: [{text}]}, metadata: {organizationId}}`.
pub async fn rest_send(
    env: &Env,
    ctx: &Ctx,
    wctx: &Context,
    entry: &Entry,
    body: &[u8],
) -> Result<Response, ApiError> {
    let v: Value = crow_common::body::parse_json(body)?;
    let org = v.pointer("/metadata/organizationId").and_then(Value::as_str).ok_or_else(|| {
        ApiError::invalid_field(
            "metadata.organizationId",
            "is required and must be the API key's organization id",
        )
    })?;
    if org != entry.org_id {
        return Err(ApiError::forbidden(
            "metadata.organizationId does not match the API key's organization",
        )
        .detail("field", "metadata.organizationId"));
    }
    let parts = v
        .pointer("/message/parts")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            ApiError::invalid_field(
                "message.parts",
                "must be a non-empty array whose first part has text",
            )
        })?;
    let text = parts[0]["text"]
        .as_str()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::invalid_field("message.parts[0].text", "is required"))?;
    if text.chars().count() > MAX_QUESTION_CHARS {
        return Err(ApiError::invalid_field(
            "message.parts[0].text",
            format!("must be at most {MAX_QUESTION_CHARS} characters"),
        ));
    }
    let message_id = match v.pointer("/message/messageId").and_then(Value::as_str) {
        Some(m) if !m.is_empty() && m.len() <= 128 => m.to_string(),
        _ => new_id("msg")?,
    };
    let context_id = v
        .pointer("/message/contextId")
        .or_else(|| v.get("sessionId"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .map(str::to_string);
    let incoming = p::Incoming {
        message_id,
        text: text.to_string(),
        context_id,
        task_id: None,
        metadata: v.get("metadata").cloned().unwrap_or_else(|| json!({})),
    };
    match create_task(env, ctx, wctx, entry, Dialect::V03, incoming, false).await? {
        Ok(task) => json(200, &p::task_json(Dialect::V03, &task, View::FULL)),
        Err(e) => Err(ApiError::validation(e.message)),
    }
}

/// `GET /a2a/tasks/:taskId`.
pub async fn rest_get(
    env: &Env,
    ctx: &Ctx,
    entry: &Entry,
    task_id: &str,
) -> Result<Response, ApiError> {
    match store::get_task(&db(env, ctx)?, &entry.org_id, task_id).await.map_err(ApiError::from)? {
        Some(t) => json(200, &p::task_json(Dialect::V03, &t, View::FULL)),
        None => Err(ApiError::not_found("Task")),
    }
}
