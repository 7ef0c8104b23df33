#!/bin/sh
# layers.sh: single-layer benchmarks (benchmarks/layers.py: 512^3 and 1024^3 MatMul, ResNet-18
# and MobileNetV2 convolutions with bias and Relu, depthwise included): compiles each with
# dlcc -O3, checks it against numpy (rtol 1e-3, atol 1e-4), times it with dlcc-run --bench on
# 1 and 2 threads, and prints a markdown table with GFLOP/s (2 flops per multiply-add) and the
# fraction of the FMA peak: PEAK_GFLOPS per core (default: measured by benchmarks/fma_peak.c,
# or 2 FMA units x 16 lanes x 2 flops x the nominal clock when no compiler is found).
#
# Usage: benchmarks/layers.sh [BUILD_DIR] [RUNS]
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
RUNS=${2:-20}
WORK=$BUILD/bench-layers
mkdir -p "$WORK"

/usr/bin/python3 benchmarks/layers.py "$WORK" >"$WORK/list.txt"
if [ -z "${PEAK_GFLOPS:-}" ]; then
  if cc -O2 -mavx512f -mfma benchmarks/fma_peak.c -o "$WORK/fma_peak" 2>/dev/null; then
    PEAK_GFLOPS=$("$WORK/fma_peak" | awk '{print $1}')
  else
    mhz=$(awk -F: '/cpu MHz/ {print $2; exit}' /proc/cpuinfo)
    PEAK_GFLOPS=$(echo "$mhz" | awk '{printf "%.1f", $1 * 64 / 1000}')
  fi
fi
echo "FMA peak: $PEAK_GFLOPS GFLOP/s per core (load: $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| layer | GFLOP | matches | 1 thread min / median (ms) | GFLOP/s | % peak | 2 threads min / median (ms) | GFLOP/s | % peak |"
echo "|---|---|---|---|---|---|---|---|---|"
while read -r name flops; do
  dir=$WORK/$name
  "$BUILD/dlcc" "$dir/model.onnx" -O3 -o "$dir/$name.so" 2>"$dir/compile.log" || {
    echo "| $name | compile failed | | | | | | | |"
    continue
  }
  if "$BUILD/dlcc-run" "$dir/$name.so" --test-data "$dir/test_data_set_0" --rtol 1e-3 \
       --atol 1e-4 >"$dir/check.log" 2>&1; then
    match=yes
  else
    match=NO
  fi
  row="| $name | $(echo "$flops" | awk '{printf "%.3f", $1 / 1e9}') | $match"
  for t in 1 2; do
    ms=$("$BUILD/dlcc-run" "$dir/$name.so" --test-data "$dir/test_data_set_0" --bench "$RUNS" \
           --threads $t 2>&1 | sed -n 's/.*min \([0-9.]*\) ms.*median \([0-9.]*\) ms.*/\1 \2/p')
    row="$row | $(echo "$ms" | awk '{print $1 " / " $2}')"
    row="$row | $(echo "$ms $flops $PEAK_GFLOPS $t" |
                  awk '{g = $3 / ($1 / 1e3) / 1e9; printf "%.1f | %.0f%%", g, 100 * g / ($4 * $5)}')"
  done
  echo "$row |"
done <"$WORK/list.txt"
