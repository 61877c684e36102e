#!/usr/bin/env bash
# Training and inference throughput: `cohort bench train` next to PyTorch (CPU, 2 threads, best of the default
# layout and channels_last) on the same models, batches and sizes, in the same run; each configuration in its own
# process so peak RSS is per configuration. Not a test. Environment: COHORT_BENCH_VENV, COHORT_BIN, STEPS (5), CONFIGS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cohort=${COHORT_BIN:-$root/.build/release/cohort}
venv=${COHORT_BENCH_VENV:-$HOME/.cache/cohort-bench-venv}
steps=${STEPS:-5}
threads=${THREADS:-2}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import torch, torchvision" 2>/dev/null || {
  echo "installing torch and torchvision into $venv (large download, several minutes)"
  "$venv/bin/pip" install -q torch torchvision; }
# model batch size mode goal
configs=${CONFIGS:-"simple-cnn 8 224 train 2.0
mammo-cnn 32 256 train 1.5
resnet18 8 224 train 1.4
resnet18 32 224 train 1.15
mobilenet-v2 8 224 train 2.0
resnet18 32 224 inference 1.2
unet 8 256 train 1.5"}
printf "%-13s %5s %4s %-9s %12s %12s %7s %6s %10s %10s %8s\n" model batch size mode cohort_img/s torch_img/s ratio goal cohort_MB torch_MB GFLOP/s
while read -r model batch size mode goal; do
  [ -n "$model" ] || continue
  flag=$([ "$mode" = inference ] && echo --inference || true)
  c=$("$cohort" bench train --model "$model" --batch-size "$batch" --size "$size" --steps "$steps" --threads "$threads" $flag --csv)
  best=""
  for layout in default channels_last; do
    t=$("$venv/bin/python" "$root/bench/torch_train.py" "$model" "$batch" "$size" "$mode" "$steps" "$layout" "$threads")
    if [ -z "$best" ] || awk -v a="$(echo "$t" | cut -d, -f6)" -v b="$(echo "$best" | cut -d, -f6)" 'BEGIN{exit !(a>b)}'; then best=$t; fi
  done
  ci=$(echo "$c" | cut -d, -f6); ti=$(echo "$best" | cut -d, -f6)
  printf '%-13s %5s %4s %-9s %12.2f %12.2f %6.2fx %5sx %10s %10s %8s\n' "$model" "$batch" "$size" "$mode" "$ci" "$ti" \
    "$(echo "$ci / $ti" | bc -l)" "$goal" "$(echo "$c" | cut -d, -f7)" "$(echo "$best" | cut -d, -f7)" "$(echo "$c" | cut -d, -f8)"
done <<< "$configs"
