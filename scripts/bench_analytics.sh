#!/usr/bin/env bash
# Analytics at scale (issue 12): generates interactions for one organization straight into the
# local D1 database (one INSERT … SELECT over a recursive counter: 100,000, then 900,000 more, so
# the organization holds 100,000 and then 1,000,000 interactions spread over the last 365 days,
# every kind the metrics read, linked to the organization's products) and measures the p50 of
# the top-products answer and of a daily time series over the whole year with crow-load.
#
#   scripts/bench_analytics.sh STATE_DIR RESULTS.jsonl   (bench.sh calls it; the stack runs)
#
# Needs CROW_GATEWAY_URL, CROW_API_KEY, CROW_ORG_ID (the seeded demo organization) and the
# `measure` settings of bench.sh (BENCH_SECONDS, BENCH_CONCURRENCY).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$CROW_ROOT"
state="${1:?state dir}"
results="${2:?results file}"
seconds="${BENCH_SECONDS:-10}"
concurrency="${BENCH_CONCURRENCY:-8}"
: "${CROW_GATEWAY_URL:?}" "${CROW_API_KEY:?}" "${CROW_ORG_ID:?}"

generate() { # generate FIRST LAST: interactions bench-FIRST..bench-LAST
  local now_ms
  now_ms="$(( $(date +%s) * 1000 ))"
  bash scripts/stack.sh sql "WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM n WHERE i < $2),
    p AS (SELECT id, sku, COALESCE(price_cents, 1000) AS price, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k
          FROM products WHERE organization_id = '$CROW_ORG_ID'),
    c AS (SELECT COUNT(*) AS m FROM p)
  INSERT INTO interactions (id, organization_id, event_id, source_type, kind, product_id, occurred_at, content, attributes, created_at)
  SELECT 'int_bench_' || i, '$CROW_ORG_ID', 'bench-' || i,
    CASE WHEN i % 20 < 11 THEN 'web' WHEN i % 20 < 17 THEN 'cctv' ELSE 'social' END,
    CASE WHEN i % 20 < 7 THEN 'page_view' WHEN i % 20 < 9 THEN 'add_to_cart' WHEN i % 20 = 9 THEN 'purchase'
         WHEN i % 20 = 10 THEN 'search' WHEN i % 20 < 13 THEN 'footfall' WHEN i % 20 < 15 THEN 'dwell'
         WHEN i % 20 < 17 THEN 'shelf_interaction' ELSE 'mention' END,
    CASE WHEN i % 20 IN (11, 12) THEN NULL ELSE p.id END,
    $now_ms - (i * 7919) % 31536000000,
    '',
    json_object('sku', p.sku, 'quantity', 1 + i % 3, 'orderValueCents', (1 + i % 3) * p.price,
      'durationSec', 30 + i % 200, 'count', 5 + i % 20,
      'sentiment', CASE i % 3 WHEN 0 THEN 'positive' WHEN 1 THEN 'neutral' ELSE 'negative' END,
      'store', CASE i % 3 WHEN 0 THEN 'denver' WHEN 1 THEN 'seattle' ELSE 'boulder' END, 'zone', 'Z' || (i % 8)),
    $now_ms
  FROM n JOIN p ON p.k = n.i % (SELECT m FROM c)" --state "$state" > /dev/null
}

# `measure LABEL crow-load-args…` comes from scripts/bench.sh (exported), writing to "$results".
declare -F measure > /dev/null || die "run through scripts/bench.sh (it exports measure)"

auth=(--header "Authorization: Bearer $CROW_API_KEY")
base="$CROW_GATEWAY_URL/api/v1/analytics/organization/$CROW_ORG_ID"
from="$(date -u -d '-366 days' +%Y-%m-%d)"
for step in "1 100000 100k" "100001 1000000 1M"; do
  set -- $step
  log "generating interactions $1..$2 in D1"
  t0="$(date +%s)"
  generate "$1" "$2"
  log "generated in $(( $(date +%s) - t0 )) s"
  curl -fsS "$base/products?from=$from&limit=1" -H "Authorization: Bearer $CROW_API_KEY" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["totals"]["interactions"] > 0, d' \
    || die "the analytics answer is not a report"
  measure "analytics top products by revenue, 365 days, $3 interactions" --url "$base/products?from=$from&sort=revenue&limit=10" "${auth[@]}"
  measure "analytics daily time series of revenue, 365 days, $3 interactions" --url "$base/timeseries?from=$from&metric=revenue&interval=day" "${auth[@]}"
done
