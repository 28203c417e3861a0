//! Request-body decoding with errors that name the offending field.

use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Default cap for JSON bodies (bytes). Routes with larger payloads (batch ingest, uploads) set
/// their own.
pub const DEFAULT_JSON_LIMIT: usize = 64 * 1024;

/// Decodes a JSON body into `T`. Unknown fields are refused where `T` says
/// `#[serde(deny_unknown_fields)]`; errors become a 400 whose `details.field` is the JSON path of
/// the problem (`items[3].sourceType`) and whose `details.issue` says what was wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::validation("A JSON request body is required").detail("field", "body"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = match result {
        Ok(v) => v,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let issue = inner.to_string();
            let issue = issue.split(" at line ").next().unwrap_or(&issue).to_string();
            return Err(match inner.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    ApiError::validation(format!("The body is not valid JSON: {issue}"))
                        .detail("field", "body")
                        .detail("issue", issue)
                        .detail("line", inner.line() as u64)
                        .detail("column", inner.column() as u64)
                }
                _ => {
                    let join = |f: String| if path == "." { f } else { format!("{path}.{f}") };
                    // serde_path_to_error already ends the path with an unknown field's name,
                    // but stops at the parent for a missing one.
                    let field = if unknown_field_name(&issue).is_some()
                        || path != "." && missing_field_name(&issue).is_none()
                    {
                        if path == "." {
                            "body".to_string()
                        } else {
                            path.clone()
                        }
                    } else if let Some(f) = missing_field_name(&issue) {
                        join(f)
                    } else {
                        "body".to_string()
                    };
                    ApiError::invalid_field(&field, issue)
                }
            });
        }
    };
    de.end().map_err(|_| {
        ApiError::validation("Trailing characters after the JSON body").detail("field", "body")
    })?;
    Ok(value)
}

fn backticked_after<'a>(issue: &'a str, marker: &str) -> Option<&'a str> {
    let rest = issue.split_once(marker)?.1;
    let rest = rest.strip_prefix('`')?;
    rest.split_once('`').map(|(name, _)| name)
}

fn unknown_field_name(issue: &str) -> Option<String> {
    backticked_after(issue, "unknown field ").map(str::to_string)
}

fn missing_field_name(issue: &str) -> Option<String> {
    backticked_after(issue, "missing field ").map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        name: String,
        qty: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Batch {
        items: Vec<Item>,
    }

    fn field(e: &ApiError) -> String {
        e.details["field"].as_str().unwrap().to_string()
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse_json::<Item>(br#"{"name":"a","qty":1,"admin":true}"#).unwrap_err();
        assert_eq!(field(&e), "admin");
        let e = parse_json::<Item>(br#"{"name":"a"}"#).unwrap_err();
        assert_eq!(field(&e), "qty");
        let e = parse_json::<Batch>(br#"{"items":[{"name":"a","qty":1},{"name":"b","qty":-1}]}"#)
            .unwrap_err();
        assert_eq!(field(&e), "items[1].qty");
        let e = parse_json::<Batch>(br#"{"items":[{"name":"a","qty":1,"x":1}]}"#).unwrap_err();
        assert_eq!(field(&e), "items[0].x");
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn syntax_errors_and_empty_bodies() {
        let e = parse_json::<Item>(b"{\"name\": ").unwrap_err();
        assert_eq!(field(&e), "body");
        assert!(e.details.contains_key("line"));
        assert_eq!(field(&parse_json::<Item>(b"  ").unwrap_err()), "body");
        assert_eq!(field(&parse_json::<Item>(br#"{"name":"a","qty":1} x"#).unwrap_err()), "body");
        assert!(parse_json::<Item>(br#"{"name":"a","qty":1}"#).is_ok());
    }
}
