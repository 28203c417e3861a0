//! MCP tool argument validation (`crow_tools::validate`) against every tool in the catalogue,
//! then the REST request and the rendering of an arbitrary gateway answer.
//!
//! Properties:
//! - `validate` returns `Ok` or a clean `ToolError`, never panics; `UnknownTool` exactly for
//!   names outside the catalogue; an `InvalidArguments` error names `arguments`, one of the
//!   tool's arguments, or the unknown key it refused;
//! - an accepted call has the tool's name, satisfies the advertised `inputSchema` (types,
//!   enums, bounds, lengths, pattern, `required`, no additional properties) both as sent and as
//!   normalized, and validating its normalized `arguments()` gives the same call;
//! - its REST request is a `GET` on `/api/v1/...` made of printable ASCII only;
//! - rendering any gateway body gives a structured result that echoes the normalized
//!   arguments and counts its items.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use crow_fuzz::{value, Vocab};
use crow_tools::{validate, ToolCall, ToolError, ToolKind};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const VOCAB: Vocab = Vocab {
    keys: &[
        "query",
        "mode",
        "limit",
        "page",
        "sourceType",
        "period",
        "productId",
        "data",
        "items",
        "total",
        "name",
    ],
    strings: &[
        "semantic",
        "fts",
        "hybrid",
        "web",
        "cctv",
        "social",
        "daily",
        "weekly",
        "monthly",
        "yearly",
        "red shoes",
        "prod_01-AB",
        "",
        " ",
    ],
};

#[derive(Debug)]
struct Input {
    name: String,
    arguments: Value,
    org_id: String,
    body: Value,
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let name = if u.ratio(1, 8)? {
            String::arbitrary(u)?
        } else {
            u.choose(&ToolKind::ALL)?.name().to_string()
        };
        let arguments = match u.int_in_range(0..=7)? {
            0 => value(u, 0, VOCAB)?,
            1 => Value::Null,
            _ => Value::Object(crow_fuzz::object(u, 1, VOCAB)?),
        };
        Ok(Input { name, arguments, org_id: String::arbitrary(u)?, body: value(u, 0, VOCAB)? })
    }
}

fuzz_target!(|input: Input| check(input));

fn check(input: Input) {
    // The fuzzed name, then the same arguments against every tool.
    check_one(&input.name, &input.arguments, &input.org_id, &input.body);
    for kind in ToolKind::ALL {
        check_one(kind.name(), &input.arguments, &input.org_id, &input.body);
    }
}

fn check_one(name: &str, arguments: &Value, org_id: &str, body: &Value) {
    let kind = ToolKind::from_name(name);
    match validate(name, arguments) {
        Err(ToolError::UnknownTool(n)) => {
            assert!(kind.is_none(), "{name} is in the catalogue");
            assert!(n.chars().count() <= 129);
        }
        Err(ToolError::InvalidArguments { field, message }) => {
            let kind = kind.expect("only catalogue tools get argument errors");
            assert!(!message.is_empty());
            let allowed = kind.argument_names();
            let named_key = arguments.as_object().is_some_and(|m| {
                m.keys().any(|k| !allowed.contains(&k.as_str()) && clipped_matches(k, &field))
            });
            assert!(
                field == "arguments" || allowed.contains(&field.as_str()) || named_key,
                "field {field}"
            );
        }
        Ok(call) => {
            let kind = kind.expect("only catalogue tools validate");
            assert_eq!(call.name(), name);
            assert_eq!(call.kind(), kind);
            let schema = kind.input_schema();
            let sent = match arguments {
                Value::Null => Map::new(),
                Value::Object(m) => m.clone(),
                other => panic!("non-object arguments {other} accepted"),
            };
            // As sent: null means absent, and strings are checked after trimming.
            let sent: Map<String, Value> = sent
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| match v {
                    Value::String(s) if k == "query" => (k, Value::String(s.trim().to_string())),
                    v => (k, v),
                })
                .filter(|(k, v)| {
                    !(k == "query"
                        && v.as_str() == Some("")
                        && !required(&schema).contains(&"query".to_string()))
                })
                .collect();
            conforms(&schema, &sent)
                .unwrap_or_else(|e| panic!("{name} accepted {arguments} against its schema: {e}"));
            let normalized = call.arguments();
            conforms(&schema, normalized.as_object().expect("object"))
                .unwrap_or_else(|e| panic!("normalized {normalized}: {e}"));
            assert_eq!(
                validate(name, &normalized),
                Ok(call.clone()),
                "normalized arguments do not round-trip"
            );
            check_rest(&call, org_id);
            check_render(&call, body);
        }
    }
}

/// `field` is `key` or `key` clipped to 64 characters with an ellipsis.
fn clipped_matches(key: &str, field: &str) -> bool {
    key == field
        || field.strip_suffix('…').is_some_and(|p| key.starts_with(p) && p.chars().count() == 64)
}

fn required(schema: &Value) -> Vec<String> {
    schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The subset of JSON Schema the catalogue uses.
fn conforms(schema: &Value, args: &Map<String, Value>) -> Result<(), String> {
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["additionalProperties"], false);
    let props = schema["properties"].as_object().expect("properties");
    for r in required(schema) {
        if !args.contains_key(&r) {
            return Err(format!("missing required {r}"));
        }
    }
    for (k, v) in args {
        let p = props.get(k).ok_or_else(|| format!("additional property {k}"))?;
        match p["type"].as_str() {
            Some("string") => {
                let s = v.as_str().ok_or_else(|| format!("{k} is not a string"))?;
                let n = s.chars().count() as u64;
                if p.get("minLength").and_then(Value::as_u64).is_some_and(|m| n < m) {
                    return Err(format!("{k} shorter than minLength"));
                }
                if p.get("maxLength").and_then(Value::as_u64).is_some_and(|m| n > m) {
                    return Err(format!("{k} longer than maxLength"));
                }
                if let Some(e) = p.get("enum").and_then(Value::as_array) {
                    if !e.contains(v) {
                        return Err(format!("{k} not in enum"));
                    }
                }
                if let Some(pattern) = p.get("pattern").and_then(Value::as_str) {
                    assert_eq!(
                        pattern, "^[A-Za-z0-9_-]{1,64}$",
                        "a pattern this checker does not know"
                    );
                    let ok = (1..=64).contains(&s.len())
                        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    if !ok {
                        return Err(format!("{k} does not match {pattern}"));
                    }
                }
            }
            Some("integer") => {
                let n = v.as_f64().ok_or_else(|| format!("{k} is not a number"))?;
                if n.fract() != 0.0 {
                    return Err(format!("{k} is not an integer"));
                }
                if p.get("minimum").and_then(Value::as_f64).is_some_and(|m| n < m) {
                    return Err(format!("{k} below minimum"));
                }
                if p.get("maximum").and_then(Value::as_f64).is_some_and(|m| n > m) {
                    return Err(format!("{k} above maximum"));
                }
            }
            other => panic!("schema type {other:?} not handled by this checker"),
        }
    }
    Ok(())
}

fn check_rest(call: &ToolCall, org_id: &str) {
    let req = call.rest_request(org_id);
    assert_eq!(req.method, "GET");
    assert!(req.path_and_query.starts_with("/api/v1/"), "{}", req.path_and_query);
    assert!(req.path_and_query.bytes().all(|b| b.is_ascii_graphic()), "{}", req.path_and_query);
    // The organization id stays inside one path segment.
    let path = req.path_and_query.split('?').next().unwrap_or_default();
    assert!(path.split('/').count() <= 7, "{path}");
}

fn check_render(call: &ToolCall, body: &Value) {
    let out = call.render(body);
    assert!(!out.summary.is_empty());
    assert!(out.text().starts_with(&out.summary));
    let s = out.structured.as_object().expect("structured result is an object");
    assert_eq!(s.get("arguments"), Some(&call.arguments()));
    match call {
        ToolCall::GetInteractionSummary => assert!(s.get("summary").is_some_and(Value::is_object)),
        _ => {
            let items = s.get("items").and_then(Value::as_array).expect("items");
            assert_eq!(s.get("count").and_then(Value::as_u64), Some(items.len() as u64));
            assert!(s.get("meta").is_some_and(Value::is_object));
            if let Some(t) = s.get("total") {
                assert!(t.is_u64());
            }
        }
    }
}
