#!/usr/bin/env bash
# Runs the whole peer comparison (docs/benchmarks.md, section "Peers"):
#   1. the default build (mfapol, hand-written, cedar, regorus, CEL), which has
#      serde_json's `preserve_order` on because cedar-policy enables it;
#   2. a build without cedar, where serde_json has no `preserve_order`, for the
#      mfapol, hand-written, regorus and CEL rows.
# Each run first checks that every engine agrees with mfapol on every event
# variant and exits non-zero (before timing) if one does not.
# Usage: bench/peers/run.sh [--samples N] [--sample-ms MS]
# Results are also written to bench/peers/target/results/.
set -euo pipefail
cd "$(dirname "$0")"
out=target/results
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

{
  echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(rustc -V)"
  echo "mfapol: $(git -C ../.. rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C ../.. diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes in src/')"
  echo "Date: $(date -u +%Y-%m-%dT%H:%MZ)"
} | tee "$out/$stamp-machine.txt"

echo
echo "== build 1: default features (cedar, regorus, cel) =="
cargo build --release --quiet
cargo tree -e features -i serde_json 2>/dev/null | grep -q 'serde_json feature "preserve_order"' \
  && echo "serde_json preserve_order: on (enabled by $(cargo tree -e features -i serde_json 2>/dev/null | grep -A1 'serde_json feature "preserve_order"$' | tail -1 | sed 's/[│├└─ ]*//'))"
./target/release/mfapol-peers "$@" | tee "$out/$stamp-default.md"

echo
echo "== build 2: --no-default-features --features regorus,cel (no cedar, no preserve_order) =="
cargo build --release --quiet --no-default-features --features regorus,cel
if cargo tree -e features -i serde_json --no-default-features --features regorus,cel 2>/dev/null | grep -q preserve_order; then
  echo "serde_json preserve_order: still on in build 2" >&2
  exit 1
fi
./target/release/mfapol-peers "$@" | tee "$out/$stamp-no-cedar.md"
echo
echo "Results: bench/peers/$out/$stamp-*.{txt,md}"
