#!/bin/sh
# install-deps.sh: installs every Debian bookworm package dlcc needs to build and test
# (as root; idempotent: does nothing when everything is already installed).
set -eu

PACKAGES="
  gcc g++ make cmake ninja-build pkg-config
  llvm-19-dev llvm-19-tools
  libisl-dev libxml2-dev
  libhalide14-0-dev
  libprotobuf-c-dev protobuf-c-compiler
  python3 python3-onnx python3-numpy
  libonnx-testdata
  valgrind
"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "install-deps: all packages are installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages:$missing (run this script as root)" >&2
  exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
