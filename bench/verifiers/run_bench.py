#!/usr/bin/env python3
"""Runs the math verifier benchmark against its baseline on the same pairs in the same run and
prints one combined JSON object:

    python3 bench/verifiers/run_bench.py --build build/release [--min_seconds 2]
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build/release", help="CMake build directory")
    parser.add_argument("--min_seconds", type=float, default=2.0)
    args = parser.parse_args()

    binary = os.path.join(args.build, "bin", "rlvr_bench_verifiers")
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found: build the rlvr_bench_verifiers target first")
    ours = run_json([binary, "--min_seconds", str(args.min_seconds)])
    base = run_json(
        [sys.executable, os.path.join(HERE, "math_verify_baseline.py"), "--min_seconds",
         str(args.min_seconds)]
    )
    print(
        json.dumps(
            {
                "benchmark": "math_equivalence_checks",
                "pairs": ours["pairs"],
                "rlvr": {k: ours[k] for k in ("checks_per_second", "agreement", "checks", "seconds")},
                "math_verify": {
                    k: base[k] for k in ("checks_per_second", "agreement", "checks", "seconds")
                },
                "speedup": round(ours["checks_per_second"] / base["checks_per_second"], 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
