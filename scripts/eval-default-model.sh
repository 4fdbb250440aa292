#!/usr/bin/env bash
# Judges the shipped default model on every shared test split, for the labels each split
# carries: ROC AUC beside the best trained peer, expected calibration error, and the ROC AUC
# on the same split run through `moderato obfuscate` (clean and labelled comments alike).
#
#   scripts/eval-default-model.sh               (rate 0.3: about a third of words obfuscated)
#   RATE=1.0 scripts/eval-default-model.sh      (every word of three letters or more)
#   MODEL=models/other.model scripts/eval-default-model.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/datasets/norm}
MODEL=${MODEL:-models/default.model}
RATE=${RATE:-0.3}
[ -d "$DATA" ] || { echo "eval-default-model: $DATA not found" >&2; exit 1; }
cargo build --release --quiet
BIN=target/release/moderato
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
names=(jigsaw_toxic youtube_spam davidson_hate olid sms_spam ru_toxic_2ch_pikabu stormfront_hate germeval2018)
for name in "${names[@]}"; do
  "$BIN" eval --json --model "$MODEL" -i "$DATA/$name.test.csv" > "$OUT/$name.clean.json"
  "$BIN" obfuscate "$DATA/$name.test.csv" --rate "$RATE" --seed 1 > "$OUT/$name.obf.csv"
  "$BIN" eval --json --model "$MODEL" -i "$OUT/$name.obf.csv" > "$OUT/$name.obf.json"
done
python3 - "$OUT" "$RATE" "${names[@]}" <<'PY'
import json, sys
out, rate, names = sys.argv[1], sys.argv[2], sys.argv[3:]
peers = {"jigsaw_toxic": 0.9680, "youtube_spam": 0.9956, "davidson_hate": 0.9207, "olid": 0.8012,
         "sms_spam": 0.9969, "ru_toxic_2ch_pikabu": 0.9608, "stormfront_hate": 0.8978, "germeval2018": 0.8564}
print(f"| test split | labels | default model ROC AUC | best trained peer | Δ | ECE | ROC AUC obfuscated (rate {rate}) | drop |")
print("|---|---|---|---|---|---|---|---|")
for n in names:
    c = json.load(open(f"{out}/{n}.clean.json"))
    o = json.load(open(f"{out}/{n}.obf.json"))
    labels = ", ".join(f'{m["label"]} {m["roc_auc"]:.4f}' for m in c["labels"])
    ece = ", ".join(f'{m["ece"]:.3f}' for m in c["labels"])
    auc, oauc = c["mean_roc_auc"], o["mean_roc_auc"]
    print(f"| {n} | {labels} | {auc:.4f} | {peers[n]:.4f} | {auc - peers[n]:+.4f} | {ece} | {oauc:.4f} | {auc - oauc:.4f} |")
PY
