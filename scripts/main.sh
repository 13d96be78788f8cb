#!/usr/bin/env bash
# Sets up, builds and runs the main job: the tiny R1-Zero run (rlvr launch), to its HTML report.
#
# The run starts from the base model in models/tiny. When that folder holds no model, it is first
# made here with `rlvr pretrain configs/pretrain_tiny.textproto`, shortened to
# RLVR_PRETRAIN_STEPS steps (default 1500) so that the whole job stays within minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
bin=build/"${RLVR_PRESET:-release}"/bin
if [ ! -f models/tiny/config.json ]; then
  "$bin"/rlvr pretrain configs/pretrain_tiny.textproto \
    --set schedule.steps="${RLVR_PRETRAIN_STEPS:-1500}"
fi
exec "$bin"/rlvr launch configs/r1zero_tiny.textproto "$@"
