#!/usr/bin/env python3
"""Writes tests/core/fixtures/rng/expected.json: reference outputs for core/rng.h.

An independent Python implementation of the same published algorithms (SplitMix64 seeding,
xoshiro256**, and the distributions as documented in core/rng.h) produces the expected values;
tests/core/rng_test.cc checks the C++ generator against them.

Run from the repository root:  python3 tests/core/make_rng_fixture.py
"""
import json
import math
import os

MASK = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro256StarStar:
    def __init__(self, seed=None, state=None):
        if state is not None:
            self.s = list(state)
            return
        x = seed
        self.s = []
        for _ in range(4):
            x = (x + GOLDEN_GAMMA) & MASK
            self.s.append(mix64(x))

    def next_u64(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def next_u32(self):
        return self.next_u64() >> 32

    def next_double(self):
        return (self.next_u64() >> 11) * 2.0**-53

    def uniform_int(self, n):
        threshold = ((1 << 64) - n) % n
        while True:
            r = self.next_u64()
            if r >= threshold:
                return r % n

    def normal(self):
        u1 = 1.0 - self.next_double()
        u2 = self.next_double()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def shuffle(self, items):
        for i in range(len(items), 1, -1):
            j = self.uniform_int(i)
            items[i - 1], items[j] = items[j], items[i - 1]

    def fork(self, stream_id):
        seed = mix64(stream_id)
        for word in self.s:
            seed = mix64(seed ^ word)
        return Xoshiro256StarStar(seed=seed)


def hex64(v):
    return "%016x" % v


def main():
    out = {"u64": {}, "state_after_seeding": {}}
    for seed in [0, 1, 42, MASK]:
        rng = Xoshiro256StarStar(seed=seed)
        out["state_after_seeding"][str(seed)] = [hex64(w) for w in rng.s]
        out["u64"][str(seed)] = [hex64(rng.next_u64()) for _ in range(8)]

    # One generator through every method in a fixed order (the C++ test replays the order).
    rng = Xoshiro256StarStar(seed=20240601)
    mixed = {}
    mixed["u32"] = [rng.next_u32() for _ in range(5)]
    mixed["double"] = [rng.next_double() for _ in range(5)]
    bounds = [1, 2, 3, 7, 10, 1000, (1 << 63) + 1, MASK, 6]
    mixed["uniform_int_bounds"] = [str(n) for n in bounds]
    mixed["uniform_int"] = [str(rng.uniform_int(n)) for n in bounds]
    mixed["normal"] = [rng.normal() for _ in range(6)]
    items = list(range(20))
    rng.shuffle(items)
    mixed["shuffle_0_to_19"] = items
    forks = {}
    for stream in [0, 1, 2, 1 << 40]:
        child = rng.fork(stream)
        forks[str(stream)] = [hex64(child.next_u64()) for _ in range(3)]
    mixed["fork_first_u64"] = forks
    mixed["u64_after_fork"] = hex64(rng.next_u64())
    mixed["final_state"] = [hex64(w) for w in rng.s]
    out["mixed_seed_20240601"] = mixed

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "rng",
                        "expected.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
