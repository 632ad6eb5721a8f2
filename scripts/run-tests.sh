#!/usr/bin/env bash
# Lint, the whole suite on SQLite, then on a throwaway PostgreSQL cluster (`postgres` alone: only that).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
scripts/install-test-tools.sh

if [ "${1:-}" != postgres ]; then
  echo "== lint =="
  "$BIN/ruff" check .
  "$BIN/ruff" format --check .
  echo "== tests on SQLite =="
  "$BIN/pytest"
fi

echo "== tests on PostgreSQL =="
cluster=$(mktemp -d /tmp/callfunnel-pg.XXXXXX)
trap 'scripts/postgres-cluster.sh stop "$cluster"' EXIT
url=$(scripts/postgres-cluster.sh start "$cluster")
CALLFUNNEL_TEST_DATABASE_URL="$url" CALLFUNNEL_TEST_PG_CLUSTER="$cluster" "$BIN/pytest"
