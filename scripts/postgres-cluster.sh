#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite: `start DIR` prints a database URL, `stop DIR` removes it.
# Installs PostgreSQL with apt-get when initdb is missing.  The server runs as the `postgres` user
# (it refuses root) in DIR, on a free loopback port, never as a system service.
set -euo pipefail

find_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local dir=$1
  if [ -z "$(find_bin initdb)" ]; then
    echo "installing postgresql with apt-get ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
  fi
  local initdb pg_ctl port
  initdb=$(find_bin initdb); pg_ctl=$(find_bin pg_ctl)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_postgres "$initdb" -D "$dir/data" -A trust -U postgres --no-sync >/dev/null
  echo "$port" > "$dir/port"
  resume "$dir"
  echo "postgresql+asyncpg://postgres@127.0.0.1:$port/postgres"
}

# pause/resume: the resilience tests stop the server for a while (the database gone) and start it again.
resume() {
  local dir=$1 port
  port=$(cat "$dir/port")
  as_postgres "$(find_bin pg_ctl)" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
}

pause() {
  as_postgres "$(find_bin pg_ctl)" -D "$1/data" -m fast -w stop >/dev/null
}

stop() {
  local dir=$1 pg_ctl
  pg_ctl=$(find_bin pg_ctl)
  if [ -d "$dir/data" ]; then as_postgres "$pg_ctl" -D "$dir/data" -m immediate stop >/dev/null || true; fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  pause) pause "$2" ;;
  resume) resume "$2" ;;
  *) echo "usage: $0 start|stop|pause|resume DIR" >&2; exit 2 ;;
esac
