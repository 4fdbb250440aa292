#!/usr/bin/env bash
# Speed against the scikit-learn peers, measured in the same run on this machine.
# For each dataset, with the default settings and with `--fast`: moderato's train seconds, scoring comments/s with 1 and 2 threads (raw
# text to scores, model loaded, whole test split; three processes of `moderato eval --passes 3`:
# the median of their first passes, each in a fresh process with empty caches, and the median
# of their in-process medians, each pass with empty per-run caches, which is how
# scripts/peers.py times the peers) and ROC AUC; the same for the
# tfidf_lr and tfidf_word_char_lr peers when python3 has scikit-learn (pip install
# scikit-learn); then the ratios. Also peak memory and throughput of `moderato score` on a
# large input built by repeating the test split.
#
#   scripts/bench.sh [name ...]          (default: jigsaw_toxic)
#   REPEAT=30 scripts/bench.sh            (times the test split is repeated for the big input)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/datasets/norm}
REPEAT=${REPEAT:-30}
[ -d "$DATA" ] || { echo "bench: $DATA not found" >&2; exit 1; }
cargo build --release --quiet
BIN=target/release/moderato
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(jigsaw_toxic)
lang() { case "$1" in germeval2018) echo german ;; ru_toxic_2ch_pikabu) echo russian ;; *) echo english ;; esac; }
for name in "${names[@]}"; do
  # The default settings, and `--fast` (word n-grams only: the direct scoring path).
  for variant in default fast; do
    flags=()
    [ "$variant" = fast ] && flags=(--fast)
    start=$EPOCHREALTIME
    "$BIN" train -q -i "$DATA/$name.train.csv" -o "$OUT/$name.$variant.model" --language "$(lang "$name")" "${flags[@]}"
    end=$EPOCHREALTIME
    echo "$start $end" > "$OUT/$name.$variant.train"
    for t in 1 2; do
      for r in 1 2 3; do
        "$BIN" eval --threads "$t" --passes 3 --json --model "$OUT/$name.$variant.model" -i "$DATA/$name.test.csv" > "$OUT/$name.$variant.t$t.$r.json"
      done
    done
  done
done
if python3 -c "import sklearn" 2>/dev/null; then
  python3 scripts/peers.py "$DATA" "${names[@]}" > "$OUT/peers.jsonl"
else
  echo "bench: python3 has no scikit-learn; peers skipped (pip install scikit-learn)" >&2
  : > "$OUT/peers.jsonl"
fi
python3 - "$OUT" "${names[@]}" <<'PY'
import json, statistics, sys
out, names = sys.argv[1], sys.argv[2:]
peers = {}
for line in open(f"{out}/peers.jsonl"):
    p = json.loads(line)
    peers[(p["dataset"], p["peer"])] = p
print("| dataset | system | ROC AUC | fit / train s | comments/s, 1 thread: first pass; median of 3 passes | comments/s, 2 threads |")
print("|---|---|---|---|---|---|")
for n in names:
    ours = {}
    for variant in ("default", "fast"):
        a, b = open(f"{out}/{n}.{variant}.train").read().split()
        rate, rate_in = {}, {}
        for t in (1, 2):
            runs = [json.load(open(f"{out}/{n}.{variant}.t{t}.{r}.json")) for r in (1, 2, 3)]
            rate[t] = runs[0]["rows"] / statistics.median(x["pass_seconds"][0] for x in runs)
            rate_in[t] = runs[0]["rows"] / statistics.median(statistics.median(x["pass_seconds"]) for x in runs)
        ours[variant] = (runs[0]["mean_roc_auc"], float(b) - float(a), rate, rate_in)
        system = "moderato" if variant == "default" else "moderato --fast"
        auc, train_s = ours[variant][:2]
        print(f"| {n} | {system} | {auc:.4f} | {train_s:.2f} | {rate[1]:,.0f}; {rate_in[1]:,.0f} | {rate[2]:,.0f} |")
    for peer in ("tfidf_lr", "tfidf_word_char_lr"):
        p = peers.get((n, peer))
        if p:
            print(f"| {n} | {peer} | {p['roc_auc']:.4f} | {p['fit_seconds']:.2f} | {p['comments_per_second']:,.0f} (median of 3 passes) | – |")
    for variant, (auc, train_s, rate, rate_in) in ours.items():
        system = "moderato" if variant == "default" else "moderato --fast"
        for peer in ("tfidf_lr", "tfidf_word_char_lr"):
            p = peers.get((n, peer))
            if p:
                c = p["comments_per_second"]
                print(f"\n{n}: {system} / {peer}: scoring {rate[1] / c:.1f}x (1 thread, first pass of a fresh process), "
                      f"{rate_in[1] / c:.1f}x (1 thread, median of 3 passes in one process, as the peer); "
                      f"training {p['fit_seconds'] / train_s:.1f}x faster; ROC AUC {auc - p['roc_auc']:+.4f}")
        print(f"{n}: {system}: 2 threads / 1 thread: {rate[2] / rate[1]:.2f}x (first passes), {rate_in[2] / rate_in[1]:.2f}x (medians of 3 passes)")
PY
# A large input: the first dataset's test split repeated, as JSON Lines.
name=${names[0]}
python3 - "$DATA/$name.test.csv" "$REPEAT" > "$OUT/big.jsonl" <<'PY'
import csv, json, sys
csv.field_size_limit(1 << 30)
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
for k in range(int(sys.argv[2])):
    for r in rows:
        print(json.dumps({"id": f"{r['id']}-{k}", "text": r["text"]}))
PY
size=$(du -m "$OUT/big.jsonl" | cut -f1)
if command -v /usr/bin/time >/dev/null; then
  /usr/bin/time -v "$BIN" score -q --model "$OUT/$name.default.model" "$OUT/big.jsonl" > /dev/null 2> "$OUT/time.txt" || true
  rss=$(grep "Maximum resident" "$OUT/time.txt" | awk '{print $NF}')
  wall=$(grep "Elapsed (wall" "$OUT/time.txt" | awk '{print $NF}')
  echo
  echo "big input: ${size} MB of JSON Lines ($REPEAT x $name test split); moderato score (all cores): wall $wall, peak RSS $((rss / 1024)) MB"
fi
# Distinct comments: every text of the shared splits once, as JSON Lines. Repeat detection
# meets no exact copies here, so this is where its cost shows (it must grow linearly).
python3 - "$DATA" > "$OUT/distinct.jsonl" <<'PY'
import csv, glob, json, sys
csv.field_size_limit(1 << 30)
n = 0
for path in sorted(glob.glob(f"{sys.argv[1]}/*.csv")):
    for r in csv.DictReader(open(path, encoding="utf-8", newline="")):
        print(json.dumps({"id": str(n), "text": r["text"]}))
        n += 1
PY
rows=$(wc -l < "$OUT/distinct.jsonl")
for flag in "" --no-duplicates; do
  start=$EPOCHREALTIME
  "$BIN" score -q --threads 1 $flag --model "$OUT/$name.default.model" "$OUT/distinct.jsonl" > /dev/null
  end=$EPOCHREALTIME
  python3 -c "import sys; s = float(sys.argv[2]) - float(sys.argv[1]); print(f'distinct input: {int(sys.argv[3]):,} comments, moderato score --threads 1 ${flag:-(repeat detection on)}: {s:.2f} s ({int(sys.argv[3]) / s:,.0f} comments/s)')" "$start" "$end" "$rows"
done
