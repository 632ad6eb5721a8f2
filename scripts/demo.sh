#!/bin/sh
# make demo: callfunnel on SQLite with demo data, and the PBX simulator playing calls for two minutes.
# DEMO_SECONDS, DEMO_RATE and PORT change the run; the database is kept in .demo/ until the next demo.
set -eu
DIR=.demo
PORT=${PORT:-8000}
BIN=.venv/bin
rm -rf "$DIR" && mkdir -p "$DIR"
export CALLFUNNEL_DATABASE_URL="sqlite+aiosqlite:///$DIR/demo.db"
export CALLFUNNEL_GENERIC_SECRET="demo-generic-secret"
"$BIN/callfunnel" db upgrade >/dev/null
PASSWORD=demo-password
TOKEN=$(printf '%s\n' "$PASSWORD" | "$BIN/callfunnel" user add demo-admin --role admin --password-stdin | tail -1)
echo "$TOKEN" > "$DIR/admin-token"
"$BIN/uvicorn" app.main:app --host 127.0.0.1 --port "$PORT" --timeout-keep-alive 75 --log-level warning > "$DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    sleep 0.1
done
cat <<INFO
callfunnel is serving the demo on http://127.0.0.1:$PORT (log: $DIR/server.log). While it runs:
  the console:     http://127.0.0.1:$PORT/   (sign in as demo-admin, password $PASSWORD; the funnel
                   tab shows the method's Ivanov and Sidorov week)
  API docs:        http://127.0.0.1:$PORT/docs   (Authorize with the admin token in $DIR/admin-token)
  missed calls:    $BIN/python -m websockets "ws://127.0.0.1:$PORT/ws/supervisor?token=$TOKEN"
  calls so far:    curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/calls?limit=5"

INFO
"$BIN/callfunnel" simulate --token "$TOKEN" --url "http://127.0.0.1:$PORT" --vendor generic \
    --rate "${DEMO_RATE:-1}" --duration "${DEMO_SECONDS:-120}" --operators 12 --demo-data --status-every 1 --seed 7
if [ -t 0 ]; then
    echo "callfunnel keeps running with the demo data on http://127.0.0.1:$PORT; Ctrl-C stops it."
    wait $SERVER
fi
