//! The A2A wire shapes, pure and host-tested: the two dialects served on `/a2a/jsonrpc` (1.0 with
//! PascalCase methods and ProtoJSON enums, 0.3 with slash methods, `kind` tags and lowercase
//! states), `A2A-Version` negotiation, reading an incoming message, rendering a stored task, and
//! the A2A error codes (with the `google.rpc.ErrorInfo` `data` array in 1.0).

use crow_common::jsonrpc::RpcError;
use crow_common::time::iso8601;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Which protocol generation a call is answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    V1,
    V03,
}

/// A2A error codes (spec §5.4, §9.5).
pub const TASK_NOT_FOUND: i64 = -32001;
pub const TASK_NOT_CANCELABLE: i64 = -32002;
pub const PUSH_NOT_SUPPORTED: i64 = -32003;
pub const UNSUPPORTED_OPERATION: i64 = -32004;
pub const CONTENT_TYPE_NOT_SUPPORTED: i64 = -32005;
pub const VERSION_NOT_SUPPORTED: i64 = -32009;

fn reason(code: i64) -> Option<&'static str> {
    Some(match code {
        TASK_NOT_FOUND => "TASK_NOT_FOUND",
        TASK_NOT_CANCELABLE => "TASK_NOT_CANCELABLE",
        PUSH_NOT_SUPPORTED => "PUSH_NOTIFICATION_NOT_SUPPORTED",
        UNSUPPORTED_OPERATION => "UNSUPPORTED_OPERATION",
        CONTENT_TYPE_NOT_SUPPORTED => "CONTENT_TYPE_NOT_SUPPORTED",
        VERSION_NOT_SUPPORTED => "VERSION_NOT_SUPPORTED",
        _ => return None,
    })
}

/// An A2A error in the dialect's form: in 1.0 `data` is `[ErrorInfo]`; in 0.3 a plain object.
pub fn a2a_error(
    dialect: Dialect,
    code: i64,
    message: impl Into<String>,
    metadata: Value,
) -> RpcError {
    let err = RpcError::new(code, message);
    match (dialect, reason(code)) {
        (Dialect::V1, Some(r)) => err.with_data(json!([{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": r,
            "domain": "a2a-protocol.org",
            "metadata": metadata,
        }])),
        (Dialect::V03, Some(_)) if metadata.as_object().is_some_and(|m| !m.is_empty()) => {
            err.with_data(metadata)
        }
        _ => err,
    }
}

pub fn task_not_found(dialect: Dialect, id: &str) -> RpcError {
    a2a_error(dialect, TASK_NOT_FOUND, "Task not found", json!({ "taskId": id }))
}

/// What the caller's `A2A-Version` header asks for. Missing or empty means 0.3 (spec §3.6.2);
/// patch numbers are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    V1,
    V03,
    Unsupported(String),
}

pub fn requested_version(header: Option<&str>) -> Requested {
    let v = header.map(str::trim).unwrap_or("");
    if v.is_empty() {
        return Requested::V03;
    }
    let mut it = v.split('.');
    let major = it.next().unwrap_or("");
    let minor = it.next().unwrap_or("0");
    match (major, minor) {
        ("1", "0") => Requested::V1,
        ("0", "3") => Requested::V03,
        _ => Requested::Unsupported(v.to_string()),
    }
}

/// How a method is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Send,
    Get,
    List,
    Cancel,
    /// Declared unsupported: streaming and resubscription (-32004).
    Streaming,
    /// Declared unsupported: push notification configs (-32003).
    Push,
    /// Not configured: the extended card (-32004).
    ExtendedCard,
}

/// The method table of both dialects: `(dialect, method)` or `None` for an unknown name.
pub fn method(name: &str) -> Option<(Dialect, Method)> {
    use Dialect::*;
    use Method::*;
    Some(match name {
        "SendMessage" => (V1, Send),
        "GetTask" => (V1, Get),
        "ListTasks" => (V1, List),
        "CancelTask" => (V1, Cancel),
        "SendStreamingMessage" | "SubscribeToTask" => (V1, Streaming),
        "CreateTaskPushNotificationConfig"
        | "GetTaskPushNotificationConfig"
        | "ListTaskPushNotificationConfigs"
        | "DeleteTaskPushNotificationConfig" => (V1, Push),
        "GetExtendedAgentCard" => (V1, ExtendedCard),
        "message/send" => (V03, Send),
        "tasks/get" => (V03, Get),
        "tasks/cancel" => (V03, Cancel),
        "message/stream" | "tasks/resubscribe" => (V03, Streaming),
        "tasks/pushNotificationConfig/set"
        | "tasks/pushNotificationConfig/get"
        | "tasks/pushNotificationConfig/list"
        | "tasks/pushNotificationConfig/delete" => (V03, Push),
        "agent/getAuthenticatedExtendedCard" => (V03, ExtendedCard),
        _ => return None,
    })
}

/// Checks the requested version against the method's dialect; `Err` is the -32009 answer.
pub fn negotiate(
    requested: &Requested,
    dialect: Dialect,
    method_name: &str,
) -> Result<(), RpcError> {
    match (requested, dialect) {
        (Requested::V1, Dialect::V1) | (Requested::V03, Dialect::V03) => Ok(()),
        (Requested::Unsupported(v), _) => Err(a2a_error(
            dialect,
            VERSION_NOT_SUPPORTED,
            format!("A2A version '{v}' is not supported; this agent speaks 1.0 and 0.3"),
            json!({ "requested": v, "supported": "1.0,0.3" }),
        )),
        (Requested::V03, Dialect::V1) => Err(a2a_error(
            dialect,
            VERSION_NOT_SUPPORTED,
            format!("A2A version '0.3' (no A2A-Version header) is not supported by {method_name}. Expected version '1.0'."),
            json!({ "requested": "0.3", "expected": "1.0" }),
        )),
        (Requested::V1, Dialect::V03) => Err(a2a_error(
            dialect,
            VERSION_NOT_SUPPORTED,
            format!("{method_name} is an A2A 0.3 method; with A2A-Version 1.0 use the 1.0 methods (SendMessage, GetTask, ListTasks, CancelTask)"),
            json!({ "requested": "1.0", "expected": "0.3" }),
        )),
    }
}

/// A part as stored: text or structured data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Text(String),
    Data(Value),
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub id: String,
    pub role: String,
    pub parts: Vec<Part>,
    pub task_id: String,
    pub context_id: String,
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTask {
    pub id: String,
    pub context_id: String,
    pub state: String,
    pub status_text: Option<String>,
    pub answer: Option<String>,
    pub sources: Value,
    pub tool_calls: Value,
    pub model: Option<String>,
    pub metadata: Value,
    pub created_at: i64,
    pub updated_at: i64,
    pub history: Vec<StoredMessage>,
}

pub const TERMINAL: [&str; 4] = ["completed", "failed", "canceled", "rejected"];

impl StoredTask {
    pub fn is_terminal(&self) -> bool {
        TERMINAL.contains(&self.state.as_str())
    }
}

/// 1.0 ProtoJSON enum name of a stored (0.3-style) state.
pub fn state_v1(state: &str) -> &'static str {
    match state {
        "submitted" => "TASK_STATE_SUBMITTED",
        "working" => "TASK_STATE_WORKING",
        "completed" => "TASK_STATE_COMPLETED",
        "failed" => "TASK_STATE_FAILED",
        "canceled" => "TASK_STATE_CANCELED",
        "rejected" => "TASK_STATE_REJECTED",
        "input-required" => "TASK_STATE_INPUT_REQUIRED",
        "auth-required" => "TASK_STATE_AUTH_REQUIRED",
        _ => "TASK_STATE_UNSPECIFIED",
    }
}

/// The stored state for a 1.0 or 0.3 state filter value.
pub fn state_filter(value: &str) -> Option<&'static str> {
    let all = [
        "submitted",
        "working",
        "completed",
        "failed",
        "canceled",
        "rejected",
        "input-required",
        "auth-required",
    ];
    all.into_iter().find(|s| *s == value || state_v1(s) == value)
}

fn part_json(dialect: Dialect, part: &Part) -> Value {
    match (dialect, part) {
        (Dialect::V1, Part::Text(t)) => json!({ "text": t }),
        (Dialect::V1, Part::Data(d)) => json!({ "data": d, "mediaType": "application/json" }),
        (Dialect::V03, Part::Text(t)) => json!({ "kind": "text", "text": t }),
        (Dialect::V03, Part::Data(d)) => json!({ "kind": "data", "data": d }),
    }
}

pub fn message_json(dialect: Dialect, m: &StoredMessage) -> Value {
    let parts: Vec<Value> = m.parts.iter().map(|p| part_json(dialect, p)).collect();
    match dialect {
        Dialect::V1 => json!({
            "messageId": m.id,
            "contextId": m.context_id,
            "taskId": m.task_id,
            "role": if m.role == "user" { "ROLE_USER" } else { "ROLE_AGENT" },
            "parts": parts,
        }),
        Dialect::V03 => json!({
            "kind": "message",
            "messageId": m.id,
            "contextId": m.context_id,
            "taskId": m.task_id,
            "role": if m.role == "user" { "user" } else { "agent" },
            "parts": parts,
        }),
    }
}

/// What to include when rendering a task.
#[derive(Debug, Clone, Copy)]
pub struct View {
    /// `None`: the whole history; `Some(0)`: none; `Some(n)`: the last n messages.
    pub history_length: Option<usize>,
    pub artifacts: bool,
}

impl View {
    pub const FULL: View = View { history_length: None, artifacts: true };
}

/// The answer artifact: the text, then a data part with the sources, tool calls and model.
pub fn artifact_parts(t: &StoredTask) -> Vec<Part> {
    let mut parts = vec![Part::Text(t.answer.clone().unwrap_or_default())];
    parts.push(Part::Data(json!({
        "sources": t.sources,
        "toolCalls": t.tool_calls,
        "model": t.model,
    })));
    parts
}

pub fn task_json(dialect: Dialect, t: &StoredTask, view: View) -> Value {
    let mut status = Map::new();
    status.insert(
        "state".into(),
        match dialect {
            Dialect::V1 => json!(state_v1(&t.state)),
            Dialect::V03 => json!(t.state),
        },
    );
    status.insert("timestamp".into(), json!(iso8601(t.updated_at)));
    if let Some(text) = &t.status_text {
        let m = StoredMessage {
            id: format!("{}-status", t.id),
            role: "agent".into(),
            parts: vec![Part::Text(text.clone())],
            task_id: t.id.clone(),
            context_id: t.context_id.clone(),
        };
        status.insert("message".into(), message_json(dialect, &m));
    }
    let mut out = Map::new();
    if dialect == Dialect::V03 {
        out.insert("kind".into(), json!("task"));
    }
    out.insert("id".into(), json!(t.id));
    out.insert("contextId".into(), json!(t.context_id));
    out.insert("status".into(), Value::Object(status));
    if view.artifacts && t.answer.is_some() {
        let parts: Vec<Value> = artifact_parts(t).iter().map(|p| part_json(dialect, p)).collect();
        out.insert(
            "artifacts".into(),
            json!([{ "artifactId": format!("{}-answer", t.id), "name": "answer", "parts": parts }]),
        );
    }
    let history: Vec<&StoredMessage> = match view.history_length {
        None => t.history.iter().collect(),
        Some(n) => t.history.iter().skip(t.history.len().saturating_sub(n)).collect(),
    };
    if !history.is_empty() {
        out.insert(
            "history".into(),
            Value::Array(history.into_iter().map(|m| message_json(dialect, m)).collect()),
        );
    }
    let mut metadata = t.metadata.as_object().cloned().unwrap_or_default();
    if let Some(model) = &t.model {
        metadata.insert("model".into(), json!(model));
    }
    metadata.insert("createdAt".into(), json!(iso8601(t.created_at)));
    out.insert("metadata".into(), Value::Object(metadata));
    Value::Object(out)
}

/// An incoming message, read from either dialect.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub message_id: String,
    pub text: String,
    pub context_id: Option<String>,
    pub task_id: Option<String>,
    pub metadata: Value,
}

/// Reads `params.message`. Text parts are joined with newlines; data parts are appended as
/// compact JSON; file parts (`url`, `raw`, `file`) are refused with -32005.
pub fn read_message(dialect: Dialect, params: &Map<String, Value>) -> Result<Incoming, RpcError> {
    let invalid = |m: &str| RpcError::invalid_params(m.to_string());
    let msg = params
        .get("message")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("params.message is required"))?;
    let message_id = msg
        .get("messageId")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty() && s.len() <= 128)
        .ok_or_else(|| {
            invalid("message.messageId is required (a string of at most 128 characters)")
        })?
        .to_string();
    let role = msg.get("role").and_then(Value::as_str).unwrap_or("");
    let role_ok = match dialect {
        Dialect::V1 => role == "ROLE_USER" || role == "user",
        Dialect::V03 => role == "user" || role == "ROLE_USER",
    };
    if !role_ok {
        return Err(invalid(
            "message.role must be the user's role (ROLE_USER in 1.0, \"user\" in 0.3)",
        ));
    }
    let parts = msg
        .get("parts")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| invalid("message.parts must be a non-empty array"))?;
    let mut texts = Vec::new();
    let mut files = 0;
    for p in parts {
        let kind = p.get("kind").and_then(Value::as_str);
        if let Some(t) = p.get("text").and_then(Value::as_str) {
            if kind.is_none() || kind == Some("text") {
                texts.push(t.to_string());
                continue;
            }
        }
        if let Some(d) = p.get("data") {
            if kind.is_none() || kind == Some("data") {
                texts.push(d.to_string());
                continue;
            }
        }
        if p.get("url").is_some()
            || p.get("raw").is_some()
            || p.get("file").is_some()
            || kind == Some("file")
        {
            files += 1;
            continue;
        }
        return Err(invalid("every message part needs text, data, url or raw content"));
    }
    if files > 0 {
        return Err(a2a_error(
            dialect,
            CONTENT_TYPE_NOT_SUPPORTED,
            "File parts are not supported; this agent accepts text/plain and application/json parts",
            json!({ "accepted": "text/plain,application/json" }),
        ));
    }
    let text = texts.join("\n");
    if text.trim().is_empty() {
        return Err(invalid("the message has no text"));
    }
    let opt = |k: &str| -> Result<Option<String>, RpcError> {
        match msg.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) if s.len() <= 128 => Ok(Some(s.clone())),
            _ => Err(invalid(&format!("message.{k} must be a string of at most 128 characters"))),
        }
    };
    let mut metadata =
        params.get("metadata").and_then(Value::as_object).cloned().unwrap_or_default();
    if let Some(m) = msg.get("metadata").and_then(Value::as_object) {
        metadata.extend(m.clone());
    }
    Ok(Incoming {
        message_id,
        text,
        context_id: opt("contextId")?,
        task_id: opt("taskId")?,
        metadata: Value::Object(metadata),
    })
}

/// Whether the caller asked for a non-blocking send (1.0 `returnImmediately`, 0.3 `blocking:false`).
pub fn return_immediately(params: &Map<String, Value>) -> bool {
    let c = params.get("configuration");
    c.and_then(|c| c.get("returnImmediately")).and_then(Value::as_bool).unwrap_or(false)
        || c.and_then(|c| c.get("blocking")).and_then(Value::as_bool) == Some(false)
}

/// `historyLength` from params: absent means the whole history; must be a non-negative integer.
pub fn history_length(params: &Map<String, Value>) -> Result<Option<usize>, RpcError> {
    match params
        .get("historyLength")
        .or_else(|| params.get("configuration").and_then(|c| c.get("historyLength")))
    {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .map(|n| Some(n as usize))
            .ok_or_else(|| {
                RpcError::invalid_params("historyLength must be a non-negative integer")
            }),
    }
}

/// `params.id` (the task id) of GetTask / CancelTask; 0.3 also accepted `{id}` only.
pub fn task_id_param(params: &Map<String, Value>) -> Result<String, RpcError> {
    params
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .map(str::to_string)
        .ok_or_else(|| RpcError::invalid_params("params.id (the task id) is required"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task() -> StoredTask {
        StoredTask {
            id: "task_1".into(),
            context_id: "ctx_1".into(),
            state: "completed".into(),
            status_text: None,
            answer: Some("Tents sell best.".into()),
            sources: json!([{"tool": "crow_search_products", "kind": "product", "id": "p1"}]),
            tool_calls: json!([]),
            model: Some("m".into()),
            metadata: json!({}),
            created_at: 0,
            updated_at: 1_000,
            history: vec![
                StoredMessage {
                    id: "u1".into(),
                    role: "user".into(),
                    parts: vec![Part::Text("q".into())],
                    task_id: "task_1".into(),
                    context_id: "ctx_1".into(),
                },
                StoredMessage {
                    id: "a1".into(),
                    role: "agent".into(),
                    parts: vec![Part::Text("a".into())],
                    task_id: "task_1".into(),
                    context_id: "ctx_1".into(),
                },
            ],
        }
    }

    #[test]
    fn versions_and_methods_negotiate() {
        assert_eq!(requested_version(None), Requested::V03);
        assert_eq!(requested_version(Some("1.0")), Requested::V1);
        assert_eq!(requested_version(Some("1")), Requested::V1);
        assert_eq!(requested_version(Some("1.0.1")), Requested::V1);
        assert_eq!(requested_version(Some("0.3")), Requested::V03);
        assert_eq!(requested_version(Some("99.0")), Requested::Unsupported("99.0".into()));
        assert_eq!(method("SendMessage"), Some((Dialect::V1, Method::Send)));
        assert_eq!(method("message/send"), Some((Dialect::V03, Method::Send)));
        assert_eq!(method("tasks/send"), None);
        assert!(negotiate(&Requested::V1, Dialect::V1, "GetTask").is_ok());
        let e = negotiate(&Requested::V03, Dialect::V1, "SendMessage").unwrap_err();
        assert_eq!(e.code, VERSION_NOT_SUPPORTED);
        assert_eq!(
            negotiate(&Requested::Unsupported("99.0".into()), Dialect::V03, "tasks/get")
                .unwrap_err()
                .code,
            VERSION_NOT_SUPPORTED
        );
    }

    #[test]
    fn tasks_render_in_both_dialects() {
        let v1 = task_json(Dialect::V1, &task(), View::FULL);
        assert_eq!(v1["status"]["state"], "TASK_STATE_COMPLETED");
        assert_eq!(v1["status"]["timestamp"], "1970-01-01T00:00:01.000Z");
        assert!(v1.get("kind").is_none());
        assert_eq!(v1["artifacts"][0]["parts"][0]["text"], "Tents sell best.");
        assert_eq!(v1["artifacts"][0]["parts"][1]["data"]["sources"][0]["id"], "p1");
        assert_eq!(v1["history"][0]["role"], "ROLE_USER");
        assert_eq!(v1["history"][1]["role"], "ROLE_AGENT");
        let v03 =
            task_json(Dialect::V03, &task(), View { history_length: Some(1), artifacts: false });
        assert_eq!(v03["kind"], "task");
        assert_eq!(v03["status"]["state"], "completed");
        assert!(v03.get("artifacts").is_none());
        assert_eq!(v03["history"].as_array().unwrap().len(), 1);
        assert_eq!(v03["history"][0]["kind"], "message");
        assert_eq!(v03["history"][0]["role"], "agent");
        let none =
            task_json(Dialect::V1, &task(), View { history_length: Some(0), artifacts: true });
        assert!(none.get("history").is_none());
    }

    #[test]
    fn messages_are_read_from_both_dialects() {
        let v1 = json!({"message": {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "hello"}]}, "configuration": {}});
        let m = read_message(Dialect::V1, v1.as_object().unwrap()).unwrap();
        assert_eq!((m.message_id.as_str(), m.text.as_str(), m.context_id), ("m1", "hello", None));
        let v03 = json!({"configuration": {"blocking": true}, "message": {"kind": "message", "messageId": "m2", "role": "user", "contextId": "ctx_9", "parts": [{"kind": "text", "text": "hi"}]}});
        let m = read_message(Dialect::V03, v03.as_object().unwrap()).unwrap();
        assert_eq!((m.text.as_str(), m.context_id.as_deref()), ("hi", Some("ctx_9")));
        assert!(!return_immediately(v03.as_object().unwrap()));
        let file = json!({"message": {"messageId": "m3", "role": "ROLE_USER", "parts": [{"url": "https://x/y.pdf"}]}});
        assert_eq!(
            read_message(Dialect::V1, file.as_object().unwrap()).unwrap_err().code,
            CONTENT_TYPE_NOT_SUPPORTED
        );
        let agent =
            json!({"message": {"messageId": "m4", "role": "ROLE_AGENT", "parts": [{"text": "x"}]}});
        assert_eq!(read_message(Dialect::V1, agent.as_object().unwrap()).unwrap_err().code, -32602);
        let empty = json!({"message": {"messageId": "m5", "role": "ROLE_USER", "parts": []}});
        assert_eq!(read_message(Dialect::V1, empty.as_object().unwrap()).unwrap_err().code, -32602);
    }

    #[test]
    fn errors_carry_error_info_in_v1_only() {
        let e = task_not_found(Dialect::V1, "t");
        let data = e.data.clone().unwrap();
        assert_eq!(data[0]["reason"], "TASK_NOT_FOUND");
        assert_eq!(data[0]["@type"], "type.googleapis.com/google.rpc.ErrorInfo");
        let e = task_not_found(Dialect::V03, "t");
        assert_eq!(e.code, TASK_NOT_FOUND);
        assert!(e.data.unwrap().is_object());
        assert_eq!(state_filter("TASK_STATE_FAILED"), Some("failed"));
        assert_eq!(state_filter("completed"), Some("completed"));
        assert_eq!(state_filter("nope"), None);
    }
}
