#!/usr/bin/env bash
# End-to-end scoring: DICOM files on disk to a CSV of probabilities with mammo-cnn at 256x256, `cohort score`
# next to a pydicom + PyTorch script (DataLoader with 2 workers) doing the same work, in the same run. The files are
# synthetic mammograms (`cohort synth`, mixed transfer syntaxes and MONOCHROME1/2); the checkpoint comes from one
# quick training epoch (speed does not depend on the weights). Not a test. Environment: COHORT_BENCH_VENV,
# PATIENTS (60), SIZE (1024x832: rows x columns of the files), REPEATS (3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cohort="$root/.build/release/cohort"
venv=${COHORT_BENCH_VENV:-$HOME/.cache/cohort-bench-venv}
patients=${PATIENTS:-60}; size=${SIZE:-1024x832}; repeats=${REPEATS:-3}
work=$(mktemp -d /tmp/cohort-score-bench-XXXX)
trap 'rm -rf "$work"' EXIT
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import torch, pydicom, pylibjpeg, safetensors" 2>/dev/null || {
  echo "installing torch, pydicom, pylibjpeg and safetensors into $venv (large download)"
  "$venv/bin/pip" install -q torch numpy pydicom pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg pylibjpeg-rle safetensors; }
"$cohort" synth "$work/studies" --patients "$patients" --size "$size" --quiet
c="--catalog $work/c.sqlite"
"$cohort" import "$work/studies" $c --quiet >/dev/null
"$cohort" labels import "$work/studies/labels.csv" --task finding --value-column finding --path-column path $c >/dev/null
"$cohort" split create s --task finding --ratios 0.5,0.5 --names train,validation $c >/dev/null
printf 'data:\n  size: [256, 256]\n  resize: stretch\n  intensity: voi\n  channels: 1\n' > "$work/e.yaml"
"$cohort" train $c --config "$work/e.yaml" --split s --model mammo-cnn --epochs 1 --batch-size 32 --name m --out "$work/m" --quiet >/dev/null
files=$(find "$work/studies" -name '*.dcm' | wc -l)
echo "$files DICOM files of $size, mammo-cnn 256x256, batch 32"
time_of() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ct=""; tt=""
for _ in $(seq "$repeats"); do
  ct="$ct $(time_of "$cohort" score "$work/studies" --model "$work/m/best.safetensors" --out "$work/cohort.csv" --batch-size 32 --quiet)"
  tt="$tt $(time_of "$venv/bin/python" "$root/bench/torch_score.py" "$work/studies" "$work/m/best.safetensors" "$work/torch.csv" 256)"
done
cm=$(echo $ct | tr ' ' '\n' | median); tm=$(echo $tt | tr ' ' '\n' | median)
[ "$(tail -n +2 "$work/torch.csv" | wc -l)" -eq "$files" ] || { echo "the PyTorch script did not score every file"; exit 1; }
printf 'cohort score:       %.2f s  (%.1f files/s)\n' "$cm" "$(echo "$files / $cm" | bc -l)"
printf 'pydicom + PyTorch:  %.2f s  (%.1f files/s)\n' "$tm" "$(echo "$files / $tm" | bc -l)"
printf 'ratio: %.2fx (goal 2x)\n' "$(echo "$tm / $cm" | bc -l)"
