#!/usr/bin/env bash
# Instruction counts of the command line (callgrind, whole process), for
# docs/benchmarks.md "Instruction counts": start-up, batch per NDJSON line,
# `check` on generated policies. Counts do not depend on the machine's load.
# Usage: bench/cli/count.sh [MFAPOL_BINARY]   (default: builds
# target/profiling/mfapol). Needs valgrind (apt-get install valgrind) and
# python3. RUST_BACKTRACE is unset: with it set, counts change.
set -euo pipefail
cd "$(dirname "$0")/../.."
unset RUST_BACKTRACE
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --profile profiling --locked --quiet
  bin=target/profiling/mfapol
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# The batch input of benches/decision.rs (ndjson_batch): the three fixture
# events, compact, in turn, each with another request.ip.
python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
names = ["01-database-org-official-mock", "03-social-google-ipv6", "04-enterprise-samlp-organization"]
events = [json.load(open(f"tests/cases/events/{n}.json")) for n in names]
with open(f"{d}/batch.ndjson", "w") as f:
    for i in range(3000):
        e = json.loads(json.dumps(events[i % 3]))
        e["request"]["ip"] = f"198.51.{i % 250}.{i % 200}"
        f.write(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n")
open(f"{d}/empty.ndjson", "w").close()
# benches/common/mod.rs `generated(n)`, the same text.
def generated(n):
    p = "let office = [203.0.113.0/24, 2001:db8:10::/48]\ndefault skip mfa\n"
    for i in range(n):
        k = i % 5
        if k == 0: p += f'rule r{i}: require mfa when connection == "corp-{i}" and not ip in office\n'
        elif k == 1: p += f'rule r{i}: require mfa using "guardian" when organization in ["org-{i}", "org-{i}b"] and continent != "EU"\n'
        elif k == 2: p += f'rule r{i}: deny "blocked {i}" when country in ["KP", "IR"] and user.email ends_with "@x{i}.example"\n'
        elif k == 3: p += f'rule r{i}: skip mfa when transaction.protocol == "oauth2-refresh-token" and stats.logins_count > {i}\n'
        else: p += f'rule r{i}: require mfa when any m in authentication.methods: m.name == "mfa" and m.timestamp < now - {i % 48 + 1}h\n'
    return p
for n in (1000, 2000, 2001, 4000):
    open(f"{d}/gen{n}.mfapolicy", "w").write(generated(n))
PY

count() {
  valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$@" > /dev/null 2> "$dir/vg.txt" || true
  awk '/^summary:/ {print $2}' "$dir/cg.out"
}
policy=${POLICY:-policies/reference.mfapolicy}
start=$(count "$bin" eval --jobs 1 "$policy" "$dir/empty.ndjson")
batch=$(count "$bin" eval --jobs 1 "$policy" "$dir/batch.ndjson")
lines=$(wc -l < "$dir/batch.ndjson")
echo "binary: $bin ($("$bin" --version 2>/dev/null || echo '?')), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| figure | instructions |"
echo "|---|---:|"
echo "| CLI start-up: \`eval --jobs 1 $policy\` on empty NDJSON | $start |"
echo "| batch, per line: (3,000 lines − empty) / 3,000 | $(( (batch - start) / lines )) |"
for n in 1000 2000 2001 4000; do
  echo "| \`check\` on generated($n) | $(count "$bin" check "$dir/gen$n.mfapolicy") |"
done
