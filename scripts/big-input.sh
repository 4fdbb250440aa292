#!/usr/bin/env bash
# Streaming on a large input: builds a JSON Lines file of about SIZE_MB megabytes (default 1024)
# by repeating every shared test split (each copy with its own ids), also zstd-compressed, and
# scores it with the default model on all cores. Prints wall time, comments/s and peak RSS for
# a load-only run, prefixes of 50 and 250 MB and the whole file (plain and .zst), and when the
# first output row appears. Peak RSS should not grow with the input: the model, three chunks of
# comments (being written, being scored, read ahead) and the bounded per-run caches.
#
#   scripts/big-input.sh              (SIZE_MB=1024; needs /usr/bin/time and zstd)
#   SIZE_MB=256 MODEL=/tmp/jig.model scripts/big-input.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/datasets/norm}
SIZE_MB=${SIZE_MB:-1024}
MODEL=${MODEL:-models/default.model}
[ -d "$DATA" ] || { echo "big-input: $DATA not found" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "big-input: needs /usr/bin/time" >&2; exit 1; }
command -v zstd >/dev/null || { echo "big-input: needs zstd" >&2; exit 1; }
cargo build --release --quiet
BIN=target/release/moderato
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
python3 - "$DATA" "$SIZE_MB" "$OUT" <<'PY'
import csv, glob, json, os, sys
csv.field_size_limit(1 << 30)
data, size_mb, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = []
for path in sorted(glob.glob(f"{data}/*.test.csv")):
    name = os.path.basename(path).split(".")[0]
    for i, r in enumerate(csv.DictReader(open(path, encoding="utf-8", newline=""))):
        rows.append((f"{name}-{i}", r["text"]))
limits = {"50mb": 50 << 20, "250mb": 250 << 20, "big": size_mb << 20}
files = {k: open(f"{out}/{k}.jsonl", "w", encoding="utf-8") for k in limits}
sizes = dict.fromkeys(limits, 0)
full = set()
k = 0
while sizes["big"] < limits["big"]:
    for rid, text in rows:
        line = json.dumps({"id": f"{rid}-{k}", "text": text}, ensure_ascii=False) + "\n"
        n = len(line.encode())
        for key, f in files.items():
            if key != "big" and (key in full or sizes[key] + n > limits[key]):
                full.add(key)  # a prefix: nothing after the first line that does not fit
                continue
            f.write(line)
            sizes[key] += n
    k += 1
for f in files.values():
    f.close()
print(f"{len(rows)} distinct test comments, repeated {k} times: {sizes['big'] / 1e6:.0f} MB", file=sys.stderr)
PY
zstd -q -T0 -3 "$OUT/big.jsonl" -o "$OUT/big.jsonl.zst"
measure() { # label, then the score arguments
  local label=$1
  shift
  /usr/bin/time -v "$BIN" score -q --model "$MODEL" "$@" -o "$OUT/scored.csv" 2> "$OUT/time.txt"
  local rows wall rss
  rows=$(($(wc -l < "$OUT/scored.csv") - 1))
  wall=$(awk -F': ' '/Elapsed/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$OUT/time.txt")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$OUT/time.txt")
  python3 -c "import sys; r, w = int(sys.argv[2]), float(sys.argv[3]); print(f'| {sys.argv[1]} | {r:,} | {w:.2f} | {r / w if r else 0:,.0f} | {sys.argv[4]} |')" \
    "$label" "$rows" "$wall" "$rss"
}
echo "| input | rows | wall s | comments/s | peak RSS MB |"
echo "|---|---:|---:|---:|---:|"
measure "nothing (model load only)" --input-format text /dev/null
measure "50 MB prefix" "$OUT/50mb.jsonl"
measure "250 MB prefix" "$OUT/250mb.jsonl"
measure "$(du -m "$OUT/big.jsonl" | cut -f1) MB" "$OUT/big.jsonl"
measure "the same, .zst ($(du -m "$OUT/big.jsonl.zst" | cut -f1) MB)" "$OUT/big.jsonl.zst"
python3 - "$BIN" "$MODEL" "$OUT/big.jsonl.zst" <<'PY'
import subprocess, sys, time
start = time.perf_counter()
p = subprocess.Popen([sys.argv[1], "score", "-q", "--model", sys.argv[2], sys.argv[3]], stdout=subprocess.PIPE)
p.stdout.readline()
p.stdout.readline()
first = time.perf_counter() - start
rows = 1 + sum(1 for _ in p.stdout)
p.wait()
print(f"\nfirst output row after {first:.2f} s of {time.perf_counter() - start:.1f} s ({rows:,} rows, .zst input)")
PY
