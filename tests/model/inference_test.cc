// Prefill + decode through the paged KV cache give the training forward's logits.
#include "model/inference.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/backend.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "tests/model/tiny_models.h"

namespace rlvr {
namespace {

using testing::ParseConfigOrDie;

constexpr float kTol = 2e-5f;  // fp32, different summation orders

Model TinyModel(const char* json, uint64_t seed) {
  Model m;
  m.config = ParseConfigOrDie(json);
  m.weights = RandomWeights(m.config, seed, 0.2f);
  // Non-zero correction biases so that they take part in the routing.
  m.weights.ForEachBuffer([&](const std::string&, Tensor& t) {
    for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = 0.01f * static_cast<float>(i % 3);
  });
  return m;
}

float MaxAbsDiff(const float* a, const float* b, int64_t n) {
  float d = 0;
  for (int64_t i = 0; i < n; ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

class CachedInference : public ::testing::TestWithParam<const char*> {};

// Two sequences: prefill prompts in one batch (the second in two chunks), then decode the rest
// one token per step for both sequences in one batch. Blocks are scattered over the pool.
TEST_P(CachedInference, PrefillAndDecodeMatchTrainingForward) {
  const Model model = TinyModel(GetParam(), 7);
  const int vocab = model.config.vocab_size;
  std::vector<int32_t> a = {1, 5, 9, 2, 33, 7, 8, 11, 3, 4, 20};
  std::vector<int32_t> b = {6, 2, 2, 17, 40, 13, 1, 0};
  for (auto& t : a) t %= vocab;
  for (auto& t : b) t %= vocab;
  PackedBatch batch;
  batch.tokens = a;
  batch.tokens.insert(batch.tokens.end(), b.begin(), b.end());
  batch.cu_seqlens = {0, static_cast<int32_t>(a.size()), static_cast<int32_t>(a.size() + b.size())};

  for (const auto& be : {MakeReferenceBackend(), MakeCpuBackend(2)}) {
    SCOPED_TRACE(be->name());
    ForwardOptions opt;
    opt.return_logits = true;
    absl::StatusOr<ForwardResult> full = Forward(model, *be, batch, opt, nullptr);
    ASSERT_TRUE(full.ok()) << full.status();
    auto expected_row = [&](int seq, int pos) {
      return full->logits.data() + (batch.cu_seqlens[seq] + pos) * static_cast<int64_t>(vocab);
    };

    absl::StatusOr<KvCachePool> pool = KvCachePool::Create(model.config, 12, 4);
    ASSERT_TRUE(pool.ok()) << pool.status();
    const KvBlockTable table_a = {9, 2, 5}, table_b = {0, 11, 3};
    std::vector<float> logits;
    // Prefill: a[0..6), b[0..3) then b[3..5) as a second chunk in the next call.
    const int prompt_a = 6;
    std::vector<SeqChunk> chunks = {{absl::MakeConstSpan(a).subspan(0, prompt_a), 0, table_a},
                                    {absl::MakeConstSpan(b).subspan(0, 3), 0, table_b}};
    ASSERT_TRUE(RunCached(model, *be, &*pool, chunks, &logits).ok());
    EXPECT_LE(MaxAbsDiff(logits.data(), expected_row(0, prompt_a - 1), vocab), kTol);
    EXPECT_LE(MaxAbsDiff(logits.data() + vocab, expected_row(1, 2), vocab), kTol);
    chunks = {{absl::MakeConstSpan(b).subspan(3, 2), 3, table_b}};
    ASSERT_TRUE(RunCached(model, *be, &*pool, chunks, &logits).ok());
    EXPECT_LE(MaxAbsDiff(logits.data(), expected_row(1, 4), vocab), kTol);
    // Decode both, one token each per step.
    for (int step = 0; step < 3; ++step) {
      const int pa = prompt_a + step, pb = 5 + step;
      chunks = {{absl::MakeConstSpan(a).subspan(pa, 1), pa, table_a},
                {absl::MakeConstSpan(b).subspan(pb, 1), pb, table_b}};
      ASSERT_TRUE(RunCached(model, *be, &*pool, chunks, &logits).ok());
      EXPECT_LE(MaxAbsDiff(logits.data(), expected_row(0, pa), vocab), kTol) << "step " << step;
      EXPECT_LE(MaxAbsDiff(logits.data() + vocab, expected_row(1, pb), vocab), kTol)
          << "step " << step;
    }
    // The logprob the rollout reports (log-softmax of these logits) is the trainer's logprob.
    std::vector<float> lp;
    LogSoftmax(absl::MakeConstSpan(logits.data(), vocab), &lp);
    const int next = a[prompt_a + 3];
    EXPECT_NEAR(lp[next], full->logprobs[prompt_a + 3], kTol);
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, CachedInference,
                         ::testing::Values(testing::kTinyMoeJson, testing::kTinySigmoidMoeJson));

// A shared prefix: copy-on-write of a partly filled block, then two sequences continue
// differently from it; each matches its own full forward.
TEST(CachedInference, CopyBlockSupportsSharedPrefixes) {
  const Model model = TinyModel(testing::kTinyMoeJson, 3);
  auto be = MakeCpuBackend(1);
  const std::vector<int32_t> prefix = {3, 1, 4, 1, 5, 9};
  absl::StatusOr<KvCachePool> pool = KvCachePool::Create(model.config, 6, 4);
  ASSERT_TRUE(pool.ok());
  std::vector<float> logits;
  const KvBlockTable shared = {4, 1};
  ASSERT_TRUE(RunCached(model, *be, &*pool, {{{prefix, 0, shared}}}, &logits).ok());
  // Sequence y shares block 4 and gets a private copy (block 2) of the half-filled block 1.
  pool->CopyBlock(1, 2);
  const KvBlockTable table_x = {4, 1}, table_y = {4, 2};
  const std::vector<int32_t> x_next = {7}, y_next = {8};
  ASSERT_TRUE(
      RunCached(model, *be, &*pool, {{{x_next, 6, table_x}, {y_next, 6, table_y}}}, &logits).ok());
  for (int which = 0; which < 2; ++which) {
    PackedBatch batch;
    batch.tokens = prefix;
    batch.tokens.push_back(which == 0 ? 7 : 8);
    batch.cu_seqlens = {0, 7};
    ForwardOptions opt;
    opt.return_logits = true;
    absl::StatusOr<ForwardResult> full = Forward(model, *be, batch, opt, nullptr);
    ASSERT_TRUE(full.ok());
    const int vocab = model.config.vocab_size;
    EXPECT_LE(MaxAbsDiff(logits.data() + which * vocab, full->logits.data() + 6 * vocab, vocab),
              kTol);
  }
}

TEST(CachedInference, RejectsBadChunksWithoutWriting) {
  const Model model = TinyModel(testing::kTinyMoeJson, 3);
  auto be = MakeReferenceBackend();
  absl::StatusOr<KvCachePool> pool = KvCachePool::Create(model.config, 4, 4);
  ASSERT_TRUE(pool.ok());
  std::vector<float> logits;
  const std::vector<int32_t> five = {1, 2, 3, 4, 5}, one = {1}, bad = {1000};
  const KvBlockTable short_table = {0}, outside = {0, 7}, ok = {0, 1};
  EXPECT_FALSE(RunCached(model, *be, &*pool, {{{five, 0, short_table}}}, &logits).ok());
  EXPECT_FALSE(RunCached(model, *be, &*pool, {{{five, 0, outside}}}, &logits).ok());
  EXPECT_FALSE(RunCached(model, *be, &*pool, {{{bad, 0, ok}}}, &logits).ok());
  EXPECT_FALSE(RunCached(model, *be, &*pool, {{{one, 0, ok}, {one, 0, ok}}}, &logits).ok());
  EXPECT_FALSE(RunCached(model, *be, &*pool, {{{{}, 0, ok}}}, &logits).ok());
  EXPECT_FALSE(KvCachePool::Create(model.config, 0, 4).ok());
  EXPECT_FALSE(KvCachePool::Create(model.config, 1 << 20, 1 << 10, 1 << 20).ok());
}

}  // namespace
}  // namespace rlvr
