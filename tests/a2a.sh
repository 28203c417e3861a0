#!/usr/bin/env bash
# A2A agent tests against a running stack (scripts/test.sh calls this after `stack.sh up`):
# seeds the demo organization (crow-seed; idempotent) and lifts its rate limit, then runs the
# A2A tests with the official a2a-sdk Python client (tests/python/test_a2a.py) and the tests of
# the seed's Python client (clients/python). Exits non-zero on any failure; bounded in time.
#
# Environment: CROW_GATEWAY_URL, CROW_A2A_URL, CROW_STATE_DIR (CROW_MCP_URL is not used).
# CROW_A2A_TIMEOUT caps the pytest run in seconds (default 600).
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$CROW_ROOT"

: "${CROW_GATEWAY_URL:?CROW_GATEWAY_URL is not set (start the stack first)}"
: "${CROW_A2A_URL:?CROW_A2A_URL is not set (start the stack first)}"
: "${CROW_STATE_DIR:?CROW_STATE_DIR is not set (the state directory of the stack)}"
py="$CROW_ROOT/tests/python/.venv/bin/python"
[ -x "$py" ] || die "tests/python/.venv is missing: run scripts/setup.sh"
"$py" -c 'import a2a, httpx' 2>/dev/null || die "a2a-sdk is not installed in tests/python/.venv: run scripts/setup.sh"

log "A2A: seeding the demo organization"
cargo build -p crow-e2e --bin crow-seed --quiet
env_file="$CROW_STATE_DIR/a2a-demo.env"
timeout 300 "$CROW_ROOT/target/debug/crow-seed" "$CROW_GATEWAY_URL" "$env_file" >&2
set -a; source "$env_file"; set +a
[ -n "${CROW_ORG_ID:-}" ] && [ -n "${CROW_API_KEY:-}" ] || die "crow-seed wrote no CROW_ORG_ID / CROW_API_KEY"
# The tests send a few dozen requests a minute with one key: lift the free tier's limit.
bash scripts/stack.sh sql "UPDATE organizations SET plan = 'professional' WHERE id = '$CROW_ORG_ID'" \
  --state "$CROW_STATE_DIR" > /dev/null

log "A2A: a2a-sdk tests and the Python client's tests"
export CROW_GATEWAY_URL CROW_A2A_URL CROW_API_KEY CROW_ORG_ID
timeout "${CROW_A2A_TIMEOUT:-600}" "$py" -m pytest -q -p no:cacheprovider \
  tests/python/test_a2a.py clients/python/tests -o "testpaths=" --rootdir tests/python
