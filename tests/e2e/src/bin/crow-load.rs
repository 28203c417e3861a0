//! A small closed-loop load generator for `scripts/bench.sh`: N concurrent workers send the same
//! request for a fixed time (bounded) and report throughput and latency percentiles as JSON.
//!
//!   crow-load --url URL [--method GET] [--header 'K: V']... [--body JSON]
//!             [--concurrency 8] [--seconds 10] [--warmup 1]

use std::time::{Duration, Instant};

use reqwest::{Client, Method};
use serde_json::json;

struct Args {
    url: String,
    method: Method,
    headers: Vec<(String, String)>,
    body: Option<String>,
    concurrency: usize,
    seconds: f64,
    warmup: f64,
}

fn parse_args() -> Args {
    let mut a = Args { url: String::new(), method: Method::GET, headers: Vec::new(), body: None, concurrency: 8, seconds: 10.0, warmup: 1.0 };
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
            "--concurrency" => a.concurrency = value().parse().expect("concurrency"),
            "--seconds" => a.seconds = value().parse().expect("seconds"),
            "--warmup" => a.warmup = value().parse().expect("warmup"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!a.url.is_empty(), "--url is required");
    assert!(a.seconds > 0.0 && a.seconds <= 600.0, "--seconds must be in (0, 600]");
    a
}

async fn one(client: &Client, a: &Args) -> (u16, f64) {
    let mut req = client.request(a.method.clone(), &a.url);
    for (k, v) in &a.headers {
        req = req.header(k, v);
    }
    if let Some(b) = &a.body {
        req = req.header("Content-Type", "application/json").body(b.clone());
    }
    let start = Instant::now();
    let status = match req.send().await {
        Ok(resp) => {
            let s = resp.status().as_u16();
            let _ = resp.bytes().await;
            s
        }
        Err(_) => 0,
    };
    (status, start.elapsed().as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let a = std::sync::Arc::new(parse_args());
    let client = Client::builder().pool_max_idle_per_host(a.concurrency).timeout(Duration::from_secs(30)).build().expect("client");
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
    let mut lat: Vec<f64> = samples.iter().map(|s| s.1).collect();
    lat.sort_by(|x, y| x.partial_cmp(y).unwrap());
    let pct = |p: f64| if lat.is_empty() { 0.0 } else { lat[((lat.len() as f64 - 1.0) * p).round() as usize] };
    let errors = samples.iter().filter(|s| s.0 == 0 || s.0 >= 500).count();
    let mut statuses = std::collections::BTreeMap::new();
    for s in &samples {
        *statuses.entry(s.0.to_string()).or_insert(0u64) += 1;
    }
    println!(
        "{}",
        json!({
            "requests": samples.len(),
            "seconds": elapsed,
            "rps": samples.len() as f64 / elapsed,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "errors": errors,
            "statuses": statuses,
        })
    );
}
