#!/usr/bin/env bash
# reports.sh - issue 6's benchmarks, called by run.sh's desk section:
#   1. report latency on the desk database (1M conversations): p99 per endpoint
#      and period (a day, 30 days, the whole range) with filters, goal < 50 ms;
#   2. rollup cost on the ingest path: the durable ingest bench twice in the
#      same run, rollups on and off (`--rollups=off`), goal at most 15% slower;
#   3. the SLA scheduler with 1,000,000 pending deadlines: load time, memory,
#      delay from deadline to committed event.
# Usage: bench/reports.sh BUILD_DIR DESK_DB   (DESK_DB with .info and .tokens beside it)
# BENCH_SECONDS (10) per wrk run, BENCH_INGEST_MESSAGES (50000) per ingest run, BENCH_ROLLUP_PAIRS (5)
# alternating rollups off/on pairs,
# BENCH_SCHEDULER_DEADLINES (1000000); BENCH_REPORTS_ONLY=latency|ingest|scheduler runs one part.
set -euo pipefail
BUILD=${1:?usage: bench/reports.sh BUILD_DIR DESK_DB}
DESK_DB=${2:?usage: bench/reports.sh BUILD_DIR DESK_DB}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/parley
DURATION=${BENCH_SECONDS:-10}
INGEST_N=${BENCH_INGEST_MESSAGES:-50000}
DEADLINES=${BENCH_SCHEDULER_DEADLINES:-1000000}
ONLY=${BENCH_REPORTS_ONLY:-}
CORPUS=$ROOT/tests/data/vader_dev_corpus.tsv
TRIAGE=$ROOT/tests/data/triage_cases.tsv
WORK=$(mktemp -d /tmp/parley-reports-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do curl -sf "http://127.0.0.1:$1/$2" >/dev/null 2>&1 && return 0; sleep 0.05; done; return 1; }
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i+1); exit}}'; }
below() { python3 -c "import sys; print('PASS' if float(sys.argv[1]) < float(sys.argv[2]) else 'FAIL')" "$1" "$2"; }

# ---- 1. report latency ------------------------------------------------------------
if [ -z "$ONLY" ] || [ "$ONLY" = latency ]; then
  echo "== reports: p99 per endpoint on $(basename "$DESK_DB") ($(sqlite3 "$DESK_DB" 'SELECT count(*) FROM report_conversations') conversations in the report tables; $(sqlite3 "$DESK_DB" 'SELECT count(*) FROM report_rollups') rollup rows at every level and cuboid, $(sqlite3 "$DESK_DB" 'SELECT count(*) FROM report_rollups WHERE cuboid = 31 AND level = 0') of them the hourly cross product)"
  SECRET_KEY=$(awk -F= '$1=="secret_key" {print $2}' "$DESK_DB.info")
  INBOX=$(awk -F= '$1=="inbox_id" {print $2}' "$DESK_DB.info")
  AGENTS=$(sqlite3 "$DESK_DB" "SELECT group_concat(id) FROM users WHERE role = 'agent'")
  RANGE=$(sqlite3 "$DESK_DB" "SELECT min(created_at) / 1000, max(created_at) / 1000 + 1 FROM report_conversations")
  T_BEGIN=${RANGE%|*}; T_END=${RANGE#*|}
  PORT=$(free_port)
  "$BIN" serve --db "$DESK_DB" --port "$PORT" --secret-key "$SECRET_KEY" --log-level warn \
    2>"$WORK/reports-serve.log" & PIDS+=($!)
  wait_port "$PORT" healthz
  SPID=${PIDS[-1]}
  rwrk() { # PATH PERIOD SECONDS
    REPORT_PATH=$1 REPORT_PERIOD=$2 REPORT_BEGIN=$T_BEGIN REPORT_END=$T_END REPORT_AGENTS=$AGENTS \
      REPORT_INBOX=$INBOX REPORT_LABEL=${LABEL:-} DESK_TOKENS=$DESK_DB.tokens \
      wrk -t2 -c2 -d"$3s" --timeout 30s -s "$ROOT/bench/reports.lua" "http://127.0.0.1:$PORT" | grep '^reports '
  }
  # The server finishes what a stopped wrk left in flight: wait until its CPU
  # time stops moving, so no case pays for the one before.
  cpu_ticks() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }
  wait_idle() {
    local a b
    for _ in $(seq 600); do
      a=$(cpu_ticks); sleep 0.3; b=$(cpu_ticks)
      [ $((b - a)) -le 1 ] && return 0
    done
  }
  # One request alone (no filter, the period in the middle of the range), in ms.
  single_ms() { # PATH PERIOD
    local q since until sep
    read -r since until < <(python3 -c "
import sys, time
b, e, p = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
n = {'day': 86400, 'month': 30 * 86400}.get(p, e - b)
s = b if p == 'all' else (b + (e - b) // 2) // 86400 * 86400
f = lambda t: time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))
print(f(s), f(s + n))" "$T_BEGIN" "$T_END" "$2")
    sep='?'; case $1 in *\?*) sep='&' ;; esac
    curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $(head -1 "$DESK_DB.tokens")" \
      "http://127.0.0.1:$PORT/api/v1/reports/$1${sep}since=$since&until=$until${LABEL:+&label=$LABEL}" |
      awk '{printf "%.1f", $1 * 1000}'
  }
  echo "wrk -t2 -c2 -d${DURATION}s per line (one request in flight per core), bearer token of a random"
  echo "agent; filters in turn: none, agent, priority=high, inbox+business_hours, channel=api"
  echo "(bench/reports.lua); goal p99 < 50 ms. A case whose single request takes over 1 s is not"
  echo "load-tested (it cannot pass, and would hold the shared machine): its single-request times are shown."
  FAILS=0
  one_case() { # PATH PERIOD (LABEL from the caller) -> one line, FAILS counted
    local path=$1 period=$2 name=$1${LABEL:+ label=$LABEL}
    wait_idle
    S1=$(single_ms "$path" "$period"); S2=$(single_ms "$path" "$period")
    if python3 -c "import sys; sys.exit(0 if min(float(sys.argv[1]), float(sys.argv[2])) > 1000 else 1)" "$S1" "$S2"; then
      echo "reports $name $period: single requests $S1 ms, $S2 ms  FAIL"
      FAILS=$((FAILS + 1))
      return
    fi
    rwrk "$path" "$period" 1 >/dev/null || true # warm-up
    wait_idle
    R=$(rwrk "$path" "$period" "$DURATION" || echo "reports $name $period: wrk failed")
    P99=$(echo "$R" | field p99)
    V=FAIL
    [ -n "$P99" ] && V=$(below "$P99" 50)
    [ "$(echo "$R" | field non2xx)" = 0 ] || V="FAIL (non-2xx answers)"
    [ "$(echo "$R" | field requests)" != 0 ] || V="FAIL (no answer within the run)"
    [ "${V%% *}" = PASS ] || FAILS=$((FAILS + 1))
    echo "$R  $V"
  }
  LABEL=
  for path in summary "timeseries?by=hour" "timeseries?by=day" "timeseries?by=week" agents inboxes teams; do
    for period in day month all; do
      if [ "$path" = "timeseries?by=hour" ] && [ "$period" = all ]; then
        echo "reports $path all: refused by design (over 1,000 points: 400 problem)"
        continue
      fi
      one_case "$path" "$period"
    done
  done
  # A label's reports read its own rollups (report_label_rollups; desk_fill:
  # vip on 1%, billing on 10% of the conversations).
  echo "label-filtered cases (each request also carries the filter set of its turn):"
  for LABEL in vip billing; do
    for path in summary "timeseries?by=day" agents; do
      for period in day month all; do one_case "$path" "$period"; done
    done
  done
  LABEL=
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
  echo "report endpoints over 50 ms at p99: $FAILS"
  if grep -q '"level":"error"' "$WORK/reports-serve.log"; then echo "server logged errors:"; grep '"level":"error"' "$WORK/reports-serve.log" | head -5; fi
  echo
fi

# ---- 2. rollup cost on the ingest path -----------------------------------------------
if [ -z "$ONLY" ] || [ "$ONLY" = ingest ]; then
  echo "== rollup cost: durable ingest of $INGEST_N signed messages, 64 connections (serve --threads 64), rollups on and off"
  ingest_once() { # ROLLUPS -> prints the ingest_load line
    local dir=$BUILD/bench-ingest-rollups-$1
    rm -rf "$dir"; mkdir -p "$dir" # on disk beside the build: fsync is real
    BENCH_DESK_CONVERSATIONS=0 BENCH_DESK_MESSAGES=0 "$BUILD/bench/desk_fill" "$dir/ingest.db" "$CORPUS" "$TRIAGE" >"$dir/info" 2>/dev/null
    local inbox secret key port
    inbox=$(awk -F= '$1=="inbox_id" {print $2}' "$dir/info")
    secret=$(awk -F= '$1=="hmac_secret" {print $2}' "$dir/info")
    key=$(awk -F= '$1=="secret_key" {print $2}' "$dir/info")
    port=$(free_port)
    "$BIN" serve --db "$dir/ingest.db" --port "$port" --secret-key "$key" --log-level warn \
      --threads 64 --rollups="$1" 2>"$WORK/ingest-$1.log" & PIDS+=($!)
    wait_port "$port" healthz
    "$BUILD/bench/ingest_load" "$port" "$inbox" "$secret" "$INGEST_N" 64 "$CORPUS" || true
    kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
    echo "report rows written: $(sqlite3 "$dir/ingest.db" 'SELECT count(*) FROM report_rollups') cube, $(sqlite3 "$dir/ingest.db" 'SELECT count(*) FROM report_recent') recent, $(sqlite3 "$dir/ingest.db" 'SELECT count(*) FROM report_conversations') conversation"
    if grep -q '"level":"error"' "$WORK/ingest-$1.log"; then echo "server logged errors:"; grep '"level":"error"' "$WORK/ingest-$1.log" | head -5; fi
    rm -rf "$dir"
  }
  rate() { awk '{for (i = 1; i < NF; i++) if ($(i+1) == "messages/s,") print $i}' | head -1; }
  # Pairs of runs, the order alternating (off-on, on-off, ...) so that a drift of
  # this shared machine during the section weighs on both sides; the verdict is
  # on the median of the pairs' ratios (one pair swung from -3% to +29% here).
  PAIRS=${BENCH_ROLLUP_PAIRS:-5}
  RATIOS=""
  for p in $(seq "$PAIRS"); do
    if [ $((p % 2)) = 1 ]; then OFF=$(ingest_once off); ON=$(ingest_once on)
    else ON=$(ingest_once on); OFF=$(ingest_once off); fi
    echo "pair $p, rollups off: $OFF"; echo "pair $p, rollups on:  $ON"
    R_OFF=$(echo "$OFF" | rate); R_ON=$(echo "$ON" | rate)
    RATIOS="$RATIOS ${R_ON:-0}/${R_OFF:-0}"
  done
  python3 - $RATIOS <<'PY'
import statistics, sys
pairs = [tuple(float(x) for x in a.split("/")) for a in sys.argv[1:]]
ratios = [on / off for on, off in pairs if off > 0]
if not ratios or len(ratios) < len(pairs):
    print("rollup cost: a run measured no rate: FAIL")
else:
    for (on, off), r in zip(pairs, ratios):
        print(f"  pair: with rollups / without: {on:.0f} / {off:.0f} messages/s = {r:.3f}")
    m = statistics.median(ratios)
    slower = 1 - m
    print(f"ingest with rollups / without, median of {len(ratios)} alternating pairs: {m:.3f} "
          f"({slower * 100:+.1f}% slower; goal at most 15% slower): {'PASS' if slower <= 0.15 else 'FAIL'}")
PY
  echo
fi

# ---- 3. the SLA scheduler at 1M deadlines ------------------------------------------------
if [ -z "$ONLY" ] || [ "$ONLY" = scheduler ]; then
  echo "== scheduler: $DEADLINES pending SLA deadlines (bench/bench_scheduler)"
  SDIR=$BUILD/bench-scheduler
  rm -rf "$SDIR"; mkdir -p "$SDIR"
  "$BUILD/bench/bench_scheduler" "$SDIR/sched.db" "$DEADLINES" 1000 || echo "bench_scheduler: some probes did not fire: FAIL"
  rm -rf "$SDIR"
  echo
fi
