#!/usr/bin/env python3
"""Baseline for rlvr_bench_verifiers: the Python math-verify package (pip install math-verify)
checking the same answer-equivalence pairs with each case's own configuration. Prints one JSON
object with its throughput and its agreement with the labels."""

import argparse
import json
import os
import time

import sympy
from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify
from math_verify.grader import sympy_expr_eq

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "..", "..", "shared", "data", "math_equivalence.jsonl")


def load_pairs(path):
    """The cases the C++ bench runs too: gold/pred comparisons, minus the questionable label."""
    pairs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["kind"] == "parse" or "LABEL QUESTIONABLE" in row["note"]:
                continue
            pairs.append(row)
    return pairs


def make_check(row):
    """Returns a zero-argument function doing the whole check for one row."""
    config = row["config"]
    if row["kind"] == "sympy":
        gold = sympy.Rational(row["gold"])
        pred = sympy.Float(row["pred"])
        return lambda: sympy_expr_eq(
            gold, pred, config["float_rounding"], config["numeric_precision"]
        )
    extraction = []
    for target in config["extraction"]:
        if target == "latex":
            priority = config.get("latex_boxed_match_priority")
            extraction.append(
                LatexExtractionConfig(boxed_match_priority=50 if priority is None else priority)
            )
        elif target == "expr":
            extraction.append(ExprExtractionConfig())
    kwargs = dict(
        float_rounding=config["float_rounding"],
        numeric_precision=config["numeric_precision"],
        strict=config["strict"],
        allow_set_relation_comp=config["allow_set_relation_comp"],
    )

    def check():
        gold = parse(row["gold"], extraction)
        pred = parse(row["pred"], extraction)
        return verify(gold, pred, **kwargs)

    return check


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--min_seconds", type=float, default=2.0)
    args = parser.parse_args()

    pairs = load_pairs(args.data)
    checks = [make_check(row) for row in pairs]
    agree = sum(bool(check()) == row["equal"] for check, row in zip(checks, pairs))
    done = 0
    start = time.perf_counter()
    while True:
        for check in checks:
            check()
        done += len(checks)
        elapsed = time.perf_counter() - start
        if elapsed >= args.min_seconds:
            break
    print(
        json.dumps(
            {
                "impl": "math-verify",
                "pairs": len(pairs),
                "agreement": round(agree / len(pairs), 4),
                "checks": done,
                "seconds": round(elapsed, 3),
                "checks_per_second": round(done / elapsed, 1),
                "threads": 1,
            }
        )
    )


if __name__ == "__main__":
    main()
