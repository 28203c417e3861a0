#!/usr/bin/env bash
# Builds one worker with worker-build into workers/<name>/build. wrangler runs this as the
# `[build]` command at start and on every change under `watch_dir`. It does nothing when the
# build output is newer than every source it depends on, so starting three workers after a
# full build does not run three more builds.
set -euo pipefail
source "$(dirname "$0")/env.sh"
name="${1:?usage: build-worker.sh gateway|mcp|a2a [--release|--dev]}"
profile="${2:---release}"
out="$CROW_ROOT/workers/$name/build/index.js"
if [ -f "$out" ] && [ "${CROW_FORCE_BUILD:-0}" != 1 ]; then
  newer="$(find "$CROW_ROOT/workers/$name/src" "$CROW_ROOT/workers/$name/Cargo.toml" "$CROW_ROOT/crates" \
    "$CROW_ROOT/Cargo.lock" -newer "$out" -type f \( -name '*.rs' -o -name '*.toml' -o -name '*.lock' \) -print -quit)"
  [ -z "$newer" ] && exit 0
fi
cd "$CROW_ROOT/workers/$name"
exec worker-build "$profile"
