#include "rollout/engine.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rollout/sampler.h"
#include "tests/rollout/fake_model.h"

namespace rlvr {
namespace {

using ::rlvr::testing::FakeModel;
using ::rlvr::testing::FakeModelShape;
using ::rlvr::testing::ReferenceLogits;

// Token i decodes to the letter 'a' + i.
class LetterDecoder : public TokenDecoder {
 public:
  std::string TokenBytes(int32_t id) const override { return std::string(1, 'a' + id); }
};

struct Collected {
  std::vector<CompletionResult> results;
  CompletionCallback Callback() {
    return [this](CompletionResult r) { results.push_back(std::move(r)); };
  }
  // Sorted by (prompt, sample) for comparison.
  std::vector<CompletionResult> Sorted() const {
    std::vector<CompletionResult> out = results;
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.prompt_index, a.sample_index) < std::tie(b.prompt_index, b.sample_index);
    });
    return out;
  }
};

// Plain generation without cache or batching: what the engine must reproduce.
CompletionResult ReferenceCompletion(const std::vector<int32_t>& prompt, int prompt_index,
                                     int sample_index, const SamplingParams& params,
                                     const std::vector<float>& bias, int max_context,
                                     const TokenDecoder* decoder) {
  CompletionResult out;
  out.prompt_index = prompt_index;
  out.sample_index = sample_index;
  std::vector<int32_t> tokens = prompt;
  const int limit = params.max_new_tokens > 0 ? params.max_new_tokens
                                              : max_context - static_cast<int>(prompt.size());
  std::vector<float> logits(bias.size());
  while (true) {
    ReferenceLogits(tokens, bias, logits.data());
    const double u =
        CounterUniform(params.seed, SampleStream(prompt_index, sample_index), out.token_ids.size());
    const SampledToken s = ReferenceSample(logits, params, u);
    tokens.push_back(s.token);
    out.token_ids.push_back(s.token);
    out.logprobs.push_back(s.logprob);
    if (decoder != nullptr) out.text += decoder->TokenBytes(s.token);
    bool stop = std::count(params.stop_token_ids.begin(), params.stop_token_ids.end(), s.token);
    for (const std::string& str : params.stop_strings) {
      stop = stop || out.text.find(str) != std::string::npos;
    }
    if (stop) {
      out.finish_reason = FinishReason::kStop;
      return out;
    }
    if (static_cast<int>(out.token_ids.size()) == limit) {
      out.finish_reason = FinishReason::kLength;
      return out;
    }
  }
}

void ExpectSameCompletion(const CompletionResult& a, const CompletionResult& b) {
  EXPECT_EQ(a.prompt_index, b.prompt_index);
  EXPECT_EQ(a.sample_index, b.sample_index);
  EXPECT_EQ(a.token_ids, b.token_ids)
      << "prompt " << a.prompt_index << " sample " << a.sample_index;
  EXPECT_EQ(a.logprobs, b.logprobs);
  EXPECT_EQ(a.finish_reason, b.finish_reason);
  EXPECT_EQ(a.text, b.text);
}

std::vector<int32_t> PromptTokens(int len, int salt, int vocab) {
  std::vector<int32_t> t(len);
  for (int i = 0; i < len; ++i) t[i] = (i * 7 + salt * 13 + 1) % vocab;
  return t;
}

GenerationRequest MakeRequest(std::vector<int> prompt_lens, int n, SamplingParams params,
                              int vocab = 24) {
  GenerationRequest r;
  for (size_t p = 0; p < prompt_lens.size(); ++p) {
    r.prompts.push_back({absl::StrCat("p", p), PromptTokens(prompt_lens[p], p, vocab)});
  }
  r.n = n;
  r.sampling = std::move(params);
  return r;
}

SamplingParams Sampled(int max_new_tokens, uint64_t seed) {
  SamplingParams p;
  p.temperature = 1.0;
  p.max_new_tokens = max_new_tokens;
  p.seed = seed;
  return p;
}

struct Harness {
  explicit Harness(EngineOptions options, FakeModelShape shape = {}) {
    auto model = std::make_unique<FakeModel>(shape);
    fake = model.get();
    engine = Engine::Create(std::move(model), options).value();
  }
  // Steps until `collected` holds `expected` results; fails the test if that never happens.
  void RunUntil(const Collected& collected, size_t expected, int max_steps = 10000) {
    for (int i = 0; i < max_steps && collected.results.size() < expected; ++i) engine->Step();
    ASSERT_EQ(collected.results.size(), expected);
  }
  FakeModel* fake = nullptr;
  std::unique_ptr<Engine> engine;
};

EngineOptions SmallPool(int blocks, int block_size = 4) {
  EngineOptions o;
  o.kv_blocks = blocks;
  o.kv_block_size = block_size;
  o.max_running_sequences = 64;
  return o;
}

TEST(EngineTest, CompletionsMatchPlainGeneration) {
  Harness h(SmallPool(256));
  SamplingParams params = Sampled(12, 42);
  params.top_k = 10;
  GenerationRequest req = MakeRequest({5, 8, 1}, 4, params);
  Collected got;
  ASSERT_TRUE(h.engine->Submit(req, got.Callback()).ok());
  h.RunUntil(got, 12);
  const auto sorted = got.Sorted();
  for (const CompletionResult& c : sorted) {
    ExpectSameCompletion(c, ReferenceCompletion(req.prompts[c.prompt_index].token_ids,
                                                c.prompt_index, c.sample_index, params,
                                                h.fake->bias(), h.engine->max_context(), nullptr));
    EXPECT_EQ(c.prompt_id, req.prompts[c.prompt_index].id);
    EXPECT_EQ(c.weight_version, 0);
  }
  EXPECT_EQ(h.engine->Stats().kv_blocks_used, 0);
}

TEST(EngineTest, SamplesOfOnePromptShareItsPrefill) {
  Harness h(SmallPool(64));
  GenerationRequest req = MakeRequest({10}, 6, Sampled(5, 1));
  Collected got;
  ASSERT_TRUE(h.engine->Submit(req, got.Callback()).ok());
  h.engine->Step();
  EXPECT_EQ(h.fake->prefill_calls, 1);
  const EngineStats stats = h.engine->Stats();
  EXPECT_EQ(stats.running_sequences, 6);
  // 10 prompt tokens in blocks of 4: two full blocks shared by all, and the partial third block
  // copied by five samples before writing position 10 (the sixth writes the original).
  EXPECT_EQ(stats.kv_blocks_used, 2 + 6);
  EXPECT_EQ(stats.kv_blocks_shared, 2);
  EXPECT_EQ(h.fake->block_copies, 5);
  h.RunUntil(got, 6);
  for (const CompletionResult& c : got.results) {
    ExpectSameCompletion(
        c, ReferenceCompletion(req.prompts[0].token_ids, 0, c.sample_index, req.sampling,
                               h.fake->bias(), h.engine->max_context(), nullptr));
  }
}

TEST(EngineTest, SameSeedSameCompletionsAloneOrBatched) {
  GenerationRequest target = MakeRequest({6, 3}, 3, Sampled(10, 7));
  target.sampling.top_p = 0.9;
  Collected alone;
  {
    Harness h(SmallPool(256));
    ASSERT_TRUE(h.engine->Submit(target, alone.Callback()).ok());
    h.RunUntil(alone, 6);
  }
  Collected batched, other1, other2;
  {
    Harness h(SmallPool(256));
    SamplingParams greedy;
    greedy.max_new_tokens = 9;
    ASSERT_TRUE(h.engine->Submit(MakeRequest({4, 9}, 2, greedy), other1.Callback()).ok());
    h.engine->Step();
    ASSERT_TRUE(h.engine->Submit(target, batched.Callback()).ok());
    ASSERT_TRUE(h.engine->Submit(MakeRequest({2}, 5, Sampled(3, 7)), other2.Callback()).ok());
    h.RunUntil(batched, 6);
    EXPECT_GT(h.fake->max_decode_batch, 6);
  }
  const auto a = alone.Sorted();
  const auto b = batched.Sorted();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ExpectSameCompletion(a[i], b[i]);
}

TEST(EngineTest, DifferentSeedsGiveDifferentSamples) {
  Collected a, b;
  Harness h(SmallPool(256));
  ASSERT_TRUE(h.engine->Submit(MakeRequest({6}, 1, Sampled(20, 1)), a.Callback()).ok());
  ASSERT_TRUE(h.engine->Submit(MakeRequest({6}, 1, Sampled(20, 2)), b.Callback()).ok());
  h.RunUntil(a, 1);
  h.RunUntil(b, 1);
  EXPECT_NE(a.results[0].token_ids, b.results[0].token_ids);
}

TEST(EngineTest, PreemptsWhenBlocksRunOutAndStillMatchesPlainGeneration) {
  // 12 blocks of 4 tokens; 8 sequences of up to 3 + 16 tokens cannot all be resident.
  Harness h(SmallPool(12));
  GenerationRequest req = MakeRequest({3, 3, 3, 3}, 2, Sampled(16, 5));
  Collected got;
  ASSERT_TRUE(h.engine->Submit(req, got.Callback()).ok());
  int max_used = 0;
  for (int i = 0; i < 10000 && got.results.size() < 8; ++i) {
    h.engine->Step();
    max_used = std::max(max_used, h.engine->Stats().kv_blocks_used);
  }
  ASSERT_EQ(got.results.size(), 8u);
  EXPECT_GT(h.engine->Stats().preemptions, 0);
  EXPECT_LE(max_used, 12);
  for (const CompletionResult& c : got.results) {
    ExpectSameCompletion(c, ReferenceCompletion(req.prompts[c.prompt_index].token_ids,
                                                c.prompt_index, c.sample_index, req.sampling,
                                                h.fake->bias(), h.engine->max_context(), nullptr));
  }
  EXPECT_EQ(h.engine->Stats().kv_blocks_used, 0);
}

TEST(EngineTest, RunningBatchNeverExceedsLimit) {
  EngineOptions o = SmallPool(256);
  o.max_running_sequences = 3;
  Harness h(o);
  Collected got;
  ASSERT_TRUE(h.engine->Submit(MakeRequest({2, 5}, 4, Sampled(6, 3)), got.Callback()).ok());
  for (int i = 0; i < 1000 && got.results.size() < 8; ++i) {
    h.engine->Step();
    EXPECT_LE(h.engine->Stats().running_sequences, 3);
  }
  EXPECT_EQ(got.results.size(), 8u);
  EXPECT_LE(h.fake->max_decode_batch, 3);
}

TEST(EngineTest, CancelFreesBlocksAndStopsCallbacks) {
  Harness h(SmallPool(64));
  Collected got, other;
  auto id = h.engine->Submit(MakeRequest({9, 9}, 4, Sampled(30, 3)), got.Callback());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(h.engine->Submit(MakeRequest({5}, 1, Sampled(30, 3)), other.Callback()).ok());
  h.engine->Step();
  h.engine->Step();
  EXPECT_GT(h.engine->Stats().kv_blocks_used, 0);
  h.engine->Cancel(*id);
  h.engine->Step();
  const EngineStats stats = h.engine->Stats();
  EXPECT_EQ(stats.running_sequences, 1);
  // Only the other request's sequence holds blocks: 5 + 3 tokens in blocks of 4.
  EXPECT_EQ(stats.kv_blocks_used, 2);
  h.RunUntil(other, 1);
  EXPECT_TRUE(got.results.empty());
  EXPECT_EQ(h.engine->Stats().kv_blocks_used, 0);
}

TEST(EngineTest, CancelOfQueuedRequest) {
  EngineOptions o = SmallPool(64);
  o.max_running_sequences = 1;
  Harness h(o);
  Collected first, second;
  ASSERT_TRUE(h.engine->Submit(MakeRequest({3}, 1, Sampled(5, 3)), first.Callback()).ok());
  auto id = h.engine->Submit(MakeRequest({3}, 3, Sampled(5, 3)), second.Callback());
  h.engine->Step();
  EXPECT_EQ(h.engine->Stats().waiting_sequences, 3);
  h.engine->Cancel(*id);
  h.RunUntil(first, 1);
  EXPECT_EQ(h.engine->Stats().waiting_sequences, 0);
  EXPECT_TRUE(second.results.empty());
}

TEST(EngineTest, StopTokenAndStopString) {
  EngineOptions o = SmallPool(64);
  LetterDecoder decoder;
  o.decoder = &decoder;
  Harness h(o);
  SamplingParams params = Sampled(40, 11);
  params.stop_token_ids = {3};
  params.stop_strings = {"fg", "b"};
  GenerationRequest req = MakeRequest({4, 7}, 8, params);
  Collected got;
  ASSERT_TRUE(h.engine->Submit(req, got.Callback()).ok());
  h.RunUntil(got, 16);
  int stopped = 0;
  for (const CompletionResult& c : got.results) {
    ExpectSameCompletion(c, ReferenceCompletion(req.prompts[c.prompt_index].token_ids,
                                                c.prompt_index, c.sample_index, params,
                                                h.fake->bias(), h.engine->max_context(), &decoder));
    if (c.finish_reason == FinishReason::kStop) ++stopped;
  }
  EXPECT_GT(stopped, 0);
}

TEST(EngineTest, GreedyIsDeterministicAcrossSamples) {
  Harness h(SmallPool(64));
  SamplingParams greedy;
  greedy.max_new_tokens = 8;
  Collected got;
  ASSERT_TRUE(h.engine->Submit(MakeRequest({5}, 3, greedy), got.Callback()).ok());
  h.RunUntil(got, 3);
  EXPECT_EQ(got.results[0].token_ids, got.results[1].token_ids);
  EXPECT_EQ(got.results[0].token_ids, got.results[2].token_ids);
}

TEST(EngineTest, ZeroMaxNewTokensFillsTheContext) {
  EngineOptions o = SmallPool(64);
  o.max_context = 20;
  Harness h(o);
  SamplingParams params = Sampled(0, 2);
  Collected got;
  ASSERT_TRUE(h.engine->Submit(MakeRequest({6}, 1, params), got.Callback()).ok());
  h.RunUntil(got, 1);
  EXPECT_EQ(got.results[0].token_ids.size(), 14u);
  EXPECT_EQ(got.results[0].finish_reason, FinishReason::kLength);
}

TEST(EngineTest, RejectsInvalidRequests) {
  EngineOptions o = SmallPool(8);
  o.max_context = 40;
  Harness h(o);
  auto expect_invalid = [&](GenerationRequest r, const std::string& fragment) {
    Collected c;
    auto id = h.engine->Submit(std::move(r), c.Callback());
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(id.status().message().find(fragment), std::string::npos) << id.status();
  };
  GenerationRequest ok = MakeRequest({3}, 1, Sampled(4, 0));
  ASSERT_TRUE(h.engine->Validate(ok).ok());
  GenerationRequest r = ok;
  r.n = 0;
  expect_invalid(r, "n (samples");
  r = ok;
  r.n = 2000000000;
  expect_invalid(r, "the limit is");
  r = ok;
  r.prompts.clear();
  expect_invalid(r, "no prompts");
  r = ok;
  r.prompts[0].token_ids.clear();
  expect_invalid(r, "is empty");
  r = ok;
  r.prompts[0].token_ids[1] = 24;
  expect_invalid(r, "outside the vocabulary");
  r = ok;
  r.prompts[0].token_ids[1] = -1;
  expect_invalid(r, "outside the vocabulary");
  r = ok;
  r.sampling.temperature = -0.5;
  expect_invalid(r, "temperature");
  r = ok;
  r.sampling.top_p = 0.0;
  expect_invalid(r, "top_p");
  r = ok;
  r.sampling.top_p = 1.5;
  expect_invalid(r, "top_p");
  r = ok;
  r.sampling.max_new_tokens = 38;
  expect_invalid(r, "exceed the context");
  r = ok;
  r.prompts[0].token_ids.assign(40, 1);
  expect_invalid(r, "at least one must be left");
  r = ok;
  r.sampling.max_new_tokens = 30;  // 33 tokens need 9 blocks of 4; the pool has 8
  expect_invalid(r, "KV blocks");
  r = ok;
  r.sampling.stop_strings = {"x"};
  expect_invalid(r, "tokenizer");
}

TEST(EngineTest, QueueLimitGivesResourceExhausted) {
  EngineOptions o = SmallPool(64);
  o.max_waiting_sequences = 5;
  Harness h(o);
  Collected a, b;
  ASSERT_TRUE(h.engine->Submit(MakeRequest({3}, 4, Sampled(3, 0)), a.Callback()).ok());
  auto refused = h.engine->Submit(MakeRequest({3}, 2, Sampled(3, 0)), b.Callback());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  h.RunUntil(a, 4);
  EXPECT_TRUE(h.engine->Submit(MakeRequest({3}, 2, Sampled(3, 0)), b.Callback()).ok());
}

WeightUpdate NewBias(int64_t version, int vocab, float shift) {
  WeightUpdate u;
  u.version = version;
  std::vector<float> bias(vocab);
  for (int i = 0; i < vocab; ++i) bias[i] = (i % 3 == 0) ? shift : -shift;
  u.params.push_back({"lm_bias", bias});
  return u;
}

TEST(EngineTest, UpdateWaitsForInFlightSequencesToFinishOnOldWeights) {
  Harness h(SmallPool(128));
  GenerationRequest first = MakeRequest({4, 6}, 3, Sampled(12, 9));
  GenerationRequest second = MakeRequest({5}, 3, Sampled(12, 9));
  Collected a, b;
  ASSERT_TRUE(h.engine->Submit(first, a.Callback()).ok());
  h.engine->Step();
  h.engine->Step();
  const std::vector<float> old_bias = h.fake->bias();
  std::optional<absl::Status> ack;
  WeightUpdate update = NewBias(3, 24, 2.0f);
  const std::vector<float> new_bias = update.params[0].values;
  h.engine->RequestWeightUpdate(std::move(update), [&](absl::Status s) { ack = s; });
  ASSERT_TRUE(h.engine->Submit(second, b.Callback()).ok());
  h.RunUntil(a, 6);
  h.RunUntil(b, 3);
  ASSERT_TRUE(ack.has_value());
  EXPECT_TRUE(ack->ok()) << *ack;
  for (const CompletionResult& c : a.results) {
    EXPECT_EQ(c.weight_version, 0);
    ExpectSameCompletion(c, ReferenceCompletion(first.prompts[c.prompt_index].token_ids,
                                                c.prompt_index, c.sample_index, first.sampling,
                                                old_bias, h.engine->max_context(), nullptr));
  }
  for (const CompletionResult& c : b.results) {
    EXPECT_EQ(c.weight_version, 3);
    ExpectSameCompletion(
        c, ReferenceCompletion(second.prompts[0].token_ids, 0, c.sample_index, second.sampling,
                               new_bias, h.engine->max_context(), nullptr));
  }
  EXPECT_EQ(h.engine->Stats().weight_version, 3);
}

TEST(EngineTest, AbortingUpdateRestartsInFlightSequencesOnNewWeights) {
  EngineOptions o = SmallPool(128);
  o.abort_in_flight_on_update = true;
  Harness h(o);
  GenerationRequest req = MakeRequest({4, 6}, 3, Sampled(12, 9));
  Collected got;
  ASSERT_TRUE(h.engine->Submit(req, got.Callback()).ok());
  h.engine->Step();
  h.engine->Step();
  std::optional<absl::Status> ack;
  WeightUpdate update = NewBias(1, 24, 1.5f);
  const std::vector<float> new_bias = update.params[0].values;
  h.engine->RequestWeightUpdate(std::move(update), [&](absl::Status s) { ack = s; });
  h.engine->Step();
  ASSERT_TRUE(ack.has_value());
  EXPECT_TRUE(ack->ok());
  h.RunUntil(got, 6);
  for (const CompletionResult& c : got.results) {
    EXPECT_EQ(c.weight_version, 1);
    ExpectSameCompletion(c, ReferenceCompletion(req.prompts[c.prompt_index].token_ids,
                                                c.prompt_index, c.sample_index, req.sampling,
                                                new_bias, h.engine->max_context(), nullptr));
  }
  EXPECT_EQ(h.engine->Stats().kv_blocks_used, 0);
}

TEST(EngineTest, UpdateMustIncreaseVersion) {
  EngineOptions o = SmallPool(16);
  o.initial_weight_version = 5;
  Harness h(o);
  std::optional<absl::Status> ack;
  h.engine->RequestWeightUpdate(NewBias(5, 24, 1.0f), [&](absl::Status s) { ack = s; });
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->code(), absl::StatusCode::kFailedPrecondition);
}

TEST(EngineTest, BackgroundLoopServesAndStopAbortsTheRest) {
  Harness h(SmallPool(64));
  absl::Mutex mu;
  std::vector<CompletionResult> results;
  auto callback = [&](CompletionResult r) {
    absl::MutexLock lock(&mu);
    results.push_back(std::move(r));
  };
  h.engine->Start();
  ASSERT_TRUE(h.engine->Submit(MakeRequest({3, 4}, 2, Sampled(5, 1)), callback).ok());
  {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(
        +[](std::vector<CompletionResult>* r) { return r->size() == 4; }, &results));
  }
  h.engine->Stop();
  EXPECT_EQ(h.engine->Stats().kv_blocks_used, 0);
  Collected late;
  auto refused = h.engine->Submit(MakeRequest({3}, 1, Sampled(5, 1)), late.Callback());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
}

TEST(EngineTest, StopReturnsUnfinishedWorkAsAborted) {
  Harness h(SmallPool(64));
  Collected got;
  ASSERT_TRUE(h.engine->Submit(MakeRequest({3}, 2, Sampled(50, 1)), got.Callback()).ok());
  h.engine->Step();
  h.engine->Step();
  h.engine->Stop();
  ASSERT_EQ(got.results.size(), 2u);
  for (const CompletionResult& c : got.results) {
    EXPECT_EQ(c.finish_reason, FinishReason::kAborted);
    // Two steps: the prefill's token and two decoded ones.
    EXPECT_EQ(c.token_ids.size(), 3u);
    EXPECT_EQ(c.logprobs.size(), 3u);
  }
}

}  // namespace
}  // namespace rlvr

namespace rlvr {
namespace {

TEST(EngineCreateTest, RejectsBadOptions) {
  auto create = [](EngineOptions o) {
    return Engine::Create(std::make_unique<testing::FakeModel>(), o).status();
  };
  EngineOptions o = SmallPool(16);
  EXPECT_TRUE(create(o).ok());
  o.kv_blocks = 0;
  EXPECT_NE(create(o).message().find("kv_blocks"), std::string::npos);
  o = SmallPool(16);
  o.kv_block_size = -4;
  EXPECT_NE(create(o).message().find("kv_block_size"), std::string::npos);
  o = SmallPool(16);
  o.max_running_sequences = 0;
  EXPECT_NE(create(o).message().find("max_running_sequences"), std::string::npos);
  o = SmallPool(16);
  o.max_waiting_sequences = -1;
  EXPECT_NE(create(o).message().find("max_waiting_sequences"), std::string::npos);
  o = SmallPool(16);
  o.max_context = 1000;  // the fake model has 128 positions
  EXPECT_NE(create(o).message().find("max_context"), std::string::npos);
  EXPECT_EQ(Engine::Create(nullptr, SmallPool(16)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rlvr
