#!/usr/bin/env bash
# Builds one worker with worker-build into workers/<name>/build. wrangler runs this as the
# `[build]` command; with CROW_PREBUILT=1 (set by scripts that built everything up front) it
# does nothing, so starting three workers does not run three builds.
set -euo pipefail
source "$(dirname "$0")/env.sh"
name="${1:?usage: build-worker.sh gateway|mcp|a2a [--dev]}"
profile="${2:---release}"
if [ "${CROW_PREBUILT:-0}" = 1 ] && [ -f "$CROW_ROOT/workers/$name/build/index.js" ]; then
  exit 0
fi
cd "$CROW_ROOT/workers/$name"
exec worker-build "$profile"
