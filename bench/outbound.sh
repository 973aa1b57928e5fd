#!/usr/bin/env bash
# outbound.sh - outbound delivery (issue 5): deliveries/s from a backlog and
# the p99 from an agent's reply (POST answered) to the platform receiving it,
# against a fast local fake of Telegram's sendMessage (bench/outbound_fake.c),
# beside the ceiling: raw libcurl multi requests/s to the same fake with the
# same 32 in flight (bench/outbound_ceiling.c). Usage: bench/outbound.sh [BUILD_DIR]
# BENCH_OUTBOUND_REPLIES (10000), BENCH_OUTBOUND_RATE (300/s) and
# BENCH_OUTBOUND_SECONDS (10) size it.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${BENCH_OUTBOUND_REPLIES:-10000}
RATE=${BENCH_OUTBOUND_RATE:-300}
SECS=${BENCH_OUTBOUND_SECONDS:-10}
# On disk beside the build (not /tmp, which may be tmpfs), so fsync is real.
WORK=$ROOT/$BUILD/bench-outbound
FAKE_PID=
cleanup() {
  if [ -n "$FAKE_PID" ]; then kill "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
rm -rf "$WORK"; mkdir -p "$WORK"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$ROOT/$BUILD/bench/outbound_fake" "$PORT" & FAKE_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/count" >/dev/null 2>&1 && break; sleep 0.05; done

echo "== outbound: $N backlogged replies, then $RATE replies/s for ${SECS}s (Telegram, 1000 customers, fake sendMessage)"
CEIL=$("$ROOT/$BUILD/bench/outbound_ceiling" "http://127.0.0.1:$PORT/bot1:bench/sendMessage" "$N" 32)
OURS=$(python3 "$ROOT/bench/outbound_load.py" "$ROOT/$BUILD/parley" "http://127.0.0.1:$PORT" "$WORK" "$N" "$RATE" "$SECS")
echo "$OURS"
echo "$CEIL"
D_RATE=$(echo "$OURS" | awk '/^deliveries:/ {for (i = 1; i < NF; i++) if ($(i+1) == "deliveries/s") print $i}')
C_RATE=$(echo "$CEIL" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "requests/s") print $i}')
echo "ratio deliveries/s to the raw libcurl multi ceiling: $(python3 -c "print(f'{float(\"${D_RATE:-0}\") / float(\"$C_RATE\"):.2f}')")"
if grep -q '"level":"error"' "$WORK/outbound-serve.log" 2>/dev/null; then
  echo "server logged errors:"; grep '"level":"error"' "$WORK/outbound-serve.log" | head -5
fi
echo
