#!/usr/bin/env bash
# Lint, then the whole suite on SQLite and on a throwaway PostgreSQL cluster side by side (the two
# runs share nothing: each has its own temporary directory and its own servers on free ports);
# `postgres` alone: only that one.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
scripts/install-test-tools.sh
scratch=$(mktemp -d /tmp/callfunnel-tests.XXXXXX)
cluster=$(mktemp -d /tmp/callfunnel-pg.XXXXXX)  # its own: PostgreSQL's user must reach it
cleanup() {
  scripts/postgres-cluster.sh stop "$cluster" || true
  rm -rf "$scratch"
}
trap cleanup EXIT

postgres_suite() {
  local url
  url=$(scripts/postgres-cluster.sh start "$cluster")
  CALLFUNNEL_TEST_DATABASE_URL="$url" CALLFUNNEL_TEST_PG_CLUSTER="$cluster" "$BIN/pytest" --basetemp="$scratch/pg-tmp"
}

if [ "${1:-}" = postgres ]; then
  echo "== tests on PostgreSQL =="
  postgres_suite
  exit
fi

echo "== lint =="
"$BIN/ruff" check .
"$BIN/ruff" format --check .

echo "== tests on SQLite and on PostgreSQL, side by side (SQLite's report follows PostgreSQL's) =="
"$BIN/pytest" --basetemp="$scratch/sqlite-tmp" >"$scratch/sqlite.log" 2>&1 &
sqlite_run=$!
postgres_status=0
postgres_suite || postgres_status=$?
sqlite_status=0
wait "$sqlite_run" || sqlite_status=$?
echo "== tests on SQLite =="
cat "$scratch/sqlite.log"
exit $((sqlite_status || postgres_status))
