#!/usr/bin/env bash
# Measures CROW Edge on this machine and writes its section of BENCHMARKS.md (between the
# `<!-- bench:begin -->` and `<!-- bench:end -->` lines; the rest of the file, e.g. the fuzz
# section, is kept). Figures are reported as ratios to a baseline measured in the same run (the
# gateway's /health, the floor), so runs on noisy or different machines still compare. Also
# measured: an MCP tools/call, an A2A SendMessage (offline planner), binding calls per request
# (the workers' Server-Timing header), wasm and upload sizes, and each worker's time from start
# to first answer. Nothing here fails on a time; it fails only when the stack does not start or a
# scenario's one-off sanity check fails (e.g. the MCP call answers an error).
#
#   scripts/bench.sh                      # 10 s per scenario, 8 concurrent clients
#   BENCH_SECONDS=30 BENCH_CONCURRENCY=16 scripts/bench.sh
#   BENCH_STARTS=3                        # start-up timings per worker (default 3)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CROW_ROOT"

seconds="${BENCH_SECONDS:-10}"
concurrency="${BENCH_CONCURRENCY:-8}"
starts="${BENCH_STARTS:-3}"
started_epoch="$(date +%s)"

state="$(mktemp -d /tmp/crow-bench.XXXXXX)"
trap 'bash scripts/stack.sh down --state "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT

bash scripts/setup.sh
log "release builds"
build_all() {
  local w
  for w in "${CROW_WORKERS[@]}"; do
    bash scripts/build-worker.sh "$w" --release > "$state/build-$w.log" 2>&1 || { cat "$state/build-$w.log"; die "building $w failed"; }
  done
}
build_all
cargo build --quiet --release -p crow-e2e --bin crow-load --bin crow-seed --bin crow-hotpath

log "sizes: wasm raw and gzipped, production dry-run deploys"
sizes="$state/sizes.jsonl"
: > "$sizes"
for w in "${CROW_WORKERS[@]}"; do
  wasm="workers/$w/build/index_bg.wasm"
  upload=""
  if out="$(wrangler deploy --dry-run --env production -c "wrangler/$w/wrangler.toml" --outdir "$state/dist-$w" 2>&1)"; then
    upload="$(grep -o 'Total Upload: .*' <<< "$out" | sed 's/^Total Upload: //' | head -n 1 || true)"
  else
    log "warning: the dry-run deploy of $w failed; its upload size is reported as n/a"
  fi
  python3 -c 'import json,sys; print(json.dumps({"worker": sys.argv[1], "raw": int(sys.argv[2]), "gzip": int(sys.argv[3]), "upload": sys.argv[4]}))' \
    "$w" "$(wc -c < "$wasm")" "$(gzip -9c "$wasm" | wc -c)" "$upload" >> "$sizes"
  rm -rf "$state/dist-$w"
done

CROW_GATEWAY_PORT="$(free_port)"; CROW_MCP_PORT="$(free_port)"; CROW_A2A_PORT="$(free_port)"
export CROW_GATEWAY_PORT CROW_MCP_PORT CROW_A2A_PORT CROW_LOG_LEVEL=warn
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
export -f measure
auth=(--header "Authorization: Bearer $CROW_API_KEY")
org_url="$CROW_GATEWAY_URL/api/v1/organizations/$CROW_ORG_ID"

measure "gateway /health (floor)" --url "$CROW_GATEWAY_URL/health"
measure "organization GET, API key, rate-limited" --url "$org_url" "${auth[@]}"

# Search over the demo catalogue (40 products) and over a 10x larger generated one, against a
# plain indexed D1 lookup (a product by id) measured in the same run.
product_id="$(curl -fsS "$CROW_GATEWAY_URL/api/v1/products/organization/$CROW_ORG_ID?limit=1" -H "Authorization: Bearer $CROW_API_KEY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')"
measure "product GET by id (indexed D1 lookup)" --url "$CROW_GATEWAY_URL/api/v1/products/$product_id" "${auth[@]}"
query_text="waterproof hiking boots for rocky trails"
query="waterproof%20hiking%20boots%20for%20rocky%20trails"
for mode in fts semantic hybrid; do
  measure "product search, $mode, 40 products" --url "$CROW_GATEWAY_URL/api/v1/products/search?query=$query&mode=$mode&limit=10" "${auth[@]}"
done

# MCP: a stateless tools/call (no initialize, no session; as in scripts/dev.sh), the same search
# as the REST hybrid row. Checked once to be a real tool result before it is measured; during the
# run a JSON-RPC error or a tool error (isError) in a 200 answer counts as an error.
mcp_body="$(python3 -c 'import json,sys; print(json.dumps({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"crow_search_products","arguments":{"query":sys.argv[1],"mode":"hybrid","limit":10}}}, separators=(",",":")))' "$query_text")"
mcp_headers=(--header "Accept: application/json, text/event-stream" --header "MCP-Protocol-Version: 2025-11-25" "${auth[@]}")
curl -sS -o "$state/mcp-check.json" "$CROW_MCP_URL/mcp" -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' \
  -H "Authorization: Bearer $CROW_API_KEY" -d "$mcp_body" || die "the MCP tools/call failed"
python3 scripts/bench_report.py check-mcp "$state/mcp-check.json" || die "the MCP tools/call is not a tool result"
measure "MCP tools/call crow_search_products, hybrid, 40 products" --url "$CROW_MCP_URL/mcp" --method POST \
  --body "$mcp_body" "${mcp_headers[@]}" --fail-body '"error":{' --fail-body '"isError":true'

# A2A 1.0: a blocking SendMessage answered by the stand-in's planner on the AI binding, checked once
# to end in a completed task; during the run a JSON-RPC error or a failed task counts as an error.
a2a_body='{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"What are our top performing products?"}]}}}'
curl -sS -o "$state/a2a-check.json" "$CROW_A2A_URL/a2a/jsonrpc" -H 'Content-Type: application/json' \
  -H 'A2A-Version: 1.0' -H "X-API-Key: $CROW_API_KEY" -d "$a2a_body" || die "the A2A SendMessage failed"
python3 scripts/bench_report.py check-a2a "$state/a2a-check.json" || die "the A2A SendMessage did not complete"
measure "A2A SendMessage, stand-in planner" --url "$CROW_A2A_URL/a2a/jsonrpc" --method POST --body "$a2a_body" \
  --header "A2A-Version: 1.0" --header "X-API-Key: $CROW_API_KEY" --fail-body '"error":{' --fail-body 'TASK_STATE_FAILED'

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

# Analytics over 100,000 and 1,000,000 generated interactions of the demo organization.
BENCH_SECONDS="$seconds" BENCH_CONCURRENCY="$concurrency" CROW_API_KEY="$CROW_API_KEY" CROW_ORG_ID="$CROW_ORG_ID" \
  bash scripts/bench_analytics.sh "$state" "$results"

log "restarting the gateway with rate limiting off"
CROW_GATEWAY_VARS="RATE_LIMITS:off" bash scripts/stack.sh restart gateway --state "$state"
measure "organization GET, API key, limiter off" --url "$org_url" "${auth[@]}"
measure "gateway /health, limiter-off process" --url "$CROW_GATEWAY_URL/health"

# Time from start to first answer: each worker stopped and started again while the other two
# run, timed until its /health first answers (bench_report.py polls every 20 ms). The builds
# are made current first, so wrangler's build step has nothing to do.
startup="$state/startup.jsonl"
: > "$startup"
for w in "${CROW_WORKERS[@]}"; do
  case "$w" in gateway) port="$CROW_GATEWAY_PORT" ;; mcp) port="$CROW_MCP_PORT" ;; a2a) port="$CROW_A2A_PORT" ;; esac
  for i in $(seq 1 "$starts"); do
    bash scripts/build-worker.sh "$w" --release > "$state/build-$w.log" 2>&1 || { cat "$state/build-$w.log"; die "building $w failed"; }
    log "start-up of $w ($i/$starts)"
    python3 scripts/bench_report.py startup "$w" "$port" "$state" >> "$startup" || die "$w did not start again"
  done
done

log "CPU of the per-request work on the host (crow-hotpath)"
target/release/crow-hotpath --millis 200 > "$state/hotpath.json"

python3 scripts/bench_report.py write "$results" "$sizes" "$startup" "$seconds" "$concurrency" "$started_epoch" "$state/hotpath.json"
log "wrote the bench section of BENCHMARKS.md in $(( $(date +%s) - started_epoch )) s"
sed -n '/<!-- bench:begin -->/,/<!-- bench:end -->/p' BENCHMARKS.md
