#!/bin/bash
# Plants the revert of one of verify's fixes of issue 18 at a time
# (tests/plants/plant.py NAME), runs the default-size debug cross-check
# (`cargo test --test verify_cross`), records whether it failed (caught)
# and the first finding, and restores `src/` (`git checkout -- src`).
#
#   tests/plants/run.sh [NAME...]     # default: every plant
#
# Results go to target/plants/results.txt (one line per plant) and the
# test output to target/plants/NAME.log. `src/` must have no uncommitted
# changes: the script restores it with `git checkout -- src`.
set -u
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
all="none dyn_address dyn_list_const index_and_membership big_float_int year_zero strength_remember candidate_merge null_element never_prompt"
plants=${*:-$all}
if ! git diff --quiet -- src; then
  echo "src/ has uncommitted changes; commit or stash them first" >&2
  exit 2
fi
out=target/plants
mkdir -p "$out"
for m in $plants; do
  git checkout -q -- src
  if ! python3 tests/plants/plant.py "$m"; then
    echo "$m: PLANT FAILED" | tee -a "$out/results.txt"
    continue
  fi
  nice cargo test --test verify_cross --no-run > "$out/$m.log" 2>&1
  start=$(date +%s)
  nice cargo test --test verify_cross >> "$out/$m.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  first=$(grep -m1 -E "^round [0-9]+:" "$out/$m.log" | cut -c1-200)
  if [ "$rc" -ne 0 ] && [ -n "$first" ]; then
    verdict="caught"
  elif [ "$rc" -ne 0 ]; then
    verdict="failed otherwise (see $out/$m.log)"
  else
    verdict="NOT caught"
  fi
  echo "$m: $verdict after ${secs} s: $first" | tee -a "$out/results.txt"
done
git checkout -q -- src
