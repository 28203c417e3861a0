# Shared environment for every script: sourced, never run. Puts the project's pinned tools first
# on PATH and sets the variables that make worker-build and wrangler work offline.
# shellcheck shell=bash

CROW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CROW_ROOT

# Tools installed by scripts/setup.sh: cargo binaries, Node 22 and wrangler from npm.
export PATH="$CROW_ROOT/node_modules/node/bin:$CROW_ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# Versions come from the lockfiles, so the tools always match what the code builds against.
lock_version() { # lock_version <crate>  -> version of <crate> in Cargo.lock
  awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$CROW_ROOT/Cargo.lock"
}
CROW_WASM_BINDGEN_VERSION="$(lock_version wasm-bindgen)"
CROW_WORKER_VERSION="$(lock_version worker)"
export CROW_WASM_BINDGEN_VERSION CROW_WORKER_VERSION

# worker-build would download these from GitHub, which is unreachable here.
export WASM_BINDGEN_BIN="${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen"
export WASM_OPT_BIN="$CROW_ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$CROW_ROOT/node_modules/.bin/esbuild"

# wrangler: non-interactive, no telemetry, no network look-ups at start.
export CI="${CI:-true}"
export WRANGLER_SEND_METRICS=false
export WRANGLER_SEND_ERROR_REPORTS=false
export WRANGLER_HIDE_BANNER=true
export CLOUDFLARE_CF_FETCH_ENABLED=false
export NO_UPDATE_NOTIFIER=1

# Default local ports (override in the environment).
export CROW_GATEWAY_PORT="${CROW_GATEWAY_PORT:-8787}"
export CROW_MCP_PORT="${CROW_MCP_PORT:-8788}"
export CROW_A2A_PORT="${CROW_A2A_PORT:-8789}"

CROW_WORKERS=(gateway mcp a2a)

# A TCP port that is free on loopback right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
