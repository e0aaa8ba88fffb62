#!/bin/bash
# Plants the revert of one of verify's fixes of issue 18 at a time
# (tests/plants/plant.py NAME), runs the default-size debug cross-check
# (`cargo test --test verify_cross`), records whether it failed (caught)
# and the first finding, and restores `src/` (`git checkout -- src`).
#
#   tests/plants/run.sh [NAME...]          # default: every plant
#   SEEDS="0 1 2" tests/plants/run.sh ...  # the generator's seeds (default 0)
#
# `none` plants nothing: the cross-check must pass. Results go to
# target/plants/results.txt (one line per plant and seed) and the test
# output to target/plants/NAME.SEED.log. `src/` must have no uncommitted
# changes: the script restores it with `git checkout -- src`.
set -u
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
all="none dyn_address dyn_list_const index_and_membership big_float_int year_zero strength_remember candidate_merge null_element never_prompt lemma_goal"
plants=${*:-$all}
seeds=${SEEDS:-0}
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
  nice cargo test --test verify_cross --no-run > "$out/$m.build.log" 2>&1
  for seed in $seeds; do
    log="$out/$m.$seed.log"
    start=$(date +%s)
    MFAPOL_VERIFY_SEED=$seed nice cargo test --test verify_cross > "$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    # The first finding: a panic message names its round.
    first=$(grep -m1 -oE "round [0-9]+: .*" "$log" | cut -c1-200)
    if [ "$rc" -ne 0 ] && [ -n "$first" ]; then
      verdict="caught"
    elif [ "$rc" -ne 0 ]; then
      verdict="failed otherwise (see $log)"
    else
      verdict="not caught"
    fi
    echo "$m (seed $seed): $verdict after ${secs} s: $first" | tee -a "$out/results.txt"
  done
done
git checkout -q -- src
