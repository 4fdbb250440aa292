#!/usr/bin/env bash
# Rebuilds models/default.model (and its card) from the shared datasets' train splits.
# The result is deterministic: the same data and moderato version give the same file.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/datasets/norm}
cargo build --release --quiet
target/release/moderato train \
  -i "$DATA/jigsaw_toxic.train.csv" \
  -i "$DATA/youtube_spam.train.csv" \
  -i "$DATA/sms_spam.train.csv" \
  --labels toxic,spam \
  -o models/default.model \
  --data-note "jigsaw_toxic: Wikipedia talk-page comments from the Jigsaw Toxic Comment Classification Challenge (2018), first 20,000 rows, train split; data CC0, comment text CC BY-SA 3.0." \
  --data-note "youtube_spam: YouTube comments, UCI YouTube Spam Collection (TubeSpam, Alberto et al. 2015), train split; CC BY 4.0." \
  --data-note "sms_spam: UCI SMS Spam Collection v.1 (Almeida and Gómez Hidalgo 2011), train split; CC BY 4.0." \
  --data-note "Test splits were not used. The normalised splits come from ../shared/datasets (see its README)."
