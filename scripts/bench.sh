#!/usr/bin/env bash
# Measures CROW Edge on this machine and writes BENCHMARKS.md. Figures are reported as ratios
# to a baseline measured in the same run (the gateway's /health, the floor), so runs on noisy
# or different machines still compare. Nothing here fails on a time.
#
#   scripts/bench.sh                      # 10 s per scenario, 8 concurrent clients
#   BENCH_SECONDS=30 BENCH_CONCURRENCY=16 scripts/bench.sh
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CROW_ROOT"

seconds="${BENCH_SECONDS:-10}"
concurrency="${BENCH_CONCURRENCY:-8}"

bash scripts/setup.sh
log "release builds"
for w in "${CROW_WORKERS[@]}"; do
  bash scripts/build-worker.sh "$w" --release > "/tmp/crow-bench-build-$w.log" 2>&1 || { cat "/tmp/crow-bench-build-$w.log"; die "building $w failed"; }
done
cargo build --quiet --release -p crow-e2e --bin crow-load --bin crow-seed

CROW_GATEWAY_PORT="$(free_port)"; CROW_MCP_PORT="$(free_port)"; CROW_A2A_PORT="$(free_port)"
export CROW_GATEWAY_PORT CROW_MCP_PORT CROW_A2A_PORT CROW_LOG_LEVEL=warn
state="$(mktemp -d /tmp/crow-bench.XXXXXX)"
trap 'bash scripts/stack.sh down --state "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT
bash scripts/stack.sh up --state "$state"
source "$state/urls.env"
target/release/crow-seed "$CROW_GATEWAY_URL" "$state/demo.env" 2>/dev/null
source "$state/demo.env"
# An Enterprise organization with limits far above what the benchmark sends: every request runs
# the whole limiter path, none is refused.
bash scripts/stack.sh sql "UPDATE organizations SET plan = 'enterprise', custom_limit_per_minute = 100000000, custom_limit_per_day = 1000000000 WHERE id = '$CROW_ORG_ID'" --state "$state" > /dev/null

results="$state/results.jsonl"
: > "$results"
measure() { # measure LABEL crow-load-args...
  local label="$1"; shift
  log "measuring: $label (${seconds}s, $concurrency clients)"
  local out
  out="$(target/release/crow-load --seconds "$seconds" --concurrency "$concurrency" "$@")"
  printf '{"label":"%s","result":%s}\n' "$label" "$out" >> "$results"
}
auth=(--header "Authorization: Bearer $CROW_API_KEY")
org_url="$CROW_GATEWAY_URL/api/v1/organizations/$CROW_ORG_ID"

measure "gateway /health (floor)" --url "$CROW_GATEWAY_URL/health"
measure "organization GET, API key, rate-limited" --url "$org_url" "${auth[@]}"

# Search over the demo catalogue (40 products) and over a 10x larger generated one, against a
# plain indexed D1 lookup (a product by id) measured in the same run.
product_id="$(curl -fsS "$CROW_GATEWAY_URL/api/v1/products/organization/$CROW_ORG_ID?limit=1" -H "Authorization: Bearer $CROW_API_KEY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')"
measure "product GET by id (indexed D1 lookup)" --url "$CROW_GATEWAY_URL/api/v1/products/$product_id" "${auth[@]}"
query="waterproof%20hiking%20boots%20for%20rocky%20trails"
for mode in fts semantic hybrid; do
  measure "product search, $mode, 40 products" --url "$CROW_GATEWAY_URL/api/v1/products/search?query=$query&mode=$mode&limit=10" "${auth[@]}"
done
log "generating a 10x catalogue (400 products)"
python3 - "$CROW_GATEWAY_URL" "$CROW_API_KEY" "$CROW_ORG_ID" "$state" <<'PYGEN'
import json, sys, urllib.request
base, key, org, state = sys.argv[1:5]
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
page = call("GET", f"/api/v1/products/organization/{org}?limit=100")
seeds = page["data"]
n = 0
for round_ in range(9):
    for p in seeds:
        call("POST", "/api/v1/products", {
            "name": f"{p['name']} v{round_ + 2}", "description": p["description"], "category": p["category"],
            "brand": p["brand"], "tags": p["tags"], "priceCents": p["priceCents"],
        })
        n += 1
print(f"generated {n} more products", file=sys.stderr)
PYGEN
for mode in fts semantic hybrid; do
  measure "product search, $mode, 400 products" --url "$CROW_GATEWAY_URL/api/v1/products/search?query=$query&mode=$mode&limit=10" "${auth[@]}"
done
measure "product GET by id, 400 products" --url "$CROW_GATEWAY_URL/api/v1/products/$product_id" "${auth[@]}"

log "restarting the gateway with rate limiting off"
CROW_GATEWAY_VARS="RATE_LIMITS:off" bash scripts/stack.sh restart gateway --state "$state"
measure "organization GET, API key, limiter off" --url "$org_url" "${auth[@]}"
measure "gateway /health, limiter-off process" --url "$CROW_GATEWAY_URL/health"

python3 - "$results" "$seconds" "$concurrency" > BENCHMARKS.md <<'PY'
import json, sys, platform, subprocess, datetime, os
rows = [json.loads(l) for l in open(sys.argv[1])]
seconds, conc = sys.argv[2], sys.argv[3]
by = {r["label"]: r["result"] for r in rows}
floor = by["gateway /health (floor)"]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print("# CROW Edge benchmarks\n")
print(f"Written by `scripts/bench.sh` on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC.")
print(f"Machine: {os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}.")
print(f"Each scenario: {seconds} s closed loop, {conc} concurrent clients, after 1 s of warm-up, against")
print("`wrangler dev --local` (workerd) on loopback. Absolute figures depend on the machine; the ratios")
print("to the floor measured in the same run are what compare between runs.\n")
print("| scenario | requests/s | p50 ms | p99 ms | errors | p50 ÷ floor | p99 ÷ floor |")
print("|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    x = r["result"]
    print(f"| {r['label']} | {x['rps']:.0f} | {x['p50_ms']:.2f} | {x['p99_ms']:.2f} | {x['errors']} | "
          f"{x['p50_ms']/floor['p50_ms']:.2f} | {x['p99_ms']/floor['p99_ms']:.2f} |")
on = by["organization GET, API key, rate-limited"]
off = by["organization GET, API key, limiter off"]
print("\n## What the rate limiter costs\n")
print("The same authenticated request with limiting on and off (the gateway restarted with")
print("`RATE_LIMITS=off`, a local-only switch), measured in the same run:\n")
print("| | p50 ms | p99 ms |")
print("|---|---:|---:|")
print(f"| limiter on | {on['p50_ms']:.2f} | {on['p99_ms']:.2f} |")
print(f"| limiter off | {off['p50_ms']:.2f} | {off['p99_ms']:.2f} |")
print(f"| ratio on ÷ off | {on['p50_ms']/off['p50_ms']:.2f} | {on['p99_ms']/off['p99_ms']:.2f} |")
lookup = by["product GET by id (indexed D1 lookup)"]
lookup_big = by["product GET by id, 400 products"]
print("\n## Search latency\n")
print("Product search in each mode, over the demo catalogue (40 products) and after generating nine more")
print("variants of each (400 products), as ratios to a plain indexed D1 lookup (a product by id) in the")
print("same run:\n")
print("| mode | catalogue | p50 ms | p99 ms | p50 ÷ lookup | p99 ÷ lookup |")
print("|---|---:|---:|---:|---:|---:|")
for size, base_row in (("40", lookup), ("400", lookup_big)):
    for mode in ("fts", "semantic", "hybrid"):
        x = by[f"product search, {mode}, {size} products"]
        print(f"| {mode} | {size} | {x['p50_ms']:.2f} | {x['p99_ms']:.2f} | {x['p50_ms']/base_row['p50_ms']:.2f} | {x['p99_ms']/base_row['p99_ms']:.2f} |")
print("\nSemantic and hybrid search with the local index scan every vector of the organization and kind")
print("(exact k-NN over D1 rows); Vectorize replaces that scan in production.")
print("\nBinding calls per request: the authenticated GET makes one D1 query for the key (joined with")
print("its organization's plan), one Durable Object call for the limiter, and one D1 query for the")
print("organization itself. The limiter's share is the Durable Object round trip.")
PY
log "wrote BENCHMARKS.md"
cat BENCHMARKS.md
