#!/usr/bin/env bash
# Configures and builds rlvr (release preset unless RLVR_PRESET says otherwise). Arguments name
# the targets to build (default: everything).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${RLVR_PRESET:-release}"
cmake --preset "$preset" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build --preset "$preset" -j "$(nproc)" "${targets[@]}"
