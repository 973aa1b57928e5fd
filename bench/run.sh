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

# ---- text: each figure against a read/tokenize-only ceiling ----
CORPUS=$ROOT/tests/data/vader_dev_corpus.tsv
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
