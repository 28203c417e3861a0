#!/usr/bin/env bash
# Fuzzes the gateway against its own OpenAPI document with schemathesis: no 5xx, every status
# documented, every body matching its schema. Runs against a stack that scripts/stack.sh started
# (CROW_GATEWAY_URL, CROW_STATE_DIR), with a seeded Enterprise organization so requests reach the
# handlers instead of the rate limiter. Bounded: a fixed seed and example count. One worker:
# with two, schemathesis 4.32 + hypothesis 6.170 occasionally crash inside hypothesis.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$CROW_ROOT"
: "${CROW_GATEWAY_URL:?}" "${CROW_STATE_DIR:?}"

work="$CROW_STATE_DIR/schemathesis"
mkdir -p "$work"
cargo build --quiet -p crow-e2e --bin crow-seed
target/debug/crow-seed "$CROW_GATEWAY_URL" "$work/demo.env" 2>"$work/seed.log" || { cat "$work/seed.log"; die "seeding failed"; }
source "$work/demo.env"
bash scripts/stack.sh sql "UPDATE organizations SET plan = 'enterprise', custom_limit_per_minute = 1000000, custom_limit_per_day = 100000000 WHERE id = '$CROW_ORG_ID'" --state "$CROW_STATE_DIR" > /dev/null
# Schemathesis and the document fetch present their own client address (the per-IP budget of
# anonymous calls is 10 a minute).
curl -fsS -H "CF-Connecting-IP: 2001:db8::5c" "$CROW_GATEWAY_URL/api/v1/openapi.json" -o "$work/openapi.json"
cat > "$work/schemathesis.toml" <<TOML
[parameters]
"path.orgId" = "$CROW_ORG_ID"
"query.organizationId" = "$CROW_ORG_ID"
TOML
log "schemathesis against $CROW_GATEWAY_URL ($(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(v) for v in d["paths"].values()))' "$work/openapi.json") operations)"
tests/python/.venv/bin/schemathesis --config-file "$work/schemathesis.toml" run "$work/openapi.json" \
  --url "$CROW_GATEWAY_URL" -H "Authorization: Bearer $CROW_API_KEY" -H "CF-Connecting-IP: 2001:db8::5d" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-10}" --seed 7 --workers 1 --request-timeout 30 \
  > "$work/report.txt" 2>&1 || { cat "$work/report.txt"; die "schemathesis found problems"; }
grep -E 'generated|Warnings|⚠' "$work/report.txt" || true
