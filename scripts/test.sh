#!/usr/bin/env bash
# Everything the tests need, then all the tests:
#   1. toolchain (scripts/setup.sh; skips what is installed), then the style gates (rustfmt,
#      clippy with -D warnings on the host and on wasm32)
#   2. host unit tests of the pure crates and the workers' route tables (cargo test)
#   3. release builds of the three workers, and `wrangler deploy --dry-run` of each production
#      environment (validates the production config and bundle offline; prints bundle sizes)
#   4. against a fresh local stack on free ports: schemathesis over the OpenAPI document, the
#      official MCP client (Python `mcp`) and the MCP conformance suite, the official A2A client
#      (a2a-sdk) and the seed's Python client, then the end-to-end suite (Rust, over HTTP)
# Exits non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CROW_ROOT"

bash scripts/setup.sh

log "style gates: rustfmt and clippy"
cargo fmt --all --check
(cd fuzz && cargo fmt --check)
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy --workspace --exclude crow-e2e --target wasm32-unknown-unknown --quiet -- -D warnings

log "host unit tests"
# CROW_REQUIRE_NODE: the crawler's WHATWG differential test (crow-retail) must find Node.
CROW_REQUIRE_NODE=1 cargo test --workspace --exclude crow-e2e

log "release builds"
for w in "${CROW_WORKERS[@]}"; do
  bash scripts/build-worker.sh "$w" --release > "/tmp/crow-build-$w.log" 2>&1 || { cat "/tmp/crow-build-$w.log"; die "building $w failed"; }
done

log "production dry-run deploys"
dist="$(mktemp -d)"
for w in "${CROW_WORKERS[@]}"; do
  out="$(wrangler deploy --dry-run --env production -c "wrangler/$w/wrangler.toml" --outdir "$dist/$w" 2>&1)" \
    || { echo "$out"; die "dry-run deploy of $w failed"; }
  upload="$(grep -o 'Total Upload: .*' <<< "$out" || true)"
  wasm="workers/$w/build/index_bg.wasm"
  printf '  %-8s %s | wasm %s bytes raw, %s bytes gzipped\n' "$w" "${upload:-Total Upload: ?}" \
    "$(wc -c < "$wasm")" "$(gzip -9c "$wasm" | wc -c)"
done
rm -rf "$dist"

log "end-to-end tests"
CROW_GATEWAY_PORT="$(free_port)"; CROW_MCP_PORT="$(free_port)"; CROW_A2A_PORT="$(free_port)"
export CROW_GATEWAY_PORT CROW_MCP_PORT CROW_A2A_PORT
state="$(mktemp -d /tmp/crow-e2e.XXXXXX)"
export CROW_STATE_DIR="$state"
cleanup() {
  local status=$?
  if [ "$status" != 0 ]; then
    # What the workers logged as errors or warnings: the cause of a failing test is usually here.
    log "the workers' errors and warnings (last 60 lines)"
    grep -h -a -E "ERROR|WARNING" "$state"/logs/*.log 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | tail -60 || true
  fi
  bash scripts/stack.sh down --state "$state" || true
  if [ "${KEEP_STATE:-0}" != 1 ]; then rm -rf "$state"; else log "state kept in $state"; fi
}
trap cleanup EXIT
# Build the e2e binaries before the stack starts, so start-up and compilation do not compete.
cargo test -p crow-e2e --no-run --quiet
bash scripts/stack.sh up --state "$state"
set -a; source "$state/urls.env"; set +a
bash tests/schemathesis.sh
bash tests/mcp.sh
bash tests/a2a.sh
cargo test -p crow-e2e -- --test-threads "${CROW_E2E_THREADS:-4}"
