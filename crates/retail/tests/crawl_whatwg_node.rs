//! Differential test: the `url` crate (which `check_url` parses with) against Node's WHATWG
//! `URL`, which is the `ada` parser that workerd, the crawler's fetcher, uses too.
//!
//! A few thousand spellings are generated deterministically (a fixed seed): the property
//! test's special and global addresses and names, mangled copies of them (a character inserted,
//! removed or replaced, so that both parsers also meet invalid and odd input), and redirect
//! targets resolved against a base URL. Node prints `hostname` and `href` (or an error) for each;
//! the `url` crate must give the same host, the same serialisation, and fail where Node fails.
//! Then every serialisation the `url` crate produced is given to Node again: it must parse to
//! the same host and serialise to itself, because that serialisation is what the crawler
//! fetches.
//!
//! Node is `$CROW_NODE`, the project's `node_modules/node/bin/node`, or `node` on `PATH`.
//! Without Node the test prints a notice and passes, unless `CROW_REQUIRE_NODE=1` (as in
//! `scripts/test.sh`), where it fails.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use crow_retail::crawl::check_url;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use support::Dice;
use url::Url;

const SPELLINGS: usize = 3000;
const MANGLED: usize = 1500;
const REDIRECTS: usize = 1000;

const SCRIPT: &str = r#"
const fs = require('fs');
const out = [];
for (const line of fs.readFileSync(process.argv[1], 'utf8').split('\n')) {
  if (!line) continue;
  const [input, base] = JSON.parse(line);
  try {
    const u = base === null ? new URL(input) : new URL(input, base);
    out.push(JSON.stringify({ host: u.hostname, href: u.href }));
  } catch (e) {
    out.push(JSON.stringify({ error: String(e.code || e.message) }));
  }
}
process.stdout.write(out.join('\n') + '\n');
"#;

fn find_node() -> Option<PathBuf> {
    let works = |p: &Path| {
        Command::new(p).arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
    };
    if let Some(p) = std::env::var_os("CROW_NODE").map(PathBuf::from) {
        return works(&p).then_some(p);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/node/bin/node");
    if works(&local) {
        return Some(local);
    }
    let on_path = PathBuf::from("node");
    works(&on_path).then_some(on_path)
}

/// What the `url` crate makes of a case, in the shape the Node script prints.
fn rust_view(input: &str, base: Option<&str>) -> Value {
    let parsed = match base {
        None => Url::parse(input),
        Some(b) => Url::parse(b).and_then(|b| b.join(input)),
    };
    match parsed {
        Ok(u) => json!({ "host": u.host_str().unwrap_or(""), "href": u.as_str() }),
        Err(_) => json!({ "error": true }),
    }
}

const NOISE: &[&str] = &[
    ".",
    "0",
    "x",
    "X",
    "%",
    "%2",
    "%25",
    "[",
    "]",
    ":",
    "::",
    "\u{3002}",
    "9",
    "f",
    "@",
    "\\",
    "/",
    "#",
    "?",
    " ",
    "\t",
    "\n",
    "\u{ff10}",
    "-",
    "\u{df}",
    "\u{200b}",
    "\u{ad}",
    "\u{24b6}",
    "\u{ff58}",
    "\u{663}",
    "0x",
    "256",
    "4294967296",
    "\u{0}",
    "^",
    "|",
    "xn--",
    "..",
];

fn mangle(s: &str, d: &mut Dice) -> String {
    let mut chars: Vec<String> = s.chars().map(String::from).collect();
    for _ in 0..1 + d.pick(2) {
        let at = d.pick(chars.len() as u64 + 1) as usize;
        match d.pick(3) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 if at < chars.len() => chars[at] = d.choose(NOISE).to_string(),
            _ => chars.insert(at, d.choose(NOISE).to_string()),
        }
    }
    chars.concat()
}

/// The seed: fixed, so that every run checks the same cases; `CROW_WHATWG_SEED=<n>` explores
/// others.
fn seed() -> u64 {
    std::env::var("CROW_WHATWG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed)
}

fn cases() -> Vec<(String, Option<String>)> {
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed().to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = support::any_spelling();
    // The spellings of the review that found the hand-written parser's bypasses.
    let mut out: Vec<(String, Option<String>)> = [
        "http://127.0.0.0x1/",
        "http://169.254.169.0xfe/",
        "http://10.0.0.0x1/",
        "http://012.0.0.1/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[0:0:0:0:0:0:0:1]/",
        "http://[0::1]/",
        "http://169.254.169\u{3002}254/",
        "http://\u{ff11}\u{ff12}\u{ff17}.0.0.1/",
        "http://[::ffff:169.254.169.254]/",
        "http://1.2.3.4../",
        "http://0x/",
    ]
    .iter()
    .map(|s| (s.to_string(), None))
    .collect();
    let mut d = Dice::new(seed());
    for _ in 0..SPELLINGS {
        out.push((strategy.new_tree(&mut runner).unwrap().current().url, None));
    }
    for i in 0..MANGLED {
        let from = out[out.len() - 1 - i % SPELLINGS].0.clone();
        out.push((mangle(&from, &mut d), None));
    }
    // Redirect targets: the spelling of a host (special or not) in relative forms a `Location`
    // header may use, resolved against a base.
    let bases = [
        "https://shop.example.com/a/b?c=d",
        "http://127.0.0.1:9000/x/",
        "http://[2606:4700::1111]/p",
    ];
    for _ in 0..REDIRECTS {
        let host = match d.pick(3) {
            0 => support::spell_v4(d.pick(1 << 32) as u32, &mut d),
            1 => {
                let a = (u128::from(d.pick(u64::MAX)) << 64) | u128::from(d.pick(u64::MAX));
                let a = if d.one_in(2) { 0xffff_0000_0000 | (a & 0xffff_ffff) } else { a };
                support::spell_v6(a, &mut d, true)
            }
            _ => {
                const NAMES: [&str; 3] = ["localhost", "intranet", "cdn.example.net"];
                let name = *d.choose(&NAMES);
                support::spell_name(name, &mut d).0
            }
        };
        let form = *d.choose(&[
            "//",
            "\\\\",
            "/\\",
            "\\/",
            "http:",
            "https:",
            "http://",
            "https:\\\\",
            "HTTP:/",
        ]);
        let path = *d.choose(&["", "/", "/next?x=1", "#top"]);
        let base = d.choose(&bases).to_string();
        out.push((format!("{form}{host}{path}"), Some(base)));
    }
    out
}

fn run_node(node: &Path, cases: &[(String, Option<String>)]) -> Vec<Value> {
    let dir = std::env::temp_dir().join(format!("crow-whatwg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cases.jsonl");
    let lines: Vec<String> = cases.iter().map(|(i, b)| json!([i, b]).to_string()).collect();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let out = Command::new(node).arg("-e").arg(SCRIPT).arg(&file).output().expect("run node");
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "node failed: {}", String::from_utf8_lossy(&out.stderr));
    let results: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), cases.len(), "one answer per case");
    results
}

fn same(rust: &Value, node: &Value) -> bool {
    match (rust.get("error"), node.get("error")) {
        (Some(_), Some(_)) => true,
        (None, None) => rust == node,
        _ => false,
    }
}

/// A known, harmless difference: the `url` crate applies the IDNA validity rules the URL
/// Standard asks for (UTS 46 with CheckBidi, CheckJoiners), which some `ada` versions skip, so it
/// refuses a few non-ASCII names (Latin mixed with right-to-left digits) that Node turns into
/// punycode. `check_url` then refuses the URL: the safe direction.
fn stricter_idna(input: &str, rust: &Value, node: &Value) -> bool {
    rust.get("error").is_some()
        && !input.is_ascii()
        && node["host"].as_str().is_some_and(|h| h.split('.').any(|l| l.starts_with("xn--")))
}

#[test]
fn the_url_crate_reads_hosts_like_nodes_whatwg_url() {
    let Some(node) = find_node() else {
        assert_ne!(
            std::env::var("CROW_REQUIRE_NODE").as_deref(),
            Ok("1"),
            "CROW_REQUIRE_NODE=1 but no node was found (set CROW_NODE or run scripts/setup.sh)"
        );
        eprintln!("NOTICE: node not found; the WHATWG differential test was skipped");
        return;
    };
    let version = Command::new(&node)
        .args(["-p", "process.version + ' ada ' + process.versions.ada"])
        .output()
        .unwrap();
    let mut cases = cases();
    let first = cases.len();
    // Round two: every serialisation the `url` crate produced, as the crawler would fetch it.
    let serialised: Vec<(String, Option<String>)> = cases
        .iter()
        .filter_map(|(i, b)| {
            rust_view(i, b.as_deref())["href"].as_str().map(|h| (h.to_string(), None))
        })
        .collect();
    cases.extend(serialised);
    let answers = run_node(&node, &cases);

    let mut mismatches = Vec::new();
    let (mut parsed, mut accepted, mut refused, mut stricter, mut other_schemes) = (0, 0, 0, 0, 0);
    for (n, ((input, base), answer)) in cases.iter().zip(&answers).enumerate() {
        let rust = rust_view(input, base.as_deref());
        let crawlable = rust["href"].as_str().is_some_and(|h| h.starts_with("http"));
        if stricter_idna(input, &rust, answer) {
            assert!(check_url(input, false).is_err());
            stricter += 1;
        } else if rust.get("error").is_none() && !crawlable {
            // A mangled scheme (`htps:`): not http or https, so `check_url` refuses it whatever
            // the host; the parsers' differences on such URLs do not matter here.
            assert!(check_url(input, false).is_err());
            other_schemes += 1;
        } else if !same(&rust, answer) {
            mismatches.push(format!("{input:?} (base {base:?}): url crate {rust}, node {answer}"));
        }
        if n >= first && crawlable {
            // The fetched string parses to itself in Node.
            if answer["href"] != json!(input) {
                mismatches.push(format!("serialisation {input:?} is {answer} in node"));
            }
            match check_url(input, false) {
                Ok(_) => accepted += 1,
                Err(_) => refused += 1,
            }
            parsed += 1;
        }
    }
    println!(
        "{} cases ({first} generated, {parsed} serialisations re-parsed; of those check_url \
         accepts {accepted}, refuses {refused}; {stricter} names refused by the stricter IDNA \
         checks; {other_schemes} other schemes) against node {}, seed {}",
        cases.len(),
        String::from_utf8_lossy(&version.stdout).trim(),
        seed()
    );
    assert!(
        mismatches.is_empty(),
        "{} disagreements with node, e.g.:\n{}",
        mismatches.len(),
        mismatches.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
    );
}
