#!/bin/sh
# demo.sh: installs the dependencies, builds dlcc, and runs the main job on the bundled example:
# generates a small CNN classifier (examples/make_cnn.py), compiles it with dlcc to a native
# library + header, checks it against the numpy reference with dlcc-run, then builds and runs a
# C program (examples/classify.c) that calls the library and prints the class probabilities.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
OUT=build/example
mkdir -p "$OUT"
/usr/bin/python3 examples/make_cnn.py "$OUT" >/dev/null
echo "== dlcc $OUT/cnn.onnx -O3 -o $OUT/cnn.so"
build/dlcc "$OUT/cnn.onnx" -O3 -o "$OUT/cnn.so"
echo "== dlcc-run: compare with the numpy reference"
build/dlcc-run "$OUT/cnn.so" --test-data "$OUT/test_data_set_0"
echo "== cc classify.c cnn.so && ./classify image.raw"
cc -O2 -I"$OUT" examples/classify.c "$OUT/cnn.so" -Wl,-rpath,"$(cd "$OUT" && pwd)" -o "$OUT/classify"
"$OUT/classify" "$OUT/image.raw"
