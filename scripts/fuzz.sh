#!/usr/bin/env bash
# Fuzzes every reader, the analyzer and the model decoder for a bounded time each.
#   scripts/fuzz.sh [target ...]     (default: all targets; FUZZ_SECONDS per target, default 20)
# Needs the nightly toolchain and cargo-fuzz (installed here when missing). A crash fails the
# run and leaves the input in fuzz/artifacts/<target>/; keep it in fuzz/regressions/<target>/
# once fixed, so that `cargo test` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-20}"
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: no nightly toolchain on this machine (cargo fuzz needs one): fuzzing SKIPPED" >&2
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --version 0.13.2 --locked
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(csv jsonl text thread sniffed disqus labelled analyzer model)
fi
echo "== building fuzz targets"
cargo +nightly fuzz build -O
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  cp fuzz/seeds/"$t"/* "$work/$t"/ 2>/dev/null || true
  cp fuzz/regressions/"$t"/* "$work/$t"/ 2>/dev/null || true
  echo "== fuzz $t for ${seconds}s"
  if ! cargo +nightly fuzz run -O "$t" "$work/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    >"$work/$t.log" 2>&1; then
    grep -E -A4 "panicked|^SUMMARY|^artifact_prefix" "$work/$t.log" | grep -v '^ *[0-9]*: \|^ *at ' >&2
    echo "fuzz: target $t crashed; the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  grep -E "^(Done|stat::new_units_added)" "$work/$t.log" || true
done
echo "== fuzzing done: ${#targets[@]} targets, ${seconds}s each, no crash"
