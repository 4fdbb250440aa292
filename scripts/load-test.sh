#!/usr/bin/env bash
# Load test of `moderato serve` on loopback with wrk (Debian package `wrk`): single-comment
# Perspective requests at 1, 16 and 64 connections; requests/s, p50 and p99 latency, errors,
# and the server's resident memory before and after.
#
#   scripts/load-test.sh            (10 s per level; DURATION=30s to change)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
command -v wrk >/dev/null || { echo "load-test: wrk not found (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet
OUT=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$OUT"' EXIT
target/release/moderato serve --bind 127.0.0.1:0 2> "$OUT/server.log" &
PID=$!
for _ in $(seq 50); do grep -q "serving" "$OUT/server.log" 2>/dev/null && break; sleep 0.1; done
ADDR=$(grep -o 'http://[0-9.:]*' "$OUT/server.log")
cat > "$OUT/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"comment": {"text": "I cannot believe the council approved this, what a bunch of clueless idiots. The road has been broken for years."}, "requestedAttributes": {"TOXICITY": {}, "INSULT": {}}}'
LUA
rss() { awk '/VmRSS/ {print $2}' /proc/$PID/status; }
echo "server RSS before: $(( $(rss) / 1024 )) MB"
echo "| connections | requests/s | p50 | p99 | errors |"
echo "|---|---|---|---|---|"
for c in 1 16 64; do
  wrk -t $(( c < 2 ? 1 : 2 )) -c $c -d "$DURATION" --latency -s "$OUT/post.lua" "$ADDR/v1alpha1/comments:analyze" > "$OUT/wrk.$c" 2>&1
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.$c")
  p50=$(awk '$1=="50%" {print $2}' "$OUT/wrk.$c")
  p99=$(awk '$1=="99%" {print $2}' "$OUT/wrk.$c")
  errs=$(grep -E "Non-2xx|Socket errors" "$OUT/wrk.$c" | tr "\n" " " || true)
  echo "| $c | $rps | $p50 | $p99 | ${errs:-0} |"
done
echo "server RSS after: $(( $(rss) / 1024 )) MB"
