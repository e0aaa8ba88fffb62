#!/usr/bin/env bash
# Instruction counts per operation (callgrind), in one process and one run:
# mfapol, the hand-written function and the peers on the same events
# (docs/benchmarks.md, "Instruction counts"). Counts do not depend on the
# machine's load, unlike the times of run.sh.
# Usage: bench/peers/count.sh [--no-default-features --features regorus,cel] [-- --only TEXT --passes N]
# Needs valgrind (apt-get install valgrind). RUST_BACKTRACE is unset: with it
# set, std captures backtraces on errors, which changes the counts.
set -euo pipefail
cd "$(dirname "$0")"
unset RUST_BACKTRACE
features=(--no-default-features --features regorus,cel)
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --default-features) features=(); shift ;;
    --) shift; args=("$@"); break ;;
    *) echo "usage: count.sh [--default-features] [-- ARGS for mfapol-peers --count]" >&2; exit 2 ;;
  esac
done
cargo build --release --quiet "${features[@]}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" \
  --toggle-collect=mfapol_peers::count::measured --dump-after=mfapol_peers::count::measured \
  "${CARGO_TARGET_DIR:-target}/release/mfapol-peers" --count "${args[@]}" > "$dir/rows.txt" 2> "$dir/valgrind.txt" || {
  cat "$dir/valgrind.txt" >&2; exit 1; }
echo "mfapol: $(git -C ../.. rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C ../.. diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes in src/'), $(rustc -V), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| row | instructions per operation |"
echo "|---|---:|"
grep '^COUNT' "$dir/rows.txt" | while IFS=$'\t' read -r _ index ops name; do
  ir=$(awk '/^summary:/ {print $2}' "$dir/cg.out.$index")
  printf '| %s | %s |\n' "$name" "$(( (ir + ops / 2) / ops ))"
done
