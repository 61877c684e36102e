#!/usr/bin/env bash
# Import benchmark: `cohort import` (hash, full decode, pixel digest, catalog rows; all cores) next to a
# pydicom-based indexer (hash + header without pixels + SQLite row; one process) on the shared DICOM folder
# and BUSI, in the same run. Prints median files/s and MB/s of fresh imports and the ratio. Not a test.
# Environment: COHORT_BENCH_VENV (default ~/.cache/cohort-bench-venv), REPEATS (default 3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cohort="$root/.build/release/cohort"
repeats=${REPEATS:-3}
venv=${COHORT_BENCH_VENV:-$HOME/.cache/cohort-bench-venv}
shared="$root/../shared/data"
[ -d "$shared" ] || { echo "bench/import.sh needs ../shared/data beside the checkout"; exit 1; }
work=$(mktemp -d /tmp/cohort-import-bench-XXXX)
trap 'rm -rf "$work"' EXIT
[ -x "$venv/bin/python" ] || { echo "creating peer venv at $venv"; python3 -m venv "$venv"; }
"$venv/bin/pip" install -q numpy pydicom pillow
median() { sort -g | sed -n "$(( (repeats + 1) / 2 ))p"; }
printf '%-6s %6s | %-22s | %-22s | %-22s | %s\n' data files "cohort full f/s MB/s" "cohort headers f/s MB/s" "pydicom peer f/s MB/s" "ratios (headers, full)"
run_cohort() { # seconds of a fresh import; $1 folder, $2.. extra flags
  local src=$1; shift
  rm -f "$work"/c.sqlite*
  local s=$(date +%s.%N); "$cohort" import "$src" --catalog "$work/c.sqlite" --quiet "$@" >/dev/null || [ $? -eq 3 ]
  local e=$(date +%s.%N); echo "$e - $s" | bc -l
}
for name in dicom busi; do
  src="$shared/$name"
  bytes=$(find "$src" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
  files=$(find "$src" -type f | wc -l)
  full=(); head=(); peer=()
  for i in $(seq "$repeats"); do
    full+=("$(run_cohort "$src")")
    head+=("$(run_cohort "$src" --headers-only)")
    rm -f "$work"/p.sqlite*
    s=$(date +%s.%N); "$venv/bin/python" "$root/bench/pydicom_index.py" "$src" "$work/p.sqlite" >/dev/null 2>&1; e=$(date +%s.%N)
    peer+=("$(echo "$e - $s" | bc -l)")
  done
  f=$(printf '%s\n' "${full[@]}" | median); h=$(printf '%s\n' "${head[@]}" | median); p=$(printf '%s\n' "${peer[@]}" | median)
  rate() { printf '%8.1f %8.1f' "$(echo "$files / $1" | bc -l)" "$(echo "$bytes / 1000000 / $1" | bc -l)"; }
  printf '%-6s %6d | %-22s | %-22s | %-22s | %.2fx, %.2fx\n' "$name" "$files" "$(rate "$f")" "$(rate "$h")" "$(rate "$p")" \
    "$(echo "$p / $h" | bc -l)" "$(echo "$p / $f" | bc -l)"
done
echo "(medians of $repeats fresh imports into a new catalog, wall time of the whole process on both sides; 'full' decodes every image"
echo " and digests its pixels, 'headers' reads headers like the peer; both hash every file)"
