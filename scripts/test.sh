#!/bin/sh
# test.sh: installs the dependencies, builds dlcc, runs the whole CTest suite, then rebuilds
# with AddressSanitizer + UndefinedBehaviorSanitizer and reruns the tests labelled 'sanitize'.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build -j2 --output-on-failure
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DDLCC_SANITIZE=ON
cmake --build build-asan
ctest --test-dir build-asan -j2 -L sanitize --output-on-failure
