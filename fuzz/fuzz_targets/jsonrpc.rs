//! `crow_common::jsonrpc::parse` / `classify` on raw bytes.
//!
//! Properties:
//! - `parse` agrees with `classify` on every body that is JSON;
//! - a parsed request or notification re-serialised and re-parsed gives the same method, id and
//!   params (an error never loses a readable id; a parse error has a null id);
//! - the answers built with `success` / `failure` are valid JSON-RPC 2.0 responses that the
//!   classifier reads back as a response with the same id;
//! - `params_object` accepts exactly absent, null and object params.
#![no_main]

use crow_common::jsonrpc::{
    self, Id, Incoming, RpcError, INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR,
};
use crow_fuzz::{same_json, same_number};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| check(data));

fn check(data: &[u8]) {
    let incoming = jsonrpc::parse(data);
    let parsed: Option<Value> = serde_json::from_slice(data).ok();
    match &parsed {
        Some(v) => {
            assert_eq!(incoming, jsonrpc::classify(v.clone()), "parse and classify disagree")
        }
        None => match &incoming {
            Incoming::Invalid { id, error } => {
                assert_eq!(*id, Id::Null);
                assert_eq!(error.code, PARSE_ERROR);
            }
            other => panic!("unreadable JSON classified as {other:?}"),
        },
    }
    match &incoming {
        Incoming::Request(r) => {
            assert_ne!(r.id, Id::Null, "a request never has a null id");
            let again = reparse(
                json!({ "jsonrpc": "2.0", "id": r.id, "method": r.method, "params": r.params }),
                r.params.is_none(),
            );
            match again {
                Incoming::Request(r2) => {
                    assert!(same_id(&r.id, &r2.id), "{:?} vs {:?}", r.id, r2.id);
                    assert_eq!(r.method, r2.method);
                    assert!(opt_same_json(&r.params, &r2.params));
                }
                other => panic!("request {r:?} re-parsed as {other:?}"),
            }
            match r.params_object() {
                Ok(m) => assert!(
                    matches!(&r.params, None | Some(Value::Null))
                        || r.params == Some(Value::Object(m))
                ),
                Err(e) => {
                    assert_eq!(e.code, INVALID_PARAMS);
                    assert!(matches!(r.params, Some(Value::Array(_))));
                }
            }
            check_response(&r.id, &jsonrpc::success(&r.id, json!({ "echo": r.method })));
            check_response(&r.id, &jsonrpc::failure(&r.id, &RpcError::method_not_found(&r.method)));
        }
        Incoming::Notification(n) => {
            let again = reparse(
                json!({ "jsonrpc": "2.0", "method": n.method, "params": n.params }),
                n.params.is_none(),
            );
            match again {
                Incoming::Notification(n2) => {
                    assert_eq!(n.method, n2.method);
                    assert!(opt_same_json(&n.params, &n2.params));
                }
                other => panic!("notification {n:?} re-parsed as {other:?}"),
            }
        }
        Incoming::Response { id } => {
            let obj = parsed.as_ref().and_then(Value::as_object).expect("a response is an object");
            assert!(obj.contains_key("result") ^ obj.contains_key("error"));
            assert!(obj.get("id").is_some());
            let _ = id;
        }
        Incoming::Batch(n) => {
            assert_eq!(parsed.as_ref().and_then(Value::as_array).map(Vec::len), Some(*n));
        }
        Incoming::Invalid { id, error } => {
            assert!(error.code == PARSE_ERROR || error.code == INVALID_REQUEST, "{error:?}");
            // The id is kept whenever the body had a readable one.
            if error.code == INVALID_REQUEST {
                if let Some(Value::Object(o)) = &parsed {
                    match o.get("id") {
                        Some(Value::String(s)) => assert_eq!(*id, Id::Str(s.clone())),
                        Some(Value::Number(n)) => assert_eq!(*id, Id::Num(n.clone())),
                        _ => assert_eq!(*id, Id::Null),
                    }
                }
            }
            check_response(id, &jsonrpc::failure(id, error));
        }
    }
}

/// Serialises a message (dropping `params` when it was absent) and parses it again.
fn reparse(mut v: Value, drop_params: bool) -> Incoming {
    if drop_params {
        if let Some(o) = v.as_object_mut() {
            o.remove("params");
        }
    }
    jsonrpc::parse(&serde_json::to_vec(&v).expect("serialises"))
}

/// A valid JSON-RPC 2.0 response carrying `id`, read back as a response with the same id.
fn check_response(id: &Id, resp: &Value) {
    let o = resp.as_object().expect("a response is an object");
    assert_eq!(o.get("jsonrpc"), Some(&json!("2.0")));
    assert!(o.contains_key("id"));
    assert!(o.contains_key("result") ^ o.contains_key("error"), "{resp}");
    assert_eq!(o.len(), 3, "{resp}");
    if let Some(e) = o.get("error") {
        let e = e.as_object().expect("error is an object");
        assert!(e.get("code").is_some_and(Value::is_i64));
        assert!(e.get("message").is_some_and(Value::is_string));
        assert!(e.keys().all(|k| matches!(k.as_str(), "code" | "message" | "data")));
    }
    match jsonrpc::parse(&serde_json::to_vec(resp).expect("serialises")) {
        Incoming::Response { id: back } => assert!(same_id(id, &back), "{id:?} vs {back:?}"),
        other => panic!("our own response {resp} classified as {other:?}"),
    }
}

fn same_id(a: &Id, b: &Id) -> bool {
    match (a, b) {
        (Id::Num(x), Id::Num(y)) => same_number(x, y),
        _ => a == b,
    }
}

fn opt_same_json(a: &Option<Value>, b: &Option<Value>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => same_json(x, y),
        (None, None) => true,
        _ => false,
    }
}
