#!/usr/bin/env bash
# messenger.sh - issue 5's inbound figure: signed Messenger webhooks with wrk,
# end to end (verified, parsed, analysed, stored, assigned to an online agent,
# streamed to a connected SSE client, answered after the commit), beside the
# desk's SQLite ceiling (bench/ingest_ceiling: a bare C loop writing the same
# rows in transactions of the size the server's group commit produced).
# Usage: bench/messenger.sh BUILD_DIR   (called by bench/run.sh); BENCH_PERF=FILE
# records a perf profile of the server (dwarf call graphs, 6 s) during the load.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/$BUILD/parley
DURATION=${BENCH_SECONDS:-10}
N=${BENCH_MESSENGER_BODIES:-60000}
CONNS=${BENCH_MESSENGER_CONNECTIONS:-64}
CORPUS=$ROOT/tests/data/vader_dev_corpus.tsv
# On disk beside the build (not /tmp, which may be tmpfs), so fsync is real.
DIR=$ROOT/$BUILD/bench-messenger
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
rm -rf "$DIR"; mkdir -p "$DIR"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i+1); exit}}'; }

echo "== messenger webhooks: wrk -t2 -c$CONNS -d${DURATION}s, signed, a new customer each, durable (serve --threads 64)"
printf 'bench-password-1\n' | "$BIN" init --db "$DIR/m.db" --account Bench --admin admin@bench.test >/dev/null
TOKEN=$("$BIN" token create --db "$DIR/m.db" --email admin@bench.test --name bench)
PORT=$(free_port)
"$BIN" serve --db "$DIR/m.db" --port "$PORT" --log-level warn --threads 64 2>"$DIR/serve.log" & PIDS+=($!)
SERVER=${PIDS[-1]}
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
api() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' "$@"; }
# 50 online agents with room for every conversation of the run
for i in $(seq -w 1 50); do
  ID=$(api -X POST "http://127.0.0.1:$PORT/api/v1/users" \
    -d "{\"email\":\"agent$i@bench.test\",\"name\":\"Agent $i\",\"role\":\"agent\",\"password\":\"bench-password-1\",\"capacity\":1000}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  api -X PATCH "http://127.0.0.1:$PORT/api/v1/users/$ID" -d '{"availability":"online"}' >/dev/null
done
SECRET=bench-app-secret
PAGE=104857600000001
INBOX=$(api -X POST "http://127.0.0.1:$PORT/api/v1/inboxes" -d "{\"name\":\"Bench Messenger\",\"channel\":\"messenger\",\"policy\":\"round_robin\",\"settings\":{\"page_id\":\"$PAGE\",\"app_secret\":\"$SECRET\",\"verify_token\":\"bench-verify\",\"page_access_token\":\"bench-page-token\",\"api_base_url\":\"http://127.0.0.1:9\"}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
python3 "$ROOT/bench/messenger_bodies.py" "$N" "$SECRET" "$PAGE" "$CORPUS" >"$DIR/bodies.tsv"
# A console listening: every stored message is streamed to it.
curl -sN -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/stream" >"$DIR/stream.txt" 2>/dev/null & PIDS+=($!)
sleep 0.3
# BENCH_PERF=FILE: a perf profile of the server (dwarf call graphs) during the load
if [ -n "${BENCH_PERF:-}" ]; then
  (sleep 2; perf record -F 400 --call-graph dwarf,16384 -p "$SERVER" -o "$BENCH_PERF" -- sleep 6 >/dev/null 2>&1) &
fi
OUT=$(MESSENGER_BODIES=$DIR/bodies.tsv MESSENGER_INBOX=$INBOX MESSENGER_THREADS=2 \
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$ROOT/bench/messenger.lua" "http://127.0.0.1:$PORT" | grep '^messenger')
# The SSE client may trail the writes while 64 connections keep the workers
# busy: give it up to 30 s to receive every message.created, and say how long.
STORED_NOW=$(sqlite3 "$DIR/m.db" "SELECT count(*) FROM messages WHERE inbox_id = $INBOX AND direction = 'in'")
CATCHUP=0
while [ "$(grep -c '^event: message.created' "$DIR/stream.txt" || true)" -lt "$STORED_NOW" ] && [ "$CATCHUP" -lt 300 ]; do
  sleep 0.1; CATCHUP=$((CATCHUP + 1))
done
METRICS=$(curl -sf "http://127.0.0.1:$PORT/metrics")
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
STORED=$(sqlite3 "$DIR/m.db" "SELECT count(*) FROM messages WHERE inbox_id = $INBOX AND direction = 'in'")
ASSIGNED=$(sqlite3 "$DIR/m.db" "SELECT count(*) FROM conversations WHERE inbox_id = $INBOX AND assignee_id IS NOT NULL")
STREAMED=$(grep -c '^event: message.created' "$DIR/stream.txt" || true)
WRITES=$(echo "$METRICS" | awk '$1=="parley_store_writes_total" {print $2}')
BATCHES=$(echo "$METRICS" | awk '$1=="parley_store_batches_total" {print $2}')
BUSY=$(echo "$METRICS" | awk '$1=="parley_store_batch_seconds_total" {print $2}')
BATCH=$(python3 -c "print(max(1, round($WRITES / max(1, $BATCHES))))")
RATE=$(python3 -c "print(round($STORED / $DURATION))")
CEIL=$("$ROOT/$BUILD/bench/ingest_ceiling" "$DIR/ceiling.db" "$STORED" "$BATCH" "$CORPUS")
C_RATE=$(echo "$CEIL" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "messages/s,") print $i}')
echo "$OUT"
echo "stored $STORED new messages in ${DURATION} s = $RATE messages/s; $ASSIGNED conversations assigned; $STREAMED message.created events streamed to the SSE client (the last $(python3 -c "print($CATCHUP / 10)") s after the load ended)"
echo "group commit: $WRITES writes in $BATCHES transactions (average $(python3 -c "print(f'{$WRITES / max(1, $BATCHES):.1f}')") per commit); the writer busy $(python3 -c "print(f'{100 * $BUSY / $DURATION:.0f}% of the run, {1e6 * $BUSY / max(1, $WRITES):.0f} us per write')")"
echo "$CEIL"
printf 'messenger ingest: %s messages/s (goal >= 10,000 on %s cores): %s\n' "$RATE" "$(nproc)" \
  "$(python3 -c "print('PASS' if $RATE >= 10000 else 'FAIL')")"
echo "ratio to the bare SQLite loop: $(python3 -c "print(f'{$RATE / float(\"$C_RATE\"):.2f}')")"
if [ "$(echo "$OUT" | field non2xx)" != 0 ]; then echo "  ^ non-2xx answers: FAIL"; fi
if grep -q '"level":"error"' "$DIR/serve.log"; then echo "server logged errors:"; grep '"level":"error"' "$DIR/serve.log" | head -5; fi
echo
