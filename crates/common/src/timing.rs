//! Per-request accounting of binding calls (D1, Durable Objects, service bindings, KV, AI …):
//! how many calls of each kind one request made and how long they took. The workers keep one
//! `Tally` per request, write it into the request's log line, and, where enabled, into a
//! `Server-Timing` header (W3C Server Timing), which is how `scripts/bench.sh` counts the binding
//! calls of each benchmarked request. A tally received from another worker over a service
//! binding is merged under a prefix (`gw.d1`), so the caller's header shows the whole tree.

use std::fmt::Write;

use serde_json::{Map, Value};

/// One kind of binding call.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// A Server-Timing metric name: `d1`, `do`, `svc`, `kv`, `ai`, `queue`, or `prefix.name`.
    pub name: String,
    pub count: u32,
    pub ms: f64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    entries: Vec<Entry>,
}

/// Whether `s` is a valid Server-Timing metric name (an HTTP token).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl Tally {
    pub fn new() -> Tally {
        Tally::default()
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The calls recorded under `name` (0 when none).
    pub fn count(&self, name: &str) -> u32 {
        self.entries.iter().find(|e| e.name == name).map_or(0, |e| e.count)
    }

    /// Records `count` calls of kind `name` that took `ms` in all. Invalid names are dropped
    /// rather than corrupting the header.
    pub fn add(&mut self, name: &str, count: u32, ms: f64) {
        if !is_token(name) {
            return;
        }
        let ms = if ms.is_finite() && ms >= 0.0 { ms } else { 0.0 };
        match self.entries.iter_mut().find(|e| e.name == name) {
            Some(e) => {
                e.count = e.count.saturating_add(count);
                e.ms += ms;
            }
            None => self.entries.push(Entry { name: name.to_string(), count, ms }),
        }
    }

    /// Merges another worker's tally under `prefix` (`gw` makes `d1` into `gw.d1`).
    pub fn merge_prefixed(&mut self, prefix: &str, other: &Tally) {
        for e in &other.entries {
            self.add(&format!("{prefix}.{}", e.name), e.count, e.ms);
        }
    }

    /// The `Server-Timing` header value: one metric per kind with the call count in `desc` and
    /// the summed duration in `dur`, then `total` (the whole request).
    pub fn to_header(&self, total_ms: f64) -> String {
        let mut out = String::new();
        for e in &self.entries {
            let _ = write!(out, "{};desc=\"{}\";dur={:.1}, ", e.name, e.count, e.ms);
        }
        let _ = write!(
            out,
            "total;dur={:.1}",
            if total_ms.is_finite() { total_ms.max(0.0) } else { 0.0 }
        );
        out
    }

    /// Reads a `Server-Timing` header written by `to_header` (another worker's). `total` and
    /// metrics without a numeric `desc` are skipped; malformed parts are ignored, never an error.
    pub fn parse_header(header: &str) -> Tally {
        let mut t = Tally::new();
        for metric in header.split(',') {
            let mut parts = metric.split(';').map(str::trim);
            let Some(name) = parts.next().filter(|n| is_token(n) && *n != "total") else {
                continue;
            };
            let (mut count, mut ms) = (None, 0.0);
            for p in parts {
                if let Some(v) = p.strip_prefix("desc=") {
                    count = v.trim_matches('"').parse::<u32>().ok();
                } else if let Some(v) = p.strip_prefix("dur=") {
                    ms = v.parse::<f64>().unwrap_or(0.0);
                }
            }
            if let Some(c) = count {
                t.add(name, c, ms);
            }
        }
        t
    }

    /// The `total` duration of a `Server-Timing` header written by `to_header`.
    pub fn parse_total(header: &str) -> Option<f64> {
        header.split(',').find_map(|metric| {
            let mut parts = metric.split(';').map(str::trim);
            (parts.next()? == "total").then_some(())?;
            parts.find_map(|p| p.strip_prefix("dur=")?.parse::<f64>().ok())
        })
    }

    /// For the log line: `{"d1": {"n": 2, "ms": 3.1}, …}`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        for e in &self.entries {
            m.insert(
                e.name.clone(),
                serde_json::json!({ "n": e.count, "ms": (e.ms * 10.0).round() / 10.0 }),
            );
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_durations_add_up_per_kind() {
        let mut t = Tally::new();
        t.add("d1", 1, 2.0);
        t.add("do", 1, 1.5);
        t.add("d1", 1, 3.0);
        assert_eq!(t.count("d1"), 2);
        assert_eq!(t.count("do"), 1);
        assert_eq!(t.count("kv"), 0);
        assert_eq!(
            t.to_header(10.0),
            "d1;desc=\"2\";dur=5.0, do;desc=\"1\";dur=1.5, total;dur=10.0"
        );
    }

    #[test]
    fn a_header_round_trips_and_merges_under_a_prefix() {
        let mut gw = Tally::new();
        gw.add("d1", 2, 4.0);
        gw.add("do", 1, 1.0);
        let parsed = Tally::parse_header(&gw.to_header(9.0));
        assert_eq!(parsed, gw);
        assert_eq!(Tally::parse_total(&gw.to_header(9.0)), Some(9.0));
        assert_eq!(Tally::parse_total("d1;desc=\"1\";dur=2"), None);
        let mut mcp = Tally::new();
        mcp.add("svc", 2, 12.0);
        mcp.merge_prefixed("gw", &parsed);
        mcp.merge_prefixed("gw", &parsed);
        assert_eq!(mcp.count("svc"), 2);
        assert_eq!(mcp.count("gw.d1"), 4);
        assert_eq!(mcp.count("gw.do"), 2);
    }

    #[test]
    fn garbage_never_breaks_the_header() {
        let t = Tally::parse_header(
            "x;desc=\"a\", ;;;, d1;desc=\"3\";dur=abc, b@d;desc=\"1\", total;dur=4",
        );
        assert_eq!(t.count("d1"), 3);
        assert_eq!(t.entries().len(), 1);
        let mut u = Tally::new();
        u.add("bad name", 1, 1.0);
        u.add("ai", 1, f64::NAN);
        assert_eq!(u.to_header(f64::INFINITY), "ai;desc=\"1\";dur=0.0, total;dur=0.0");
    }
}
