#!/usr/bin/env bash
# Decode benchmark: a mammogram-sized 16-bit image in five encodings, Cohort next to DCMTK's command-line
# decoders and pydicom (+pylibjpeg) in the same run. Prints median images/s and ratios. Not a test.
# Environment: COHORT_BENCH_VENV (default ~/.cache/cohort-bench-venv), REPEATS (default 5).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cohort="$root/.build/release/cohort"
repeats=${REPEATS:-5}
venv=${COHORT_BENCH_VENV:-$HOME/.cache/cohort-bench-venv}
work=$(mktemp -d /tmp/cohort-bench-XXXX)
trap 'rm -rf "$work"' EXIT
dpkg -s libopenjp2-tools >/dev/null 2>&1 || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo;
  $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq libopenjp2-tools >/dev/null; }
if [ ! -x "$venv/bin/python" ]; then
  echo "creating peer venv at $venv"; python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q numpy pydicom pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg pylibjpeg-rle
py="$venv/bin/python"
echo "generating a 3328x4084 12-bit mammogram in $work"
"$py" "$root/bench/make_mammogram.py" "$work/mg"
(cd "$work" && dump2dcm -q --write-xfer-little mg.dump native.dcm)
dcmcjpeg -q +el "$work/native.dcm" "$work/jpeg-lossless.dcm"
dcmcjpls -q "$work/native.dcm" "$work/jpeg-ls.dcm"
dcmcrle -q "$work/native.dcm" "$work/rle.dcm"
"$py" - "$work" <<'PY'
import sys, numpy as np
w = sys.argv[1]
a = np.fromfile(w + "/mg.raw", "<u2").reshape(4084, 3328)
with open(w + "/mg.pgm", "wb") as f:
    f.write(b"P5\n3328 4084\n4095\n"); f.write(a.astype(">u2").tobytes())
PY
opj_compress -i "$work/mg.pgm" -o "$work/mg.j2k" >/dev/null
"$py" "$root/bench/j2k_encapsulate.py" "$work/native.dcm" "$work/mg.j2k" "$work/jpeg2000.dcm"
files=(native jpeg-lossless jpeg-ls rle jpeg2000)
declare -A tool=([jpeg-lossless]=dcmdjpeg [jpeg-ls]=dcmdjpls [rle]=dcmdrle [native]=dcmconv)
median_tool() { # DCMTK command line: decode to an uncompressed file, median wall seconds
  local t=()
  for _ in $(seq "$repeats"); do
    local s=$(date +%s.%N); "$1" "$2" "$work/out.dcm" >/dev/null 2>&1 || return 1; local e=$(date +%s.%N)
    t+=("$(echo "$e - $s" | bc -l)")
  done
  printf '%s\n' "${t[@]}" | sort -g | sed -n "$(( (repeats + 1) / 2 ))p"
}
printf '%-14s %10s %10s %10s %9s %9s\n' encoding cohort/s dcmtk/s pydicom/s vs-dcmtk vs-pydicom
for f in "${files[@]}"; do
  c=$("$cohort" bench decode --repeats "$repeats" "$work/$f.dcm" | cut -f2)
  p=$("$py" "$root/bench/pydicom_decode.py" "$repeats" "$work/$f.dcm" | cut -f2)
  d=""; [ -n "${tool[$f]:-}" ] && d=$(median_tool "${tool[$f]}" "$work/$f.dcm" || echo "")
  ratio() { [ -n "$2" ] && echo "scale=2; $2 / $1" | bc -l || echo "-"; }
  printf '%-14s %10.2f %10s %10.2f %9s %9s\n' "$f" "$(echo "1/$c" | bc -l)" \
    "$([ -n "$d" ] && printf '%.2f' "$(echo "1/$d" | bc -l)" || echo -)" "$(echo "1/$p" | bc -l)" \
    "$(ratio "$c" "$d")" "$(ratio "$c" "$p")"
done
echo "(images/s are medians of $repeats; ratios are speed-ups of Cohort; dcmtk = command-line decode to a file)"
