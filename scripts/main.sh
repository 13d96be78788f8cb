#!/usr/bin/env bash
# Sets up, builds and runs the main job: the tiny R1-Zero run (rlvr launch), to its HTML report.
#
# The run starts from the committed base model in models/tiny, made by
#   rlvr pretrain configs/pretrain_tiny.textproto
# (about 8 minutes on 2 cores); when that folder holds no model, it is made here first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Only the programs the job runs; the test suite is built by scripts/test.sh.
bash scripts/build.sh rlvr rlvr-sandbox rlvr-rollout rlvr-trainer
bin=build/"${RLVR_PRESET:-release}"/bin
if [ ! -f models/tiny/model.safetensors ]; then
  "$bin"/rlvr pretrain configs/pretrain_tiny.textproto
fi
exec "$bin"/rlvr launch configs/r1zero_tiny.textproto "$@"
