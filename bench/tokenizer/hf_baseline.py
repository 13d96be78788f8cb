#!/usr/bin/env python3
"""Hugging Face `tokenizers` on the same texts as rlvr_bench_tokenizer, on one thread: `encode`
per text and `encode_batch` over all texts; mb_per_s is the faster of the two. Prints one JSON
line.

    RAYON_NUM_THREADS=1 python3 bench/tokenizer/hf_baseline.py --tokenizer T --data DIR
"""

import argparse
import json
import os
import time

from tokenizers import Tokenizer

# The same fields as tokenizer_bench.cc (and tests/core/make_tokenizer_fixture.py).
FIELDS = {
    "gsm8k_test.jsonl": ["question", "answer"],
    "math500.jsonl": ["problem", "solution"],
    "humaneval.jsonl": ["prompt", "canonical_solution", "test"],
    "mbpp.jsonl": ["text", "code"],
}


def ids_hash(h, ids):
    for i in ids:
        h = ((h ^ (i + 1)) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--min_seconds", type=float, default=2.0)
    args = parser.parse_args()
    tok = Tokenizer.from_file(args.tokenizer)
    texts = []
    for name, fields in FIELDS.items():
        with open(os.path.join(args.data, name), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    record = json.loads(line)
                    texts.extend(record[field] for field in fields)
    nbytes = sum(len(t.encode("utf-8")) for t in texts)
    h = 0xCBF29CE484222325
    tokens = 0
    for t in texts:
        ids = tok.encode(t, add_special_tokens=False).ids
        tokens += len(ids)
        h = ids_hash(h, ids)
    def measure(encode_all):
        passes = 0
        start = time.perf_counter()
        while True:
            encode_all()
            passes += 1
            elapsed = time.perf_counter() - start
            if elapsed >= args.min_seconds:
                return passes, elapsed

    def one_by_one():
        for t in texts:
            tok.encode(t, add_special_tokens=False)

    # encode_batch runs in Rust without a Python call per text (one thread here).
    result = {"texts": len(texts), "bytes": nbytes, "tokens": tokens, "ids_hash": f"{h:016x}"}
    for name, fn in (("encode", one_by_one),
                     ("encode_batch", lambda: tok.encode_batch(texts, add_special_tokens=False))):
        passes, elapsed = measure(fn)
        result[name] = {"passes": passes, "seconds": elapsed,
                        "mb_per_s": passes * nbytes / elapsed / 1e6,
                        "tokens_per_s": passes * tokens / elapsed}
    result["mb_per_s"] = max(result["encode"]["mb_per_s"], result["encode_batch"]["mb_per_s"])
    print(json.dumps(result))

if __name__ == "__main__":
    main()
