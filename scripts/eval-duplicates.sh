#!/usr/bin/env bash
# Copy-paste spam on the raw YouTube Spam Collection (5 videos, cross-posted copies included):
# scores the five files as one batch with and without repeat detection and prints how many
# comments were marked as copies, how many of those are spam, and the spam flag's precision
# and recall both ways.
set -euo pipefail
cd "$(dirname "$0")/.."
RAW=${RAW:-../shared/datasets/raw/youtube_spam}
MODEL=${MODEL:-models/default.model}
[ -d "$RAW" ] || { echo "eval-duplicates: $RAW not found" >&2; exit 1; }
cargo build --release --quiet
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
files=("$RAW"/Youtube0*.csv)
target/release/moderato score -q --model "$MODEL" --text-column CONTENT --id-column COMMENT_ID "${files[@]}" > "$OUT/with.csv"
target/release/moderato score -q --model "$MODEL" --text-column CONTENT --id-column COMMENT_ID --no-duplicates "${files[@]}" > "$OUT/without.csv"
python3 - "$OUT" "${files[@]}" <<'PY'
import csv, sys
out, files = sys.argv[1], sys.argv[2:]
truth = {}
for f in files:
    for r in csv.DictReader(open(f, encoding="utf-8", errors="replace")):
        truth[f"{f}:{r['COMMENT_ID']}"] = r["CLASS"] == "1"
def stats(path):
    rows = list(csv.DictReader(open(path)))
    flagged = {r["id"] for r in rows if "spam" in r["flags"].split(";")}
    dups = [r for r in rows if r.get("duplicate_of")]
    tp = sum(1 for i in flagged if truth[i]); pos = sum(truth.values())
    return len(rows), len(dups), sum(truth[r["id"]] for r in dups), tp / max(len(flagged), 1), tp / pos
n, d0, _, p0, r0 = stats(f"{out}/without.csv")
n, d1, ds, p1, r1 = stats(f"{out}/with.csv")
print(f"| run | comments | marked as copies | of which spam | spam flag precision | spam flag recall |")
print(f"|---|---|---|---|---|---|")
print(f"| without repeat detection | {n} | – | – | {p0:.3f} | {r0:.3f} |")
print(f"| with repeat detection | {n} | {d1} | {ds} ({ds / max(d1, 1):.1%}) | {p1:.3f} | {r1:.3f} |")
PY
