// Benchmark of the Qwen2 byte-level BPE tokenizer (core/tokenizer.h) with the real Qwen2
// vocabulary, on the text fields of ../shared/data (GSM8K, MATH-500, HumanEval, MBPP): one
// thread, one text per Encode call. In the same run it starts bench/tokenizer/hf_baseline.py,
// which encodes the same texts with Hugging Face `tokenizers` (pip install tokenizers) on one
// thread (per-text encode and encode_batch), and prints one JSON object with both throughputs,
// the ratio against HF's faster mode (ours / HF, > 1 = faster) and whether every id agreed (a
// hash over all ids of both).
//
//   rlvr_bench_tokenizer [--min_seconds S] [--python python3] [--no-baseline]
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/run_command.h"
#include "core/json.h"
#include "core/tokenizer.h"

namespace rlvr {
namespace {

constexpr char kTokenizer[] = RLVR_SOURCE_DIR "/tests/core/fixtures/tokenizer/qwen2_tokenizer.json";

// The same files and fields as hf_baseline.py.
const std::vector<std::pair<std::string, std::vector<std::string>>>& Fields() {
  static const auto* fields = new std::vector<std::pair<std::string, std::vector<std::string>>>{
      {"gsm8k_test.jsonl", {"question", "answer"}},
      {"math500.jsonl", {"problem", "solution"}},
      {"humaneval.jsonl", {"prompt", "canonical_solution", "test"}},
      {"mbpp.jsonl", {"text", "code"}},
  };
  return *fields;
}

// FNV-1a over (id + 1), continued across texts: equal hashes mean equal id sequences.
uint64_t HashIds(uint64_t h, const std::vector<int32_t>& ids) {
  for (int32_t id : ids) h = (h ^ static_cast<uint64_t>(id + 1)) * 0x100000001B3ull;
  return h;
}

int Run(int argc, char** argv) {
  double min_seconds = 2.0;
  std::string python = "python3";
  bool baseline = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--min_seconds" && i + 1 < argc) {
      min_seconds = std::stod(argv[++i]);
    } else if (a == "--python" && i + 1 < argc) {
      python = argv[++i];
    } else if (a == "--no-baseline") {
      baseline = false;
    } else {
      std::fprintf(stderr, "usage: %s [--min_seconds S] [--python P] [--no-baseline]\n", argv[0]);
      return 2;
    }
  }
  absl::StatusOr<std::unique_ptr<Tokenizer>> tok = Tokenizer::FromFile(kTokenizer);
  if (!tok.ok()) {
    std::fprintf(stderr, "%s\n", tok.status().ToString().c_str());
    return 1;
  }
  std::vector<std::string> texts;
  for (const auto& [file, fields] : Fields()) {
    absl::StatusOr<std::vector<JsonValue>> records =
        ReadJsonl(std::string(RLVR_SHARED_DATA_DIR) + "/" + file);
    if (!records.ok()) {
      std::fprintf(stderr, "%s\n", records.status().ToString().c_str());
      return 1;
    }
    for (const JsonValue& r : *records) {
      for (const std::string& f : fields) {
        absl::StatusOr<std::string> text = r.GetString(f);
        if (!text.ok()) {
          std::fprintf(stderr, "%s: %s\n", file.c_str(), text.status().ToString().c_str());
          return 1;
        }
        texts.push_back(*text);
      }
    }
  }
  int64_t bytes = 0, tokens = 0;
  uint64_t hash = 0xCBF29CE484222325ull;
  for (const std::string& t : texts) {
    const std::vector<int32_t> ids = (*tok)->Encode(t, /*add_special_tokens=*/false);
    bytes += static_cast<int64_t>(t.size());
    tokens += static_cast<int64_t>(ids.size());
    hash = HashIds(hash, ids);
  }
  int64_t passes = 0, sink = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    for (const std::string& t : texts)
      sink += static_cast<int64_t>((*tok)->Encode(t, false).size());
    ++passes;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < min_seconds);
  const double ours_mbps = static_cast<double>(passes * bytes) / elapsed / 1e6;
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(hash));

  JsonValue out = JsonValue::MakeObject();
  out.Add("benchmark", JsonValue::String("qwen2_bpe_encode_one_thread"));
  out.Add("texts", JsonValue::Integer(static_cast<int64_t>(texts.size())));
  out.Add("bytes", JsonValue::Integer(bytes));
  out.Add("tokens", JsonValue::Integer(tokens));
  JsonValue ours = JsonValue::MakeObject();
  ours.Add("mb_per_s", JsonValue::Number(ours_mbps));
  ours.Add("tokens_per_s", JsonValue::Number(static_cast<double>(passes * tokens) / elapsed));
  ours.Add("passes", JsonValue::Integer(passes));
  ours.Add("seconds", JsonValue::Number(elapsed));
  ours.Add("ids_hash", JsonValue::String(hex));
  out.Add("rlvr", std::move(ours));
  if (sink != passes * tokens) {
    std::fprintf(stderr, "encoding is not deterministic across passes\n");
    return 1;
  }
  if (baseline) {
    const std::string cmd = "RAYON_NUM_THREADS=1 " + python + " " + RLVR_SOURCE_DIR +
                            "/bench/tokenizer/hf_baseline.py --tokenizer " + kTokenizer +
                            " --data " + RLVR_SHARED_DATA_DIR + " --min_seconds " +
                            std::to_string(min_seconds);
    const std::string text = RunCommandOutput(cmd);
    absl::StatusOr<JsonValue> hf = ParseJson(text);
    if (!hf.ok() || !hf->GetNumber("mb_per_s").ok()) {
      out.Add("baseline_error", JsonValue::String("hf_baseline.py gave no JSON: " + text));
    } else {
      const absl::StatusOr<std::string> hf_hash = hf->GetString("ids_hash");
      out.Add("ids_equal", JsonValue::Bool(hf_hash.ok() && *hf_hash == hex));
      out.Add("speedup_vs_hf", JsonValue::Number(ours_mbps / *hf->GetNumber("mb_per_s")));
      out.Add("hf_tokenizers", *std::move(hf));
    }
  }
  std::printf("%s\n", out.Serialize().c_str());
  return 0;
}

}  // namespace
}  // namespace rlvr

int main(int argc, char** argv) { return rlvr::Run(argc, argv); }
