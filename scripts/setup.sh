#!/usr/bin/env bash
# Installs every Debian package rlvr needs to build, test and run. Idempotent: re-running it on a
# machine that already has everything only checks and exits.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libabsl-dev libre2-dev libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas-dev libseccomp-dev clang clang-format g++ python3 libpython3-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# The Python verifier plugin example (examples/plugins/python) runs on the python3 in PATH.
python_packages() {
  if command -v python3 >/dev/null && ! python3 -c 'import grpc, grpc_tools' 2>/dev/null; then
    echo "setup: pip installing grpcio grpcio-tools for the Python plugin example"
    python3 -m pip install -q --disable-pip-version-check grpcio grpcio-tools
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  python_packages
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
python_packages
