#!/usr/bin/env bash
# make bench: every benchmark in bench/, on SQLite and (the flood with two workers) on a throwaway
# PostgreSQL cluster, then one table of what was measured against its goal.  Takes about half an hour.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export CALLFUNNEL_BENCH_RESULTS=${CALLFUNNEL_BENCH_RESULTS:-$(mktemp /tmp/callfunnel-bench.XXXXXX.jsonl)}
: > "$CALLFUNNEL_BENCH_RESULTS"

for script in ingest observability routing realtime reports flood growth console retention recordings dialer; do
  echo "== bench/$script.py =="
  "$BIN/python" "bench/$script.py"
done

echo "== bench/flood.py on PostgreSQL, 2 workers =="
cluster=$(mktemp -d /tmp/callfunnel-pg.XXXXXX)
trap 'scripts/postgres-cluster.sh stop "$cluster"' EXIT
url=$(scripts/postgres-cluster.sh start "$cluster")
"$BIN/python" bench/flood.py --database-url "$url" --workers 2 --rates 25,50,100

echo
"$BIN/python" bench/table.py "$CALLFUNNEL_BENCH_RESULTS"
