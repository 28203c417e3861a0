#!/usr/bin/env bash
# The MCP server's client-level suites, against a stack that scripts/stack.sh started
# (env: CROW_GATEWAY_URL, CROW_MCP_URL, CROW_STATE_DIR; CROW_A2A_URL is not needed):
#
#   1. seeds the demo organization (crow-seed) and lifts it to the Professional tier;
#   2. pytest tests/python/test_mcp*.py: the official Python SDK (PyPI `mcp`) in its default
#      mode, forced to the 2025-11-25 handshake and pinned to 2026-07-28;
#   3. the MCP conformance suite (npm @modelcontextprotocol/conformance) for the server scenarios
#      that apply to a tools-only, sessionless server, against a second MCP worker started here in
#      the auth-free configuration (MCP_AUTH_FREE_API_KEY = the demo key; see
#      wrangler/mcp/wrangler.toml), because the suite cannot send credentials.
#
# Exits non-zero on any failure. Bounded: every step runs under `timeout` (about 4 minutes in
# the worst case; about a minute normally). Output and logs go to $CROW_STATE_DIR/mcp-tests.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$CROW_ROOT"
: "${CROW_GATEWAY_URL:?}" "${CROW_MCP_URL:?}" "${CROW_STATE_DIR:?}"

# Server scenarios of the conformance suite that apply here. The others need features this
# server does not offer (resources, prompts, logging, completions, sampling, elicitation, SSE
# streams) or the suite's own test tools (tools-call-*, json-schema-2020-12).
SCENARIOS=(server-initialize ping tools-list dns-rebinding-protection)

work="$CROW_STATE_DIR/mcp-tests"
rm -rf "$work"
mkdir -p "$work"
failed=0

log "MCP: seeding the demo organization"
timeout 300 cargo build --quiet -p crow-e2e --bin crow-seed
timeout 120 target/debug/crow-seed "$CROW_GATEWAY_URL" "$work/demo.env" 2> "$work/seed.log" \
  || { cat "$work/seed.log"; die "seeding failed"; }
set -a; source "$work/demo.env"; set +a
# Lift the rate limit (never lower it: tests/schemathesis.sh makes the same organization Enterprise).
bash scripts/stack.sh sql "UPDATE organizations SET plan = 'professional' WHERE id = '$CROW_ORG_ID' AND plan IN ('free', 'starter')" \
  --state "$CROW_STATE_DIR" > /dev/null

log "MCP: pytest with the official Python SDK against $CROW_MCP_URL/mcp"
export CROW_GATEWAY_URL CROW_MCP_URL CROW_API_KEY CROW_ORG_ID
timeout 180 tests/python/.venv/bin/pytest -q -p no:cacheprovider --rootdir tests/python tests/python/test_mcp*.py \
  || { failed=1; printf '\033[1;31mpytest failed\033[0m\n' >&2; }

# A second MCP worker in the auth-free configuration. Same dev registry as the stack (its GATEWAY
# binding must reach the stack's gateway), its own name (so it does not replace the stack's MCP
# worker in the registry), port, inspector port and storage.
port="$(free_port)"
inspector="$(free_port)"
export WRANGLER_REGISTRY_PATH="$CROW_STATE_DIR/registry"
log "MCP: starting the auth-free MCP worker on :$port for the conformance suite"
setsid wrangler dev -c wrangler/mcp/wrangler.toml --name crow-mcp-conformance --local --ip 127.0.0.1 \
  --port "$port" --inspector-port "$inspector" --persist-to "$work/persist" \
  --env-file "$CROW_STATE_DIR/secrets.env" --show-interactive-dev-session=false --log-level log \
  --var "MCP_AUTH_FREE_API_KEY:$CROW_API_KEY" \
  < /dev/null > "$work/auth-free-mcp.log" 2>&1 &
pid=$!
stop() {
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
}
trap stop EXIT
deadline=$((SECONDS + 120))
until curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; do
  if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
    tail -n 40 "$work/auth-free-mcp.log" >&2
    die "the auth-free MCP worker did not start (log: $work/auth-free-mcp.log)"
  fi
  sleep 0.5
done
# The configuration really is auth-free here: a POST without credentials is served.
probe="$(curl -sS -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"ping"}' "http://127.0.0.1:$port/mcp")"
[ "$probe" = '{"id":1,"jsonrpc":"2.0","result":{}}' ] || { echo "$probe"; die "the auth-free MCP worker refused an unauthenticated ping"; }

log "MCP: conformance suite (${SCENARIOS[*]})"
for s in "${SCENARIOS[@]}"; do
  if timeout 90 conformance server --url "http://127.0.0.1:$port/mcp" --scenario "$s" -o "$work/conformance" \
      > "$work/conformance-$s.txt" 2>&1; then
    printf '  %-28s %s\n' "$s" "$(grep -Eo 'Passed: [0-9/]+, [0-9]+ failed, [0-9]+ warnings' "$work/conformance-$s.txt" | tail -n 1 || echo ok)"
  else
    failed=1
    cat "$work/conformance-$s.txt"
    printf '\033[1;31m  %s failed\033[0m\n' "$s" >&2
  fi
done

[ "$failed" = 0 ] || die "MCP tests failed (details above; logs in $work)"
log "MCP: all suites passed"
