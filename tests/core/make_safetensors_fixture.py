#!/usr/bin/env python3
"""Writes tests/core/fixtures/safetensors/{python_written.safetensors,expected.json}.

The .safetensors file is written by the Hugging Face `safetensors` library (through torch), and
expected.json lists, computed by torch, every tensor's dtype, shape, values and raw bit patterns,
plus the float32 -> bf16 / f16 roundings torch performs on awkward inputs. The C++ test
(tests/core/safetensors_test.cc) loads the file with rlvr's reader and compares.

Run from the repository root:  python3 tests/core/make_safetensors_fixture.py
"""
import json
import math
import os

import torch
from safetensors.torch import save_file

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "safetensors")


def float_list(t):
    out = []
    for v in t.double().flatten().tolist():
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        else:
            out.append(v)
    return out


def bits_list(t):
    width = {torch.float32: torch.int32, torch.bfloat16: torch.int16, torch.float16: torch.int16}
    mask = {torch.float32: 0xFFFFFFFF, torch.bfloat16: 0xFFFF, torch.float16: 0xFFFF}
    raw = t.contiguous().view(width[t.dtype]).flatten().tolist()
    return [v & mask[t.dtype] for v in raw]


def main():
    gen = torch.Generator().manual_seed(1234)
    # Values that exercise rounding: ties, subnormals, the f16 overflow edge, infinities, NaN.
    awkward = [
        0.0, -0.0, 1.0, -1.0, 1.0 / 3.0, 0.1, -2.5, 65504.0, 65519.0, 65520.0, 65536.0, 1e5,
        2.0**-24, 2.0**-25, 3 * 2.0**-26, 3 * 2.0**-25, 1e-8, 3e-5, 6.1e-5, 2.0**-14,
        1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, 1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11, 1e38, 3.4e38,
        -3.4e38, 1e-40, float("inf"), float("-inf"), float("nan"),
    ]
    conv_src = torch.cat([
        torch.tensor(awkward, dtype=torch.float32),
        torch.randn(64, generator=gen) * torch.logspace(-6, 6, 64),
    ]).to(torch.float32)

    tensors = {
        "f32": torch.randn(2, 3, generator=gen),
        "bf16": (torch.randn(4, generator=gen) * 3).to(torch.bfloat16),
        "f16": (torch.randn(2, 2, generator=gen) * 3).to(torch.float16),
        "f64": torch.randn(3, generator=gen).double(),
        "i64": torch.tensor([-(2**40), 0, 2**62], dtype=torch.int64),
        "i32": torch.tensor([[-7, 2**31 - 1], [-(2**31), 5]], dtype=torch.int32),
        "i16": torch.tensor([-300, 300], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
        "u8": torch.tensor([0, 1, 128, 255, 7], dtype=torch.uint8),
        "bool": torch.tensor([True, False, False, True]),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
        "model.layers.0.mlp.down_proj.weight": torch.randn(3, 4, generator=gen).to(torch.bfloat16),
        "conv_src": conv_src,
        "conv_bf16": conv_src.to(torch.bfloat16),
        "conv_f16": conv_src.to(torch.float16),
    }
    metadata = {"format": "pt", "note": "rlvr test fixture"}
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, "python_written.safetensors")
    save_file(tensors, path, metadata=metadata)

    dtype_names = {
        torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16",
        torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.int16: "I16",
        torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
    }
    expected = {"metadata": metadata, "tensors": {}}
    for name, t in tensors.items():
        entry = {"dtype": dtype_names[t.dtype], "shape": list(t.shape)}
        if t.is_floating_point():
            entry["values"] = float_list(t)
            if t.dtype in (torch.float32, torch.bfloat16, torch.float16):
                entry["bits"] = bits_list(t)
        else:
            entry["values"] = [int(v) for v in t.flatten().tolist()]
        expected["tensors"][name] = entry
    with open(os.path.join(OUT_DIR, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
