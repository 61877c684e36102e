#!/usr/bin/env bash
# Data pipeline benchmark: augmented 224x224 samples/s from BUSI's 780 images, Cohort's loader (epoch 1 decodes
# and fills the cache, later epochs read it) next to a PyTorch DataLoader with the same transforms and 2 workers,
# in the same run. Not a test. Environment: COHORT_BENCH_VENV (default ~/.cache/cohort-bench-venv), EPOCHS (4).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cohort="$root/.build/release/cohort"
venv=${COHORT_BENCH_VENV:-$HOME/.cache/cohort-bench-venv}
epochs=${EPOCHS:-4}
busi="$root/../shared/data/busi"
[ -d "$busi" ] || { echo "bench/data.sh needs ../shared/data/busi"; exit 1; }
work=$(mktemp -d /tmp/cohort-data-bench-XXXX)
trap 'rm -rf "$work"' EXIT
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import torch, torchvision" 2>/dev/null || {
  echo "installing torch and torchvision into $venv (large download, several minutes)"
  "$venv/bin/pip" install -q torch torchvision pillow; }
c="--catalog $work/busi.sqlite"
"$cohort" import "$busi" $c --quiet --labels-from-folders pathology --mask-suffix _mask >/dev/null
"$cohort" split create all $c --task pathology --ratios 1,0 --names train,none >/dev/null 2>&1
find "$busi" -name '*.png' ! -name '*_mask*' | sort > "$work/files.txt"
echo "cohort (2 threads, disk cache):"
"$cohort" bench data $c --split all --epochs "$epochs" --batch 32 --size 224 | tee "$work/cohort.txt"
echo "pytorch DataLoader (2 workers):"
"$venv/bin/python" "$root/bench/torch_loader.py" "$work/files.txt" "$epochs" 224 32 | tee "$work/torch.txt"
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
c1=$(awk 'NR==1{print $5}' "$work/cohort.txt"); t1=$(awk 'NR==1{print $5}' "$work/torch.txt")
cn=$(awk 'NR>1{print $5}' "$work/cohort.txt" | median); tn=$(awk 'NR>1{print $5}' "$work/torch.txt" | median)
printf 'first epoch: cohort %.1f vs pytorch %.1f samples/s (%.2fx)\n' "$c1" "$t1" "$(echo "$c1 / $t1" | bc -l)"
printf 'later epochs (median): cohort %.1f vs pytorch %.1f samples/s (%.2fx)\n' "$cn" "$tn" "$(echo "$cn / $tn" | bc -l)"
