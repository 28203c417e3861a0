//! Plain HTTP request/response values, so the whole server runs on the host in tests. The worker
//! converts `worker::Request` / `worker::Response` to and from these.

use serde_json::Value;

/// An incoming request on the MCP endpoint. Header names are compared case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn new(method: &str) -> Self {
        HttpRequest { method: method.to_string(), headers: Vec::new(), body: Vec::new() }
    }

    /// Builder: adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Builder: sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The first value of a header, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// All values of a header joined with `", "` (how list-valued headers such as `Accept` combine).
    pub fn get_all(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() {
            None
        } else {
            Some(values.join(", "))
        }
    }
}

/// An outgoing response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// An empty response.
    pub fn empty(status: u16) -> Self {
        HttpResponse { status, headers: Vec::new(), body: Vec::new() }
    }

    /// A JSON response (`Content-Type: application/json`).
    pub fn json(status: u16, value: &Value) -> Self {
        HttpResponse {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
        }
    }

    /// Builder: adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The first value of a header, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The body parsed as JSON (`None` when empty or not JSON).
    pub fn json_body(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// The media type of a `Content-Type` value, lowercased, without parameters.
pub(crate) fn media_type(value: &str) -> String {
    value.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Whether a `Content-Type` names JSON (`application/json` or any `+json` type).
pub(crate) fn is_json_content_type(value: &str) -> bool {
    let mt = media_type(value);
    mt == "application/json" || (mt.starts_with("application/") && mt.ends_with("+json"))
}

/// The media ranges of an `Accept` value that are acceptable (quality above zero), lowercased.
fn accepted_ranges(accept: &str) -> Vec<String> {
    accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let range = pieces.next()?.trim().to_ascii_lowercase();
            if range.is_empty() {
                return None;
            }
            let refused = pieces.any(|p| {
                let p = p.trim();
                let lower = p.to_ascii_lowercase();
                lower
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (!refused).then_some(range)
        })
        .collect()
}

/// Whether `Accept` lets us answer with JSON or SSE. Missing or empty `Accept` counts as "anything".
/// Deliberately lenient: clients that list only one of the two types (some proxies send
/// `text/event-stream` alone) still get a JSON answer.
pub(crate) fn accepts_json_or_sse(accept: Option<&str>) -> bool {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else { return true };
    accepted_ranges(accept).iter().any(|r| {
        matches!(
            r.as_str(),
            "*/*" | "application/*" | "application/json" | "text/*" | "text/event-stream"
        )
    })
}

/// Whether `Accept` explicitly asks for an event stream (how MCP clients open the legacy GET stream).
pub(crate) fn wants_event_stream(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| accepted_ranges(a).iter().any(|r| r == "text/event-stream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive_and_joinable() {
        let r = HttpRequest::new("POST")
            .header("accept", "application/json")
            .header("ACCEPT", "text/event-stream");
        assert_eq!(r.get("Accept"), Some("application/json"));
        assert_eq!(r.get_all("Accept").unwrap(), "application/json, text/event-stream");
        assert_eq!(r.get("X-Missing"), None);
    }

    #[test]
    fn content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("Application/JSON; charset=utf-8"));
        assert!(is_json_content_type("application/json-rpc+json"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type("application/x-www-form-urlencoded"));
    }

    #[test]
    fn accept_is_lenient_but_honours_exclusions() {
        assert!(accepts_json_or_sse(None));
        assert!(accepts_json_or_sse(Some("")));
        assert!(accepts_json_or_sse(Some("application/json, text/event-stream")));
        assert!(accepts_json_or_sse(Some("text/event-stream")));
        assert!(accepts_json_or_sse(Some("*/*")));
        assert!(accepts_json_or_sse(Some("text/html, */*;q=0.8")));
        assert!(!accepts_json_or_sse(Some("text/html")));
        assert!(!accepts_json_or_sse(Some("application/json;q=0, image/png")));
        assert!(wants_event_stream(Some("application/json, text/event-stream")));
        assert!(!wants_event_stream(Some("text/html,*/*")));
        assert!(!wants_event_stream(None));
    }
}
