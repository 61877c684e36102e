#!/usr/bin/env bash
# Metrics benchmark: AUC on 1e7 scores, and AUC with a DeLong CI plus a 1,000-resample stratified bootstrap on
# 1e6 scores, Cohort next to scikit-learn (bootstrap by resampling + roc_auc_score) in the same run. Not a test.
# Environment: COHORT_BENCH_VENV, REPEATS (default 1; the scikit-learn bootstrap takes minutes), RESAMPLES (1000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cohort="$root/.build/release/cohort"
venv=${COHORT_BENCH_VENV:-$HOME/.cache/cohort-bench-venv}
repeats=${REPEATS:-1}; resamples=${RESAMPLES:-1000}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q numpy scikit-learn
work=$(mktemp -d /tmp/cohort-metrics-bench-XXXX); trap 'rm -rf "$work"' EXIT
"$cohort" bench metrics --auc-samples 10000000 --ci-samples 1000000 --resamples "$resamples" --repeats "$repeats" | tee "$work/c.txt"
"$venv/bin/python" "$root/bench/sklearn_metrics.py" 10000000 1000000 "$resamples" "$repeats" | tee "$work/p.txt"
for task in auc ci; do
  c=$(awk -v t=$task '$1==t{print $3}' "$work/c.txt"); p=$(awk -v t=$task '$1==t{print $3}' "$work/p.txt")
  printf '%-4s cohort %.3f s, scikit-learn %.3f s: %.1fx\n' "$task" "$c" "$p" "$(echo "$p / $c" | bc -l)"
done
echo "(cohort's ci line includes a DeLong interval as well as the bootstrap; scikit-learn has no DeLong)"
