//! `crow_common::body::parse_json`: request bodies decoded into typed structs with errors that
//! name the offending field.
//!
//! Properties:
//! - never panics; every error is a 400 whose `details.field` is a string, empty only when the
//!   body has an empty key (which is then the unknown field named);
//! - into `serde_json::Value` it agrees exactly with `serde_json::from_slice` (blank bodies
//!   refused), so the field-path wrapper neither loses nor invents documents;
//! - into a `deny_unknown_fields` struct it accepts exactly what plain serde accepts, and an
//!   error's field path names an existing place in the body (`items[3].qty`) or `body`.
#![no_main]

use crow_common::body::parse_json;
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Item {
    name: String,
    qty: u32,
    #[serde(default, rename = "sourceType")]
    source_type: Option<Kind>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Web,
    Cctv,
    Social,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Batch {
    items: Vec<Item>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

fuzz_target!(|data: &[u8]| check(data));

fn check(data: &[u8]) {
    let plain: Option<Value> = serde_json::from_slice(data).ok();
    let blank = data.iter().all(u8::is_ascii_whitespace);
    match parse_json::<Value>(data) {
        Ok(v) => assert_eq!(Some(v), plain),
        Err(e) => {
            assert!(plain.is_none() || blank);
            check_error(&e, data);
        }
    }
    let typed: Result<Batch, _> = parse_json(data);
    assert_eq!(typed.is_ok(), serde_json::from_slice::<Batch>(data).is_ok());
    match typed {
        Ok(b) => assert_eq!(Some(b), serde_json::from_slice::<Batch>(data).ok()),
        Err(e) => {
            check_error(&e, data);
            let field = e.details["field"].as_str().unwrap_or_default();
            if field != "body" {
                // Paths are not escaped, so empty keys and keys with `.`, `[` or `]` make them ambiguous.
                if let Some(doc) = plain.as_ref().filter(|d| !has_path_characters_in_keys(d)) {
                    assert!(path_exists_or_missing(doc, field), "field {field} not in {doc}");
                }
            }
        }
    }
    let _ = parse_json::<Item>(data).map_err(|e| check_error(&e, data));
}

fn check_error(e: &crow_common::ApiError, data: &[u8]) {
    assert_eq!(e.status(), 400);
    let field =
        e.details.get("field").and_then(Value::as_str).unwrap_or_else(|| panic!("{:?}", e.details));
    assert!(!field.is_empty() || data.windows(2).any(|w| w == b"\"\""), "{:?}", e.details);
}

/// `items[3].qty`: every step but the last exists in the document (the last may be the
/// missing or unknown field itself).
fn path_exists_or_missing(doc: &Value, path: &str) -> bool {
    let mut steps: Vec<Step> = Vec::new();
    for seg in path.split('.') {
        let (name, rest) = seg.split_once('[').map_or((seg, ""), |(n, r)| (n, r));
        if !name.is_empty() {
            steps.push(Step::Key(name.to_string()));
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            match idx.trim_end_matches(']').parse::<usize>() {
                Ok(i) => steps.push(Step::Index(i)),
                Err(_) => return true, // a key containing brackets: not worth decoding here
            }
        }
    }
    let Some((_, init)) = steps.split_last() else { return false };
    let mut cur = doc;
    for s in init {
        cur = match (s, cur) {
            (Step::Key(k), Value::Object(m)) => match m.get(k) {
                Some(v) => v,
                None => return false,
            },
            (Step::Index(i), Value::Array(a)) => match a.get(*i) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    true
}

fn has_path_characters_in_keys(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| {
            k.is_empty() || k.contains(['.', '[', ']']) || has_path_characters_in_keys(v)
        }),
        Value::Array(a) => a.iter().any(has_path_characters_in_keys),
        _ => false,
    }
}

enum Step {
    Key(String),
    Index(usize),
}
