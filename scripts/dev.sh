#!/usr/bin/env bash
# One command for local development: installs the toolchain (first run only), builds the three
# workers, applies migrations, seeds a demo organization and API key, runs the gateway, the MCP
# server and the A2A service locally, and prints working examples. Ctrl-C stops all three.
#
# State (D1, KV, Durable Objects, R2, secrets, logs) lives in .dev/state and survives restarts;
# `rm -rf .dev` starts from scratch. The demo credentials are written to .dev/demo.env.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CROW_ROOT"

bash scripts/setup.sh

log "building the workers"
mkdir -p "$CROW_ROOT/.dev"
for w in "${CROW_WORKERS[@]}"; do
  bash scripts/build-worker.sh "$w" --release > "$CROW_ROOT/.dev/build-$w.log" 2>&1 || { cat "$CROW_ROOT/.dev/build-$w.log"; die "building $w failed"; }
  rm -f "$CROW_ROOT/.dev/build-$w.log"
done
cargo build --quiet -p crow-e2e --bin crow-seed

state="$CROW_ROOT/.dev/state"
mkdir -p "$state"
bash scripts/stack.sh down --state "$state" >/dev/null 2>&1 || true
trap 'echo; log "stopping"; bash scripts/stack.sh down --state "$state"; exit 0' INT TERM
# The agent: the offline planner, which answers the retail-analytics questions from the data
# (no model can run offline). CROW_A2A_VARS="AI_BACKEND:workers-ai" runs the Workers AI path on
# the stand-in's scripted planner instead, as the test stack does.
export CROW_A2A_VARS="${CROW_A2A_VARS:-AI_BACKEND:local}"
bash scripts/stack.sh up --state "$state"
# Exported: crow-seed reads the mail catcher's URL (CROW_MAIL_URL) for the demo sign-up.
set -a; source "$state/urls.env"; set +a

log "seeding the demo organization"
demo="$CROW_ROOT/.dev/demo.env"
target/debug/crow-seed "$CROW_GATEWAY_URL" "$demo"
cat "$state/urls.env" >> "$demo"
# shellcheck disable=SC1090
source "$demo"

cat <<MSG

  CROW Edge is running locally.

    REST gateway   $CROW_GATEWAY_URL      (API under /api/v1)
    MCP server     $CROW_MCP_URL/mcp
    A2A service    $CROW_A2A_URL

  Demo organization  $CROW_ORG_ID
  Demo API key       $CROW_API_KEY
  Demo sign-in       $CROW_USER_EMAIL / $CROW_USER_PASSWORD
  (all of this is in .dev/demo.env; logs are in .dev/state/logs)

  Try:

    # REST: the demo organization, with the demo key
    curl -s $CROW_GATEWAY_URL/api/v1/organizations/$CROW_ORG_ID -H "Authorization: Bearer $CROW_API_KEY"

    # REST analytics: the top products by revenue over the last 30 days (figures from the interactions)
    curl -s "$CROW_GATEWAY_URL/api/v1/analytics/organization/$CROW_ORG_ID/products?sort=revenue&limit=5" -H "Authorization: Bearer $CROW_API_KEY"

    # MCP analytics: week-over-week web purchases
    curl -s $CROW_MCP_URL/mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\
      -H 'MCP-Protocol-Version: 2025-11-25' -H "Authorization: Bearer $CROW_API_KEY" \\
      -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"crow_compare_periods","arguments":{"metric":"purchases","sourceType":"web"}}}'

    # A2A analytics: ask the agent in plain words
    curl -s $CROW_A2A_URL/a2a/jsonrpc -H 'Content-Type: application/json' -H 'A2A-Version: 1.0' -H "X-API-Key: $CROW_API_KEY" \\
      -d '{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m2","role":"ROLE_USER","parts":[{"text":"Which products sold best last month?"}]}}}'

    # MCP: call a tool (stateless Streamable HTTP; MCP clients set this up themselves)
    curl -s $CROW_MCP_URL/mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\
      -H 'MCP-Protocol-Version: 2025-11-25' -H "Authorization: Bearer $CROW_API_KEY" \\
      -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"crow_search_products","arguments":{"query":"waterproof hiking boots","limit":3}}}'

    # A2A: ask the agent (A2A 1.0 JSON-RPC; the card is at $CROW_A2A_URL/.well-known/agent-card.json)
    curl -s $CROW_A2A_URL/a2a/jsonrpc -H 'Content-Type: application/json' -H 'A2A-Version: 1.0' -H "X-API-Key: $CROW_API_KEY" \\
      -d '{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"What are our top performing products?"}]}}}'

  Press Ctrl-C to stop.
MSG

# Stay in the foreground until Ctrl-C; stop everything if a worker dies.
while true; do
  for w in "${CROW_WORKERS[@]}"; do
    if ! kill -0 "$(cat "$state/$w.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
      bash scripts/stack.sh down --state "$state"
      die "$w stopped; see $state/logs/$w.log"
    fi
  done
  sleep 2
done
