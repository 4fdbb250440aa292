#!/usr/bin/env bash
# Scale of training: builds corpora of 20k to 2M rows from the shared jigsaw_toxic train split
# (rows repeated, every row past the first copy with its row number appended so that no two rows
# are the same text), trains on each under a memory limit with /usr/bin/time -v, evaluates each
# model on jigsaw_toxic.test.csv, and prints a Markdown table.
#
#   scripts/scale-training.sh                           (20k, 200k, 1M, 2M rows; limit 4G)
#   SIZES="20000 200000" LIMIT=2G scripts/scale-training.sh
#   DATA=/path/to/norm WORK=/tmp/somewhere scripts/scale-training.sh
#   MODERATO_BIN=/path/to/moderato scripts/scale-training.sh   (skip the build, use that binary)
#
# The corpora (up to ~0.9 GB for 2M rows) go to $WORK (default: a new temporary directory,
# removed at the end unless KEEP=1); nothing is written into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/datasets/norm}
SIZES=${SIZES:-"20000 200000 1000000 2000000"}
LIMIT=${LIMIT:-4G}
EXTRA=${EXTRA:-}
if [ ! -f "$DATA/jigsaw_toxic.train.csv" ]; then
  echo "scale-training: $DATA/jigsaw_toxic.train.csv not found" >&2
  exit 1
fi
if [ ! -x /usr/bin/time ]; then
  echo "scale-training: /usr/bin/time (GNU time) is needed for peak memory" >&2
  exit 1
fi
if [ -z "${MODERATO_BIN:-}" ]; then
  cargo build --release --quiet
  MODERATO_BIN=target/release/moderato
fi
if [ -n "${WORK:-}" ]; then
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d)
  [ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
fi
# A copy, so that rebuilding during a long run does not change the binary under it.
BIN="$WORK/moderato"
cp "$MODERATO_BIN" "$BIN"
rows_out="$WORK/rows.tsv"
: > "$rows_out"
for n in $SIZES; do
  corpus="$WORK/corpus-$n.csv"
  python3 - "$DATA/jigsaw_toxic.train.csv" "$corpus" "$n" <<'PY'
import csv, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, newline="", encoding="utf-8") as f:
    rows = [(r["text"], r["toxic"]) for r in csv.DictReader(f)]
with open(dst, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["id", "text", "toxic"])
    for j in range(n):
        text, toxic = rows[j % len(rows)]
        if j >= len(rows):
            text = f"{text} {j}"
        w.writerow([j, text, toxic])
PY
  model="$WORK/model-$n.model"
  log="$WORK/train-$n.log"
  # shellcheck disable=SC2086
  /usr/bin/time -v "$BIN" train -i "$corpus" -o "$model" --memory-limit "$LIMIT" $EXTRA 2> "$log"
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
    awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  if grep -q "streaming learner" "$WORK/model-$n.card.md"; then learner=streaming; else learner=exact; fi
  plan=$(grep -m1 "stored entries a row" "$log" | sed 's/^moderato: //')
  auc=$("$BIN" eval --json --model "$model" -i "$DATA/jigsaw_toxic.test.csv" |
    python3 -c 'import json, sys; print("%.4f" % json.load(sys.stdin)["mean_roc_auc"])')
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$learner" "$wall" "$rss_kb" "$auc" "$plan" >> "$rows_out"
  echo "scale-training: $n rows: $learner, $wall s, $((rss_kb / 1024)) MB peak, test ROC AUC $auc" >&2
  rm -f "$corpus"
done
echo "| rows | learner | wall s | peak RSS MB | jigsaw_toxic test ROC AUC | estimate (from the train log) |"
echo "|---|---|---|---|---|---|"
while IFS=$'\t' read -r n learner wall rss auc plan; do
  printf '| %s | %s | %.1f | %d | %s | %s |\n' "$n" "$learner" "$wall" "$((rss / 1024))" "$auc" "$plan"
done < "$rows_out"
