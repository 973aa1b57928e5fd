#!/usr/bin/env bash
# run.sh - Parley's benchmarks. Prints each figure beside its ceiling measured in
# the same run on the same machine. Usage: bench/run.sh [BUILD_DIR]
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/$BUILD/parley
DURATION=${BENCH_SECONDS:-10}
WORK=$(mktemp -d /tmp/parley-bench-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
# BENCH_ONLY=http,text,desk,ingest,reports,messenger,outbound runs only those
# sections (all by default), e.g. to re-measure one figure on a quiet machine.
want() { [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$1,"* ]]; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/$2" >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }

# wrk prints "Requests/sec: N" and, with --latency, "99%  X.XXms"
wrk_run() { wrk -t2 -c64 -d"${DURATION}s" --latency "$@"; }
req_s() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '$1=="99%" {print $2}'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "cpu: $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//')"
echo

# ---- HTTP: authenticated GET /api/v1/me vs. a minimal libmicrohttpd server ----
if want http; then
echo "== http: authenticated GET /api/v1/me (wrk -t2 -c64 -d${DURATION}s)"
PORT=$(free_port)
"$ROOT/$BUILD/bench/ceiling_server" "$PORT" & PIDS+=($!)
wait_port "$PORT" ""
CEIL=$(wrk_run "http://127.0.0.1:$PORT/")
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

printf 'bench-password-1\n' | "$BIN" init --db "$WORK/bench.db" --account Bench --admin admin@bench.test >/dev/null
TOKEN=$("$BIN" token create --db "$WORK/bench.db" --email admin@bench.test --name bench)
PORT=$(free_port)
"$BIN" serve --db "$WORK/bench.db" --port "$PORT" 2>"$WORK/serve.log" & PIDS+=($!)
wait_port "$PORT" healthz
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me" >/dev/null
OURS=$(wrk_run -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/me")
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

C_RPS=$(echo "$CEIL" | req_s); C_P99=$(echo "$CEIL" | p99)
O_RPS=$(echo "$OURS" | req_s); O_P99=$(echo "$OURS" | p99)
RATIO=$(python3 -c "print(f'{$O_RPS/$C_RPS:.2f}')")
printf 'ceiling (fixed JSON, libmicrohttpd): %10.0f req/s  p99 %s\n' "$C_RPS" "$C_P99"
printf 'parley GET /api/v1/me (bearer):      %10.0f req/s  p99 %s\n' "$O_RPS" "$O_P99"
echo "ratio: $RATIO (goal >= 0.70)"
if grep -q '"level":"error"' "$WORK/serve.log"; then echo "server logged errors:"; grep '"level":"error"' "$WORK/serve.log" | head -5; fi
echo

fi
# ---- text: each figure against a read/tokenize-only ceiling ----
CORPUS=$ROOT/tests/data/vader_dev_corpus.tsv # the texts of the text, desk and ingest sections
if want text; then
echo "== pii: scan of the dev corpus repeated to 1,000,000 texts"
"$ROOT/$BUILD/bench/bench_pii" "$CORPUS"
echo
if [ -x "$ROOT/$BUILD/bench/bench_text" ]; then
  echo "== sentiment"
  "$ROOT/$BUILD/bench/bench_text" "$CORPUS" "$ROOT/data/vader_lexicon.txt" "$ROOT/data/emoji_utf8_lexicon.txt"
  echo
fi
if [ -x "$ROOT/$BUILD/bench/bench_triage" ]; then
  echo "== triage"
  "$ROOT/$BUILD/bench/bench_triage" "$CORPUS"
  echo
fi
if [ -x "$ROOT/$BUILD/bench/bench_bm25" ]; then
  echo "== reply suggestions (BM25 over canned responses)"
  "$ROOT/$BUILD/bench/bench_bm25" "$CORPUS"
  echo
fi

fi
# ---- desk (issue 3): latency on 1M conversations / 5M messages, durable ingest ----
# The filled database is cached in $BUILD/bench-desk.db and reused while its key
# (generator version, sizes, migrations) is unchanged; $BUILD/bench-desk.db.tokens
# holds one bearer token per agent (parley token create). Quick runs:
# BENCH_DESK_CONVERSATIONS=20000 BENCH_DESK_MESSAGES=100000 make bench (own cache key).
DESK_CONV=${BENCH_DESK_CONVERSATIONS:-1000000}
DESK_MSG=${BENCH_DESK_MESSAGES:-5000000}
INGEST_N=${BENCH_INGEST_MESSAGES:-50000}
FILL=$ROOT/$BUILD/bench/desk_fill
TRIAGE=$ROOT/tests/data/triage_cases.tsv
if [ -x "$FILL" ] && { want desk || want ingest || want reports; }; then
  echo "== desk: $DESK_CONV conversations, $DESK_MSG messages, 50 agents"
  DESK_DB=$ROOT/$BUILD/bench-desk.db
  DESK_KEY="$("$FILL" --version) conversations=$DESK_CONV messages=$DESK_MSG migrations=$(cat "$ROOT"/src/store/migrations/*.sql | sha256sum | cut -c1-16)"
  if [ "$DESK_CONV" != 1000000 ] || [ "$DESK_MSG" != 5000000 ]; then
    DESK_DB=$ROOT/$BUILD/bench-desk-$DESK_CONV-$DESK_MSG.db
  fi
  if [ ! -f "$DESK_DB" ] || [ "$(cat "$DESK_DB.key" 2>/dev/null)" != "$DESK_KEY" ] || [ ! -s "$DESK_DB.tokens" ]; then
    echo "filling $DESK_DB (cached for later runs; progress on stderr)"
    rm -f "$DESK_DB" "$DESK_DB".* "$DESK_DB.tmp"*
    START=$(date +%s)
    BENCH_DESK_CONVERSATIONS=$DESK_CONV BENCH_DESK_MESSAGES=$DESK_MSG \
      "$FILL" "$DESK_DB.tmp" "$CORPUS" "$TRIAGE" >"$DESK_DB.info.tmp"
    for i in $(seq -w 1 50); do
      "$BIN" token create --db "$DESK_DB.tmp" --email "agent$i@bench.test" --name bench
    done >"$DESK_DB.tokens.tmp"
    mv "$DESK_DB.tmp" "$DESK_DB"; mv "$DESK_DB.info.tmp" "$DESK_DB.info"
    mv "$DESK_DB.tokens.tmp" "$DESK_DB.tokens"; echo "$DESK_KEY" >"$DESK_DB.key"
    echo "fill: $(( $(date +%s) - START )) s, $(du -h "$DESK_DB" | cut -f1)"
  else
    echo "reusing $DESK_DB ($(du -h "$DESK_DB" | cut -f1), key: $DESK_KEY)"
  fi
  # Search texts, a third each: order numbers and customers that exist in the
  # data (sampled evenly), and topics agents look for (common words, prefix-
  # matched like every last word typed into the search box).
  if [ ! -s "$DESK_DB.terms" ]; then
    {
      sqlite3 "$DESK_DB" "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 4999 FROM s WHERE i < $DESK_MSG)
        SELECT substr(body, instr(body, '(order #') + 8, 7) FROM messages WHERE id IN s
        AND instr(body, '(order #') > 0 LIMIT 100"
      sqlite3 "$DESK_DB" "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 3001 FROM s WHERE i < $DESK_CONV)
        SELECT name FROM contacts WHERE id IN s LIMIT 100"
      for i in $(seq 10); do
        printf '%s\n' refund "password reset" broken "late delivery" "cancel subscription" \
          "never arrived" "charged twice" "app crash" "tracking number" voucher
      done
    } >"$DESK_DB.terms"
  fi
  if want desk; then
  SECRET_KEY=$(awk -F= '$1=="secret_key" {print $2}' "$DESK_DB.info")
  MAXCONV=$(sqlite3 "$DESK_DB" 'SELECT max(id) FROM conversations' 2>/dev/null || echo "$DESK_CONV")
  cat "$DESK_DB" >/dev/null # warm the page cache: the figures are for a warm server
  desk_wrk() { # MODE URL SECONDS
    DESK_MODE=$1 DESK_TOKENS=$DESK_DB.tokens DESK_CONVS=${MAXCONV:-1} DESK_TERMS=$DESK_DB.terms \
      wrk -t2 -c4 -d"$3s" -s "$ROOT/bench/desk.lua" "$2" | grep '^desk '
  }
  # goal check: FIGURE GOAL -> PASS/FAIL
  verdict() { python3 -c "import sys; print('PASS' if float(sys.argv[1]) < float(sys.argv[2]) else 'FAIL')" "$1" "$2"; }
  field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i+1); exit}}'; }

  PORT=$(free_port)
  "$ROOT/$BUILD/bench/ceiling_server" "$PORT" & PIDS+=($!)
  wait_port "$PORT" ""
  CEIL=$(desk_wrk inbox "http://127.0.0.1:$PORT" "$DURATION")
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true

  PORT=$(free_port)
  "$BIN" serve --db "$DESK_DB" --port "$PORT" --secret-key "$SECRET_KEY" 2>"$WORK/desk-serve.log" & PIDS+=($!)
  wait_port "$PORT" healthz
  for m in inbox detail search; do desk_wrk "$m" "http://127.0.0.1:$PORT" 2 >/dev/null; done # warm-up
  INBOX_R=$(desk_wrk inbox "http://127.0.0.1:$PORT" "$DURATION")
  DETAIL_R=$(desk_wrk detail "http://127.0.0.1:$PORT" "$DURATION")
  SEARCH_R=$(desk_wrk search "http://127.0.0.1:$PORT" "$DURATION")
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
  # -c4: four requests always in flight on the server's two HTTP threads; at
  # -c16 wrk's latency is mostly the queue of eight requests per thread.
  echo "wrk -t2 -c4 -d${DURATION}s, bearer token of a random agent per request (bench/desk.lua)"
  echo "ceiling (fixed JSON, libmicrohttpd):      $CEIL"
  echo "inbox page (assignee=me, open, 25 rows):  $INBOX_R"
  echo "  p99 $(echo "$INBOX_R" | field p99) ms (goal < 5 ms): $(verdict "$(echo "$INBOX_R" | field p99)" 5)"
  echo "conversation detail with timeline:        $DETAIL_R"
  echo "  p99 $(echo "$DETAIL_R" | field p99) ms (goal < 10 ms): $(verdict "$(echo "$DETAIL_R" | field p99)" 10)"
  echo "full-text search:                          $SEARCH_R"
  echo "  p95 $(echo "$SEARCH_R" | field p95) ms (goal < 50 ms): $(verdict "$(echo "$SEARCH_R" | field p95)" 50)"
  for r in "$INBOX_R" "$DETAIL_R" "$SEARCH_R"; do
    if [ "$(echo "$r" | field non2xx)" != 0 ]; then echo "  ^ non-2xx answers: FAIL"; fi
  done
  if grep -q '"level":"error"' "$WORK/desk-serve.log"; then echo "server logged errors:"; grep '"level":"error"' "$WORK/desk-serve.log" | head -5; fi
  echo

  fi
  if want ingest; then
  echo "== desk ingest: $INGEST_N signed messages through the api inbox, 64 connections, durable (serve --threads 64)"
  # On disk beside the build (not /tmp, which may be tmpfs), so fsync is real.
  IDIR=$ROOT/$BUILD/bench-ingest
  rm -rf "$IDIR"; mkdir -p "$IDIR"
  BENCH_DESK_CONVERSATIONS=0 BENCH_DESK_MESSAGES=0 "$FILL" "$IDIR/ingest.db" "$CORPUS" "$TRIAGE" >"$IDIR/info" 2>/dev/null
  I_INBOX=$(awk -F= '$1=="inbox_id" {print $2}' "$IDIR/info")
  I_SECRET=$(awk -F= '$1=="hmac_secret" {print $2}' "$IDIR/info")
  I_KEY=$(awk -F= '$1=="secret_key" {print $2}' "$IDIR/info")
  PORT=$(free_port)
  # --threads 64: a write holds its work-pool thread until it commits, so the
  # writes one group commit can gather are bounded by the pool's threads.
  "$BIN" serve --db "$IDIR/ingest.db" --port "$PORT" --secret-key "$I_KEY" --log-level warn \
    --threads 64 2>"$WORK/ingest-serve.log" & PIDS+=($!)
  wait_port "$PORT" healthz
  INGEST=$("$ROOT/$BUILD/bench/ingest_load" "$PORT" "$I_INBOX" "$I_SECRET" "$INGEST_N" 64 "$CORPUS" || true)
  METRICS=$(curl -sf "http://127.0.0.1:$PORT/metrics")
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
  WRITES=$(echo "$METRICS" | awk '$1=="parley_store_writes_total" {print $2}')
  BATCHES=$(echo "$METRICS" | awk '$1=="parley_store_batches_total" {print $2}')
  BUSY=$(echo "$METRICS" | awk '$1=="parley_store_batch_seconds_total" {print $2}')
  BATCH=$(python3 -c "print(max(1, round($WRITES / max(1, $BATCHES))))")
  CEILI=$("$ROOT/$BUILD/bench/ingest_ceiling" "$IDIR/ceiling.db" "$INGEST_N" "$BATCH" "$CORPUS")
  I_RATE=$(echo "$INGEST" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "messages/s,") print $i}')
  C_RATE=$(echo "$CEILI" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "messages/s,") print $i}')
  echo "$INGEST"
  I_SECS=$(echo "$INGEST" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "s:") print $i}')
  echo "group commit: $WRITES writes in $BATCHES transactions (average $(python3 -c "print(f'{$WRITES / max(1, $BATCHES):.1f}')") writes per commit); the writer busy $(python3 -c "print(f'{100 * $BUSY / max(0.001, float(\"${I_SECS:-0}\" or 0)):.0f}% of the run, {1e6 * $BUSY / max(1, $WRITES):.0f} us per write')")"
  echo "$CEILI"
  printf 'parley ingest: %s messages/s (goal >= 10,000 on %s cores): %s\n' "$I_RATE" "$(nproc)" \
    "$(python3 -c "print('PASS' if float('${I_RATE:-0}') >= 10000 else 'FAIL')")"
  echo "ratio to the bare SQLite loop: $(python3 -c "print(f'{float(\"${I_RATE:-0}\") / float(\"$C_RATE\"):.2f}')")"
  if grep -q '"level":"error"' "$WORK/ingest-serve.log"; then echo "server logged errors:"; grep '"level":"error"' "$WORK/ingest-serve.log" | head -5; fi
  rm -rf "$IDIR"
  echo

  fi
  # issue 6: report latency on this database, rollup cost on ingest, the SLA scheduler
  if want reports; then "$ROOT/bench/reports.sh" "$BUILD" "$DESK_DB"; fi
fi

# ---- channels (issue 5): signed Messenger webhooks with wrk, end to end ----
if want messenger; then "$ROOT/bench/messenger.sh" "$BUILD"; fi
# ---- outbound delivery (issue 5): deliveries/s and reply -> delivery p99 ----
if [ -x "$ROOT/$BUILD/bench/outbound_fake" ] && want outbound; then
  "$ROOT/bench/outbound.sh" "$BUILD"
fi
