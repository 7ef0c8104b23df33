#!/bin/sh
# import_memory.sh: peak memory of importing a ~100 MB model: exports torchvision ResNet-50
# (random weights, fixed seed, opset 17) with python3-torch, then reports the file size and the
# peak RSS of `dlcc resnet50.onnx -emit=graph -o /dev/null` (import + graph passes + printing)
# measured with /usr/bin/time -v.
#
# Usage: benchmarks/import_memory.sh [BUILD_DIR]    (installs python3-torch, python3-torchvision
# and time with apt when missing; needs root for that)
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
WORK=$BUILD/bench
mkdir -p "$WORK"

for p in python3-torch python3-torchvision time; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
done

MODEL=$WORK/resnet50.onnx
if [ ! -s "$MODEL" ]; then
  /usr/bin/python3 - "$MODEL" <<'EOF'
import sys

import torch
import torchvision

torch.manual_seed(0)
model = torchvision.models.resnet50(weights=None).eval()
x = torch.randn(1, 3, 224, 224)
torch.onnx.export(model, x, sys.argv[1], opset_version=17, input_names=["input"],
                  output_names=["logits"])
EOF
fi

bytes=$(stat -c %s "$MODEL")
log=$WORK/import_memory.log
/usr/bin/time -v "$BUILD/dlcc" "$MODEL" -emit=graph -o /dev/null 2> "$log" || {
  cat "$log" >&2
  exit 1
}
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
secs=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")
awk -v b="$bytes" -v r="$rss_kb" -v t="$secs" 'BEGIN {
  printf "model:    resnet50.onnx, %.1f MB\n", b / 1e6
  printf "peak RSS: %.1f MB (%.2fx the file size)\n", r * 1024 / 1e6, r * 1024 / b
  printf "time:     %s (dlcc -emit=graph -o /dev/null)\n", t
}'
