#!/usr/bin/env python3
"""Checks that TensorBoard itself reads the event files rlvr's TensorBoardSink writes.

Runs the C++ test TensorBoardSinkTest.KnownScalarsForTheTensorBoardCheck with
RLVR_TENSORBOARD_CHECK_DIR pointing at a fresh folder, then loads that folder with
tensorboard's EventAccumulator and compares every scalar and the text summary.

Usage (from the repository root, after building core_test):
  python3 tests/core/check_tensorboard_events.py build/release/tests/core_test
Needs: pip install tensorboard
"""
import os
import subprocess
import sys
import tempfile

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    test_binary = sys.argv[1]
    logdir = tempfile.mkdtemp(prefix="rlvr_tb_check_")
    env = dict(os.environ, RLVR_TENSORBOARD_CHECK_DIR=logdir)
    subprocess.run(
        [test_binary, "--gtest_filter=TensorBoardSinkTest.KnownScalarsForTheTensorBoardCheck"],
        env=env, check=True, stdout=subprocess.DEVNULL)

    acc = EventAccumulator(logdir, size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    tags = acc.Tags()
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    expect(sorted(tags["scalars"]) == ["check/linear", "check/negative"],
           "scalar tags: %s" % tags["scalars"])
    linear = [(e.step, e.value) for e in acc.Scalars("check/linear")]
    expect(linear == [(i, 0.5 * i) for i in range(10)], "check/linear: %s" % linear)
    negative = [(e.step, e.value) for e in acc.Scalars("check/negative")]
    expect(negative == [(1000 + i, float(-i)) for i in range(5)], "check/negative: %s" % negative)
    expect("check/text" in tags["tensors"], "tensor tags: %s" % tags["tensors"])
    if "check/text" in tags["tensors"]:
        text_events = acc.Tensors("check/text")
        expect(len(text_events) == 1 and text_events[0].step == 3
               and text_events[0].tensor_proto.string_val == [b"hello tensorboard"],
               "check/text: %s" % text_events)
    # EventAccumulator parses the first record's "brain.Event:2" into the number 2.0.
    expect(acc.file_version == 2.0, "file_version: %s" % acc.file_version)

    if failures:
        print("FAILED (event files in %s):" % logdir)
        for f in failures:
            print("  " + f)
        sys.exit(1)
    print("OK: tensorboard read %d scalars and 1 text event from %s" %
          (len(linear) + len(negative), logdir))


if __name__ == "__main__":
    main()
