#!/bin/sh
# demo.sh: installs the dependencies, builds dlcc and runs it on the bundled example
# (examples/mlp.dl): canonicalize + CSE + DCE on a small graph-dialect MLP, printing each step.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
build/dlcc-opt examples/mlp.dl -passes=canonicalize,cse,dce -print-ir-after-all
