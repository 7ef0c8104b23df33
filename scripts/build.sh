#!/bin/sh
# build.sh: configures and builds dlcc into build/ (Release with debug info, Ninja).
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
