#!/usr/bin/env bash
# Configures and builds rlvr (release preset unless RLVR_PRESET says otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${RLVR_PRESET:-release}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
