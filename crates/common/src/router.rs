//! A small, pure route table. Workers map each route to a `Copy` value (usually an enum) and
//! dispatch on it; the table itself is data, so it can be listed (for the OpenAPI parity test)
//! and tested on the host.
//!
//! Patterns are `/`-separated; a segment `:name` captures one path segment and a final `*name`
//! captures the rest (possibly empty). When several patterns match a path, the most specific one
//! wins: at the first differing segment a literal beats a parameter, which beats a wildcard.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Rest(String),
}

impl Segment {
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 0,
            Segment::Param(_) => 1,
            Segment::Rest(_) => 2,
        }
    }
}

#[derive(Debug, Clone)]
struct Entry<R> {
    method: &'static str,
    pattern: &'static str,
    segments: Vec<Segment>,
    route: R,
}

/// Path parameters captured by a match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// The outcome of resolving a method and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution<R> {
    Matched {
        route: R,
        params: Params,
        pattern: &'static str,
    },
    /// The path exists, but not for this method. `allow` is sorted and deduplicated.
    MethodNotAllowed {
        allow: Vec<&'static str>,
    },
    NotFound,
}

#[derive(Debug, Clone)]
pub struct Router<R> {
    entries: Vec<Entry<R>>,
}

impl<R: Copy> Default for Router<R> {
    fn default() -> Self {
        Router { entries: Vec::new() }
    }
}

fn split(path: &str) -> Vec<&str> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

fn compile(pattern: &str) -> Vec<Segment> {
    let parts = split(pattern);
    let last = parts.len().saturating_sub(1);
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if let Some(name) = p.strip_prefix(':') {
                Segment::Param(name.to_string())
            } else if let Some(name) = p.strip_prefix('*') {
                assert!(i == last, "wildcard must be the last segment in {pattern}");
                Segment::Rest(name.to_string())
            } else {
                Segment::Literal((*p).to_string())
            }
        })
        .collect()
}

fn matches(segments: &[Segment], parts: &[&str]) -> Option<Params> {
    let mut params = BTreeMap::new();
    for (i, seg) in segments.iter().enumerate() {
        match seg {
            Segment::Rest(name) => {
                params
                    .insert(name.clone(), parts.get(i..).map(|r| r.join("/")).unwrap_or_default());
                return Some(Params(params));
            }
            Segment::Literal(lit) => {
                if parts.get(i) != Some(&lit.as_str()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                let part = parts.get(i)?;
                if part.is_empty() {
                    return None;
                }
                params.insert(name.clone(), (*part).to_string());
            }
        }
    }
    (segments.len() == parts.len()).then_some(Params(params))
}

impl<R: Copy> Router<R> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route. Panics on a duplicate (method, pattern): that is a programming error caught
    /// by the workers' unit tests, never by a request.
    pub fn add(mut self, method: &'static str, pattern: &'static str, route: R) -> Self {
        assert!(
            !self.entries.iter().any(|e| e.method == method && e.pattern == pattern),
            "duplicate route {method} {pattern}"
        );
        self.entries.push(Entry { method, pattern, segments: compile(pattern), route });
        self
    }

    /// Every (method, pattern) in the table, in insertion order.
    pub fn routes(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.entries.iter().map(|e| (e.method, e.pattern))
    }

    /// Every (method, pattern, route) in the table, in insertion order.
    pub fn table(&self) -> impl Iterator<Item = (&'static str, &'static str, R)> + '_ {
        self.entries.iter().map(|e| (e.method, e.pattern, e.route))
    }

    /// A pattern in OpenAPI form: `/products/:id` becomes `/products/{id}`.
    pub fn openapi_path(pattern: &str) -> String {
        pattern
            .split('/')
            .map(|seg| match seg.strip_prefix(':').or_else(|| seg.strip_prefix('*')) {
                Some(name) => format!("{{{name}}}"),
                None => seg.to_string(),
            })
            .collect::<Vec<_>>()
            .join("/")
    }

    pub fn resolve(&self, method: &str, path: &str) -> Resolution<R> {
        let parts = split(path);
        let mut best: Option<(&Entry<R>, Params)> = None;
        let mut allow: Vec<&'static str> = Vec::new();
        for entry in &self.entries {
            let Some(params) = matches(&entry.segments, &parts) else { continue };
            allow.push(entry.method);
            if entry.method != method {
                continue;
            }
            let better = match &best {
                None => true,
                Some((current, _)) => more_specific(&entry.segments, &current.segments),
            };
            if better {
                best = Some((entry, params));
            }
        }
        match best {
            Some((entry, params)) => {
                Resolution::Matched { route: entry.route, params, pattern: entry.pattern }
            }
            None if allow.is_empty() => Resolution::NotFound,
            None => {
                allow.sort_unstable();
                allow.dedup();
                Resolution::MethodNotAllowed { allow }
            }
        }
    }
}

fn more_specific(a: &[Segment], b: &[Segment]) -> bool {
    for (x, y) in a.iter().zip(b.iter()) {
        if x.rank() != y.rank() {
            return x.rank() < y.rank();
        }
    }
    a.len() > b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum R {
        Health,
        ProductSearch,
        Product,
        ProductDelete,
        Chat,
        OrgProducts,
    }

    fn table() -> Router<R> {
        Router::new()
            .add("GET", "/health", R::Health)
            .add("GET", "/api/v1/products/:id", R::Product)
            .add("DELETE", "/api/v1/products/:id", R::ProductDelete)
            .add("GET", "/api/v1/products/search", R::ProductSearch)
            .add("GET", "/api/v1/products/organization/:orgId", R::OrgProducts)
            .add("POST", "/api/v1/chat/*rest", R::Chat)
    }

    #[test]
    fn literals_beat_parameters_whatever_the_order() {
        let t = table();
        match t.resolve("GET", "/api/v1/products/search") {
            Resolution::Matched { route, .. } => assert_eq!(route, R::ProductSearch),
            other => panic!("{other:?}"),
        }
        match t.resolve("GET", "/api/v1/products/p_1") {
            Resolution::Matched { route, params, pattern } => {
                assert_eq!(route, R::Product);
                assert_eq!(params.get("id"), Some("p_1"));
                assert_eq!(pattern, "/api/v1/products/:id");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrong_method_lists_allowed_ones() {
        assert_eq!(
            table().resolve("PUT", "/api/v1/products/p_1"),
            Resolution::MethodNotAllowed { allow: vec!["DELETE", "GET"] }
        );
        assert_eq!(
            table().resolve("POST", "/health"),
            Resolution::MethodNotAllowed { allow: vec!["GET"] }
        );
    }

    #[test]
    fn unknown_paths_are_not_found() {
        let t = table();
        for p in ["/", "/api/v2/products/x", "/api/v1/products", "/api/v1/products/a/b", "/healthz"]
        {
            assert_eq!(t.resolve("GET", p), Resolution::NotFound, "{p}");
        }
    }

    #[test]
    fn wildcards_capture_the_rest_and_trailing_slashes_are_ignored() {
        let t = table();
        match t.resolve("POST", "/api/v1/chat/sessions/s1/messages") {
            Resolution::Matched { params, .. } => {
                assert_eq!(params.get("rest"), Some("sessions/s1/messages"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            t.resolve("GET", "/health/"),
            Resolution::Matched { route: R::Health, .. }
        ));
        match t.resolve("GET", "/api/v1/products/organization/org_9") {
            Resolution::Matched { route, params, .. } => {
                assert_eq!(route, R::OrgProducts);
                assert_eq!(params.get("orgId"), Some("org_9"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn openapi_paths() {
        assert_eq!(Router::<R>::openapi_path("/api/v1/products/:id/x"), "/api/v1/products/{id}/x");
        assert_eq!(Router::<R>::openapi_path("/health"), "/health");
        assert_eq!(table().table().count(), 6);
    }

    #[test]
    #[should_panic(expected = "duplicate route")]
    fn duplicates_are_refused() {
        let _ = table().add("GET", "/health", R::Health);
    }
}
