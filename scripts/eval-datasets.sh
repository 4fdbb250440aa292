#!/usr/bin/env bash
# Quality and speed on the shared datasets: for each ../shared/datasets/norm/<name>.train.csv,
# train with default settings (plus the dataset's --language), evaluate on <name>.test.csv, and
# print a Markdown table beside the best trained peer of ../shared/benchmarks/peers.md.
#
#   scripts/eval-datasets.sh [name ...]        (default: all 8 datasets)
#   DATA=/path/to/norm scripts/eval-datasets.sh
#   EXTRA="--c 8" scripts/eval-datasets.sh     (extra train flags, for experiments)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/datasets/norm}
EXTRA=${EXTRA:-}
if [ ! -d "$DATA" ]; then
  echo "eval-datasets: $DATA not found; nothing to evaluate" >&2
  exit 1
fi
cargo build --release --quiet
BIN=target/release/moderato
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(jigsaw_toxic youtube_spam davidson_hate olid sms_spam ru_toxic_2ch_pikabu stormfront_hate germeval2018)
for name in "${names[@]}"; do
  case "$name" in
    germeval2018) lang=german ;;
    ru_toxic_2ch_pikabu) lang=russian ;;
    *) lang=english ;;
  esac
  start=$EPOCHREALTIME
  # shellcheck disable=SC2086
  "$BIN" train -q -i "$DATA/$name.train.csv" -o "$OUT/$name.model" --language "$lang" $EXTRA
  end=$EPOCHREALTIME
  echo "$start $end" > "$OUT/$name.train_seconds"
  for run in 1 2 3; do
    "$BIN" eval --threads 1 --json --model "$OUT/$name.model" -i "$DATA/$name.test.csv" > "$OUT/$name.eval.$run.json"
  done
  echo "eval-datasets: $name done" >&2
done
python3 - "$OUT" "${names[@]}" <<'PY'
import json, sys, statistics
out, names = sys.argv[1], sys.argv[2:]
# Best trained peer per dataset (mean ROC AUC), from ../shared/benchmarks/peers.md.
peers = {
    "jigsaw_toxic": ("tfidf_word_char_lr", 0.9680, 2116, 12.66),
    "youtube_spam": ("tfidf_word_char_lr", 0.9956, 12036, 0.23),
    "davidson_hate": ("tfidf_word_char_lr", 0.9207, 9632, 5.14),
    "olid": ("tfidf_word_char_lr", 0.8012, 6409, 3.69),
    "sms_spam": ("nbsvm", 0.9969, 76827, 0.13),
    "ru_toxic_2ch_pikabu": ("tfidf_word_char_lr", 0.9608, 4565, 3.90),
    "stormfront_hate": ("tfidf_word_char_lr", 0.8978, 11361, 1.25),
    "germeval2018": ("tfidf_word_char_lr", 0.8564, 6965, 2.22),
}
print("| dataset | moderato ROC AUC (per label) | best trained peer | peer ROC AUC | Δ | moderato train s | moderato comments/s (1 thread) | peer comments/s, fit s |")
print("|---|---|---|---|---|---|---|---|")
worse = 0
for n in names:
    runs = [json.load(open(f"{out}/{n}.eval.{r}.json")) for r in (1, 2, 3)]
    rep = runs[0]
    secs = statistics.median(r["scoring_seconds"] for r in runs)
    rate = rep["rows"] / secs
    a, b = open(f"{out}/{n}.train_seconds").read().split()
    train_s = float(b) - float(a)
    per = ", ".join(f'{m["label"]} {m["roc_auc"]:.4f}' for m in rep["labels"])
    auc = rep["mean_roc_auc"]
    peer = peers.get(n)
    if peer:
        d = auc - peer[1]
        worse += d < 0
        print(f"| {n} | **{auc:.4f}** ({per}) | {peer[0]} | {peer[1]:.4f} | {d:+.4f} | {train_s:.2f} | {rate:,.0f} | {peer[2]:,}/s, {peer[3]} s |")
    else:
        print(f"| {n} | **{auc:.4f}** ({per}) | – | – | – | {train_s:.2f} | {rate:,.0f} | – |")
print(f"\n{len(names) - worse} of {len(names)} datasets at or above the best trained peer.")
PY
