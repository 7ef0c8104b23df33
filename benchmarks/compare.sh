#!/bin/sh
# compare.sh: dlcc against ONNX Runtime on the benchmark models, interleaved: ROUNDS rounds of
# (dlcc-run --bench RUNS, ort_bench.py RUNS) per model and thread count, so that both see the
# same machine load; prints the best minimum and the median of the medians over the rounds.
# Needs benchmarks/run.sh to have exported and compiled the models (BUILD/bench/NAME/NAME.so)
# and its ONNX Runtime venv.
#
# Usage: benchmarks/compare.sh [BUILD_DIR] [ROUNDS] [RUNS] [THREADS...]
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ROUNDS=${2:-5}
RUNS=${3:-20}
shift 3 2>/dev/null || shift $#
THREADS=${*:-1 2}
WORK=$BUILD/bench
ORT_PY=$WORK/ortvenv/bin/python

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| model | threads | dlcc best min / median of medians (ms) | ORT best min / median of medians (ms) | dlcc/ORT (min) | dlcc/ORT (median) |"
echo "|---|---|---|---|---|---|"
for m in resnet18 mobilenet_v2 encoder; do
  dir=$WORK/$m
  for t in $THREADS; do
    dl="" ort=""
    r=0
    while [ $r -lt "$ROUNDS" ]; do
      dl="$dl $("$BUILD/dlcc-run" "$dir/$m.so" --test-data "$dir/test_data_set_0" --bench "$RUNS" \
                --threads "$t" 2>&1 | sed -n 's/.*min \([0-9.]*\) ms.*median \([0-9.]*\) ms.*/\1:\2/p')"
      ort="$ort $("$ORT_PY" benchmarks/ort_bench.py "$dir" "$RUNS" "$t" | tr ' ' ':')"
      r=$((r + 1))
    done
    echo "$m $t $dl | $ort" | awk '
      function med(a, n,   i, j, t) {
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      }
      {
        n = 0; k = 0; side = 0; dmin = 1e9; omin = 1e9
        for (i = 3; i <= NF; i++) {
          if ($i == "|") { side = 1; continue }
          split($i, p, ":")
          if (!side) { d[++n] = p[2]; if (p[1] < dmin) dmin = p[1] }
          else { o[++k] = p[2]; if (p[1] < omin) omin = p[1] }
        }
        dm = med(d, n); om = med(o, k)
        printf "| %s | %s | %.2f / %.2f | %.2f / %.2f | %.2f | %.2f |\n", $1, $2, dmin, dm, omin, om, dmin / omin, dm / om
      }'
  done
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
