#!/usr/bin/env bash
# Rebuilds models/default.model and models/default.card.md from the shared datasets' train
# splits, as listed in models/default.json. Deterministic: the same data and moderato version
# give the same file. Run from anywhere; paths in the config are relative to the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
target/release/moderato train --config models/default.json "$@"
