#!/usr/bin/env bash
# What each kind of obfuscation costs: the ROC AUC drop of a model on each English test split
# when every word of three letters or more (RATE, default 1.0) is rewritten by that one kind.
#
#   scripts/eval-obfuscation-kinds.sh
#   MODEL=/tmp/x.model SPLITS="davidson_hate" KINDS="leet,run" scripts/eval-obfuscation-kinds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/datasets/norm}
MODEL=${MODEL:-models/default.model}
RATE=${RATE:-1.0}
SPLITS=${SPLITS:-"jigsaw_toxic youtube_spam davidson_hate olid sms_spam stormfront_hate"}
KINDS=${KINDS:-"leet,punct,mask,run,spaced,separated,homoglyph,zero-width,combining,fullwidth,case,all"}
[ -d "$DATA" ] || { echo "eval-obfuscation-kinds: $DATA not found" >&2; exit 1; }
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
BIN=target/release/moderato
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for name in $SPLITS; do
  "$BIN" eval --json --model "$MODEL" -i "$DATA/$name.test.csv" > "$OUT/$name.clean.json"
  for kind in ${KINDS//,/ }; do
    if [ "$kind" = all ]; then k=(); else k=(--kinds "$kind"); fi
    "$BIN" obfuscate "$DATA/$name.test.csv" --rate "$RATE" --seed 1 "${k[@]}" > "$OUT/$name.$kind.csv"
    "$BIN" eval --json --model "$MODEL" -i "$OUT/$name.$kind.csv" > "$OUT/$name.$kind.json"
  done
done
python3 - "$OUT" "$RATE" "$KINDS" $SPLITS <<'PY'
import json, sys
out, rate, kinds, names = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4:]
print(f"ROC AUC drop, every word rewritten with probability {rate} by one kind")
print("| kind | " + " | ".join(names) + " | worst |")
print("|---|" + "---|" * (len(names) + 1))
for k in kinds:
    drops = []
    for n in names:
        c = json.load(open(f"{out}/{n}.clean.json"))["mean_roc_auc"]
        o = json.load(open(f"{out}/{n}.{k}.json"))["mean_roc_auc"]
        drops.append(c - o)
    print(f"| {k} | " + " | ".join(f"{d:.4f}" for d in drops) + f" | {max(drops):.4f} |")
PY
