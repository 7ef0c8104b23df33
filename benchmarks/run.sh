#!/bin/sh
# run.sh: exports ResNet-18, MobileNetV2 and a BERT-style encoder with python3-torch, compiles
# them with dlcc -O3, checks them against torch (rtol 1e-3, atol 1e-4) and times dlcc against
# ONNX Runtime (PyPI, in a private venv) on the same machine, 2 threads each. Prints a markdown
# table: latency (min/median ms), the ratio dlcc/ORT, compile time and peak compiler memory.
#
# Usage: benchmarks/run.sh [BUILD_DIR] [RUNS]    (as root on a fresh machine: installs
# python3-torch/python3-torchvision with apt when missing)
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
RUNS=${2:-50}
WORK=$BUILD/bench
THREADS=2
mkdir -p "$WORK"

for p in python3-torch python3-torchvision; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null

/usr/bin/python3 benchmarks/export_models.py "$WORK" >&2

ORT_PY=""
if [ ! -x "$WORK/ortvenv/bin/python" ]; then
  python3 -m venv "$WORK/ortvenv" >&2 2>/dev/null || /usr/bin/python3 -m venv "$WORK/ortvenv" >&2 || true
fi
if [ -x "$WORK/ortvenv/bin/python" ] &&
   "$WORK/ortvenv/bin/python" -m pip install -q onnxruntime numpy onnx >&2 2>/dev/null; then
  ORT_PY="$WORK/ortvenv/bin/python"
else
  echo "note: onnxruntime could not be installed from PyPI; no peer timings" >&2
fi

echo "| model | dlcc min / median (ms) | ORT min / median (ms) | dlcc/ORT (median) | matches torch | compile (s) | compiler peak RSS (MB) |"
echo "|---|---|---|---|---|---|---|"
for m in resnet18 mobilenet_v2 encoder; do
  dir=$WORK/$m
  lib=$dir/$m.so
  /usr/bin/time -v "$BUILD/dlcc" "$dir/model.onnx" -O3 -o "$lib" 2>"$dir/compile.log" || {
    echo "| $m | compile failed: $(grep -m1 error "$dir/compile.log" || tail -1 "$dir/compile.log") | | | | | |"
    continue
  }
  ctime=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir/compile.log" |
          awk -F: '{ if (NF == 3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/compile.log" | awk '{ printf "%.0f", $1/1024 }')
  if "$BUILD/dlcc-run" "$lib" --test-data "$dir/test_data_set_0" --rtol 1e-3 --atol 1e-4 >"$dir/check.log" 2>&1; then
    match=yes
  else
    match="NO ($(grep -m1 -i 'error' "$dir/check.log" || tail -1 "$dir/check.log"))"
  fi
  dl=$("$BUILD/dlcc-run" "$lib" --test-data "$dir/test_data_set_0" --bench "$RUNS" --threads $THREADS 2>&1 |
       sed -n 's/.*min \([0-9.]*\) ms.*median \([0-9.]*\) ms.*/\1 \2/p' | tail -1)
  ort="n/a"
  ratio="n/a"
  if [ -n "$ORT_PY" ]; then
    ort=$("$ORT_PY" benchmarks/ort_bench.py "$dir" "$RUNS" $THREADS)
    ratio=$(echo "$dl $ort" | awk '{ if ($4 > 0) printf "%.2f", $2 / $4 }')
  fi
  echo "| $m | $(echo "$dl" | awk '{print $1 " / " $2}') | $(echo "$ort" | awk '{print $1 " / " $2}') | $ratio | $match | $ctime | $rss |"
done
