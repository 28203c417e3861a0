//! A small closed-loop load generator for `scripts/bench.sh`: N concurrent workers send the same
//! request for a fixed time (bounded) and report throughput and latency percentiles as JSON.
//!
//!   crow-load --url URL [--method GET] [--header 'K: V']... [--body JSON]
//!             [--fail-body TEXT]... [--concurrency 8] [--seconds 10] [--warmup 1]
//!
//! Errors are transport failures, HTTP statuses of 400 and above, and answers whose body contains
//! one of the `--fail-body` texts (JSON-RPC errors arrive with HTTP 200).
//!
//! The `Server-Timing` header (`d1;desc="2";dur=3.1, do;desc="1";dur=1.2, total;dur=15.2`: the
//! binding kind, its call count and the milliseconds spent in it) is read from every measured
//! answer: `server_timing` is the header of the last successful answer, `binding_calls` its call
//! counts by kind, and `server_timing_avg` the calls and milliseconds by kind averaged over all
//! answers that carried the header. All three are null when no answer carried it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::{Client, Method};
use serde_json::{json, Value};

struct Args {
    url: String,
    method: Method,
    headers: Vec<(String, String)>,
    body: Option<String>,
    fail_body: Vec<String>,
    concurrency: usize,
    seconds: f64,
    warmup: f64,
}

fn parse_args() -> Args {
    let mut a = Args {
        url: String::new(),
        method: Method::GET,
        headers: Vec::new(),
        body: None,
        fail_body: Vec::new(),
        concurrency: 8,
        seconds: 10.0,
        warmup: 1.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => a.url = value(),
            "--method" => a.method = Method::from_bytes(value().as_bytes()).expect("method"),
            "--header" => {
                let v = value();
                let (k, val) = v.split_once(':').expect("header as 'Name: value'");
                a.headers.push((k.trim().to_string(), val.trim().to_string()));
            }
            "--body" => a.body = Some(value()),
            "--fail-body" => a.fail_body.push(value()),
            "--concurrency" => a.concurrency = value().parse().expect("concurrency"),
            "--seconds" => a.seconds = value().parse().expect("seconds"),
            "--warmup" => a.warmup = value().parse().expect("warmup"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!a.url.is_empty(), "--url is required");
    assert!(a.seconds > 0.0 && a.seconds <= 600.0, "--seconds must be in (0, 600]");
    assert!(a.warmup >= 0.0 && a.warmup <= 60.0, "--warmup must be in [0, 60]");
    assert!(a.concurrency >= 1 && a.concurrency <= 1024, "--concurrency must be in [1, 1024]");
    if a.method == Method::GET && a.body.is_some() {
        a.method = Method::POST;
    }
    a
}

struct Sample {
    status: u16,
    ms: f64,
    /// The answer's body contained one of the `--fail-body` texts.
    body_failed: bool,
    server_timing: Option<String>,
    done: Instant,
}

impl Sample {
    fn is_error(&self) -> bool {
        self.status == 0 || self.status >= 400 || self.body_failed
    }
}

async fn one(client: &Client, a: &Args) -> Sample {
    let mut req = client.request(a.method.clone(), &a.url);
    for (k, v) in &a.headers {
        req = req.header(k, v);
    }
    if let Some(b) = &a.body {
        req = req.header("Content-Type", "application/json").body(b.clone());
    }
    let start = Instant::now();
    let (status, body_failed, server_timing) = match req.send().await {
        Ok(resp) => {
            let s = resp.status().as_u16();
            let timing = resp
                .headers()
                .get_all("server-timing")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(", ");
            match resp.bytes().await {
                Ok(body) => {
                    let failed = a.fail_body.iter().any(|t| contains(&body, t.as_bytes()));
                    (s, failed, (!timing.is_empty()).then_some(timing))
                }
                Err(_) => (0, false, None),
            }
        }
        Err(_) => (0, false, None),
    };
    Sample {
        status,
        ms: start.elapsed().as_secs_f64() * 1000.0,
        body_failed,
        server_timing,
        done: Instant::now(),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// The metrics of one `Server-Timing` header (the workers' format, `crow_common::timing`):
/// (name, calls, milliseconds), `total` last with no call count.
fn parse_server_timing(header: &str) -> Vec<(String, Option<f64>, f64)> {
    let tally = crow_common::timing::Tally::parse_header(header);
    let mut out: Vec<_> =
        tally.entries().iter().map(|e| (e.name.clone(), Some(f64::from(e.count)), e.ms)).collect();
    if let Some(total) = crow_common::timing::Tally::parse_total(header) {
        out.push(("total".to_string(), None, total));
    }
    out
}

fn timing_summary(samples: &[Sample]) -> (Value, Value, Value, usize) {
    let last = samples
        .iter()
        .filter(|s| !s.is_error() && s.server_timing.is_some())
        .max_by_key(|s| s.done)
        .and_then(|s| s.server_timing.clone());
    let Some(last) = last else { return (Value::Null, Value::Null, Value::Null, 0) };
    let calls: BTreeMap<String, f64> = parse_server_timing(&last)
        .into_iter()
        .filter_map(|(name, calls, _)| Some((name, calls?)))
        .collect();
    // Averages over every measured answer that carried the header.
    let mut sums: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    let mut n = 0usize;
    for s in samples.iter().filter(|s| !s.is_error()) {
        let Some(h) = &s.server_timing else { continue };
        n += 1;
        for (name, calls, ms) in parse_server_timing(h) {
            let e = sums.entry(name).or_default();
            e.0 += calls.unwrap_or(0.0);
            e.1 += ms;
        }
    }
    let avg: BTreeMap<String, Value> = sums
        .into_iter()
        .map(|(k, (c, d))| (k, json!({ "calls": c / n as f64, "dur_ms": d / n as f64 })))
        .collect();
    (json!(last), json!(calls), json!(avg), n)
}

#[tokio::main]
async fn main() {
    let a = std::sync::Arc::new(parse_args());
    let client = Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    // Warm-up: connections, isolates, caches.
    let warm_until = Instant::now() + Duration::from_secs_f64(a.warmup);
    while Instant::now() < warm_until {
        one(&client, &a).await;
    }
    let until = Instant::now() + Duration::from_secs_f64(a.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency {
        let (client, a) = (client.clone(), a.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            while Instant::now() < until {
                samples.push(one(&client, &a).await);
            }
            samples
        }));
    }
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await.expect("worker"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut lat: Vec<f64> = samples.iter().map(|s| s.ms).collect();
    lat.sort_by(|x, y| x.partial_cmp(y).unwrap());
    let pct = |p: f64| {
        if lat.is_empty() {
            0.0
        } else {
            lat[((lat.len() as f64 - 1.0) * p).round() as usize]
        }
    };
    let errors = samples.iter().filter(|s| s.is_error()).count();
    let body_errors = samples.iter().filter(|s| s.body_failed).count();
    let mut statuses = BTreeMap::new();
    for s in &samples {
        *statuses.entry(s.status.to_string()).or_insert(0u64) += 1;
    }
    let (server_timing, binding_calls, server_timing_avg, timed) = timing_summary(&samples);
    println!(
        "{}",
        json!({
            "requests": samples.len(),
            "seconds": elapsed,
            "rps": samples.len() as f64 / elapsed,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "errors": errors,
            "body_errors": body_errors,
            "statuses": statuses,
            "server_timing": server_timing,
            "binding_calls": binding_calls,
            "server_timing_avg": server_timing_avg,
            "server_timing_responses": timed,
        })
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_server_timing() {
        let m = parse_server_timing(
            r#"d1;desc="2";dur=3.1, do;desc="1";dur=1.2, svc;desc="1";dur=8.0, kv;desc="0";dur=0, total;dur=15.2"#,
        );
        let names: Vec<_> = m.iter().map(|m| m.0.as_str()).collect();
        assert_eq!(names, ["d1", "do", "svc", "kv", "total"]);
        assert_eq!((m[0].1, m[0].2), (Some(2.0), 3.1));
        assert_eq!(m[3].1, Some(0.0));
        assert_eq!((m[4].1, m[4].2), (None, 15.2));
    }
}
