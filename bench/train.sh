#!/usr/bin/env bash
# Training and inference throughput: `cohort bench train` next to PyTorch (CPU, 2 threads, best of the default
# layout and channels_last) on the same models, batches and sizes, in the same run; each configuration in its own
# process so peak RSS is per configuration. Not a test. Environment: COHORT_BENCH_VENV, COHORT_BIN, STEPS (5), CONFIGS,
# REPEATS (1): rounds per configuration, each running both sides back to back; with more than one the table gives
# each side's median images/s, the ratio of the medians, the range of the rounds' own ratios and the largest RSS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cohort=${COHORT_BIN:-$root/.build/release/cohort}
venv=${COHORT_BENCH_VENV:-$HOME/.cache/cohort-bench-venv}
steps=${STEPS:-5}
threads=${THREADS:-2}
repeats=${REPEATS:-1}
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
printf "%-13s %5s %4s %-9s %12s %12s %7s %6s %10s %10s %8s %s\n" model batch size mode cohort_img/s torch_img/s ratio goal cohort_MB torch_MB GFLOP/s \
  "$([ "$repeats" -gt 1 ] && echo "round_ratios")"
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
while read -r model batch size mode goal; do
  [ -n "$model" ] || continue
  flag=$([ "$mode" = inference ] && echo --inference || true)
  cohort_rates=(); torch_rates=(); ratios=(); cohort_mb=0; torch_mb=0; gflops=()
  for _ in $(seq "$repeats"); do
    c=$("$cohort" bench train --model "$model" --batch-size "$batch" --size "$size" --steps "$steps" --threads "$threads" $flag --csv)
    best=""
    for layout in default channels_last; do
      t=$("$venv/bin/python" "$root/bench/torch_train.py" "$model" "$batch" "$size" "$mode" "$steps" "$layout" "$threads")
      if [ -z "$best" ] || awk -v a="$(echo "$t" | cut -d, -f6)" -v b="$(echo "$best" | cut -d, -f6)" 'BEGIN{exit !(a>b)}'; then best=$t; fi
    done
    ci=$(echo "$c" | cut -d, -f6); ti=$(echo "$best" | cut -d, -f6)
    cohort_rates+=("$ci"); torch_rates+=("$ti"); gflops+=("$(echo "$c" | cut -d, -f8)")
    ratios+=("$(printf '%.2f' "$(echo "$ci / $ti" | bc -l)")")
    cohort_mb=$(( $(echo "$c" | cut -d, -f7) > cohort_mb ? $(echo "$c" | cut -d, -f7) : cohort_mb ))
    torch_mb=$(( $(echo "$best" | cut -d, -f7) > torch_mb ? $(echo "$best" | cut -d, -f7) : torch_mb ))
  done
  ci=$(printf '%s\n' "${cohort_rates[@]}" | median); ti=$(printf '%s\n' "${torch_rates[@]}" | median)
  range=""
  if [ "$repeats" -gt 1 ]; then
    range="$(printf '%s\n' "${ratios[@]}" | sort -n | head -1)-$(printf '%s\n' "${ratios[@]}" | sort -n | tail -1)x"
  fi
  printf '%-13s %5s %4s %-9s %12.2f %12.2f %6.2fx %5sx %10s %10s %8s %s\n' "$model" "$batch" "$size" "$mode" "$ci" "$ti" \
    "$(echo "$ci / $ti" | bc -l)" "$goal" "$cohort_mb" "$torch_mb" "$(printf '%s\n' "${gflops[@]}" | median)" "$range"
done <<< "$configs"
