//! JSON-RPC 2.0 message types and a classifier for incoming bodies, shared by the MCP and A2A
//! workers. Parsing never panics and never loses the request id when one can be recovered, so
//! that error responses can always be correlated by the client.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;

/// A request id: a string or a number. `Null` appears only in error responses whose request id
/// could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    Num(Number),
    Str(String),
    Null,
}

impl Id {
    fn from_value(v: &Value) -> Option<Id> {
        match v {
            Value::String(s) => Some(Id::Str(s.clone())),
            Value::Number(n) => Some(Id::Num(n.clone())),
            Value::Null => Some(Id::Null),
            _ => None,
        }
    }
}

/// The error object of a JSON-RPC response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError { code, message: message.into(), data: None }
    }
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
    pub fn parse_error(detail: impl Into<String>) -> Self {
        RpcError::new(PARSE_ERROR, "Parse error").with_data(Value::from(detail.into()))
    }
    pub fn invalid_request(detail: impl Into<String>) -> Self {
        RpcError::new(INVALID_REQUEST, "Invalid Request").with_data(Value::from(detail.into()))
    }
    pub fn method_not_found(method: &str) -> Self {
        RpcError::new(METHOD_NOT_FOUND, format!("Method not found: {method}"))
    }
    pub fn invalid_params(detail: impl Into<String>) -> Self {
        RpcError::new(INVALID_PARAMS, detail)
    }
    /// Internal error with a fixed message: causes are logged, not returned.
    pub fn internal() -> Self {
        RpcError::new(INTERNAL_ERROR, "Internal error")
    }
}

/// A request that expects a response.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: Id,
    pub method: String,
    /// `params` as sent (an object or an array), `None` when absent.
    pub params: Option<Value>,
}

impl Request {
    /// `params` as an object; absent params are an empty object; an array is invalid params.
    pub fn params_object(&self) -> Result<Map<String, Value>, RpcError> {
        match &self.params {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(_) => Err(RpcError::invalid_params("params must be an object")),
        }
    }
}

/// A notification: no id, no response.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub method: String,
    pub params: Option<Value>,
}

/// What a POSTed body turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Request(Request),
    Notification(Notification),
    /// A response from the peer (to a server-initiated request); servers here send none, so these
    /// are acknowledged and dropped.
    Response {
        id: Id,
    },
    /// A JSON array. JSON-RPC 2.0 allows batches; the MCP revisions this server speaks do not.
    Batch(usize),
    /// Not a valid message: answer `error` with `id` (which is `Null` when it was unreadable).
    Invalid {
        id: Id,
        error: RpcError,
    },
}

/// Classifies a raw body. Never panics.
pub fn parse(body: &[u8]) -> Incoming {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Incoming::Invalid { id: Id::Null, error: RpcError::parse_error(e.to_string()) }
        }
    };
    classify(value)
}

/// Classifies an already-parsed JSON value.
pub fn classify(value: Value) -> Incoming {
    let obj = match value {
        Value::Object(o) => o,
        Value::Array(items) => return Incoming::Batch(items.len()),
        _ => {
            return Incoming::Invalid {
                id: Id::Null,
                error: RpcError::invalid_request("a JSON-RPC message must be an object"),
            }
        }
    };
    // Recover the id first so that every later error can carry it.
    let id = match obj.get("id") {
        None => None,
        Some(v) => match Id::from_value(v) {
            Some(id) => Some(id),
            None => {
                return Incoming::Invalid {
                    id: Id::Null,
                    error: RpcError::invalid_request("id must be a string or a number"),
                }
            }
        },
    };
    let invalid = |detail: &str| Incoming::Invalid {
        id: id.clone().unwrap_or(Id::Null),
        error: RpcError::invalid_request(detail),
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return invalid("jsonrpc must be exactly \"2.0\"");
    }
    match obj.get("method") {
        Some(Value::String(method)) => {
            let params = obj.get("params").cloned();
            if let Some(p) = &params {
                if !(p.is_object() || p.is_array()) {
                    return invalid("params must be an object or an array");
                }
            }
            match id {
                Some(Id::Null) => invalid("id must not be null"),
                Some(id) => Incoming::Request(Request { id, method: method.clone(), params }),
                None => Incoming::Notification(Notification { method: method.clone(), params }),
            }
        }
        Some(_) => invalid("method must be a string"),
        None => {
            let has_result = obj.contains_key("result");
            let has_error = obj.contains_key("error");
            match id {
                Some(id) if has_result ^ has_error => Incoming::Response { id },
                _ => invalid("missing method"),
            }
        }
    }
}

/// A success response.
pub fn success(id: &Id, result: Value) -> Value {
    serde_json::json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// An error response.
pub fn failure(id: &Id, error: &RpcError) -> Value {
    serde_json::json!({ "jsonrpc": "2.0", "id": id, "error": error })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unreadable_json_is_a_parse_error_with_null_id() {
        match parse(b"{not json") {
            Incoming::Invalid { id, error } => {
                assert_eq!(id, Id::Null);
                assert_eq!(error.code, PARSE_ERROR);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn requests_notifications_and_responses_are_told_apart() {
        let r = parse(br#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#);
        assert!(matches!(r, Incoming::Request(Request { ref method, .. }) if method == "ping"));
        let n = parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        assert!(matches!(n, Incoming::Notification(_)));
        let resp = parse(br#"{"jsonrpc":"2.0","id":"a","result":{}}"#);
        assert_eq!(resp, Incoming::Response { id: Id::Str("a".into()) });
        assert_eq!(parse(b"[1,2]"), Incoming::Batch(2));
    }

    #[test]
    fn invalid_requests_keep_their_id() {
        for body in [
            json!({"jsonrpc":"1.0","id":3,"method":"x"}),
            json!({"id":3,"method":"x"}),
            json!({"jsonrpc":"2.0","id":3,"method":5}),
            json!({"jsonrpc":"2.0","id":3,"method":"x","params":"s"}),
            json!({"jsonrpc":"2.0","id":3}),
        ] {
            match classify(body.clone()) {
                Incoming::Invalid { id, error } => {
                    assert_eq!(id, Id::Num(3.into()), "{body}");
                    assert_eq!(error.code, INVALID_REQUEST);
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn odd_ids_are_rejected() {
        for body in [
            json!({"jsonrpc":"2.0","id":{},"method":"x"}),
            json!({"jsonrpc":"2.0","id":null,"method":"x"}),
        ] {
            assert!(matches!(classify(body), Incoming::Invalid { .. }));
        }
        assert!(matches!(classify(json!("str")), Incoming::Invalid { .. }));
    }

    #[test]
    fn responses_serialize_per_spec() {
        let id = Id::Str("x".into());
        assert_eq!(
            success(&id, json!({"ok":true})),
            json!({"jsonrpc":"2.0","id":"x","result":{"ok":true}})
        );
        let f = failure(&Id::Null, &RpcError::method_not_found("nope"));
        assert_eq!(f["error"]["code"], json!(METHOD_NOT_FOUND));
        assert_eq!(f["id"], Value::Null);
        assert!(f["error"].get("data").is_none());
    }

    #[test]
    fn params_object_accepts_absent_params_and_refuses_arrays() {
        let r = Request { id: Id::Num(1.into()), method: "m".into(), params: None };
        assert!(r.params_object().unwrap().is_empty());
        let r = Request { params: Some(json!([1])), ..r };
        assert_eq!(r.params_object().unwrap_err().code, INVALID_PARAMS);
    }
}
