#include "trainer/rollout_client.h"

#include <cstring>
#include <set>

#include "core/checksum.h"
#include "gtest/gtest.h"
#include "tests/trainer/fakes.h"

namespace rlvr {
namespace {

TEST(ChunkWeightsTest, SplitsTensorsAndCarriesChecksums) {
  std::vector<float> a = {1, 2, 3, 4, 5};
  std::vector<float> b = {};
  std::vector<WeightTensorView> views = {{"a", {5}, a}, {"b", {0}, b}};
  auto chunks = ChunkWeights(7, views, 8);
  ASSERT_EQ(chunks.size(), 4u);  // 8 + 8 + 4 bytes of a, one empty chunk of b
  EXPECT_EQ(chunks[0].offset(), 0);
  EXPECT_EQ(chunks[1].offset(), 8);
  EXPECT_EQ(chunks[2].data().size(), 4u);
  EXPECT_EQ(chunks[0].total_bytes(), 20);
  EXPECT_EQ(chunks[0].dtype(), "F32");
  EXPECT_EQ(chunks[0].shape_size(), 1);
  std::string joined;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(chunks[i].version(), 7);
    EXPECT_EQ(chunks[i].tensor_name(), "a");
    joined += chunks[i].data();
  }
  EXPECT_EQ(std::memcmp(joined.data(), a.data(), 20), 0);
  EXPECT_EQ(chunks[0].checksum(), Crc32c(joined));
  EXPECT_EQ(chunks[3].tensor_name(), "b");
  EXPECT_EQ(chunks[3].total_bytes(), 0);
}

rlvr::v1::GenerateRequest Request(int prompts, int n) {
  rlvr::v1::GenerateRequest r;
  r.set_n(n);
  r.mutable_sampling()->set_temperature(1);
  for (int i = 0; i < prompts; ++i) r.add_prompts()->set_id(absl::StrFormat("p%d", i));
  return r;
}

TEST(RolloutFleetTest, SpreadsPromptsAndReturnsEachSampleOnce) {
  std::vector<std::unique_ptr<RolloutWorker>> ws;
  std::vector<testing::FakeRolloutWorker*> raw;
  for (int i = 0; i < 3; ++i) {
    auto w = std::make_unique<testing::FakeRolloutWorker>(absl::StrFormat("w%d", i), 2);
    raw.push_back(w.get());
    ws.push_back(std::move(w));
  }
  RolloutFleet fleet(std::move(ws));
  auto out = fleet.Generate(Request(7, 3));
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 21u);
  std::set<std::pair<std::string, int>> seen;
  for (size_t i = 0; i < out->size(); ++i) {
    EXPECT_EQ((*out)[i].prompt_id(), absl::StrFormat("p%d", i / 3));
    EXPECT_EQ((*out)[i].sample_index(), static_cast<int>(i % 3));
    seen.insert({(*out)[i].prompt_id(), (*out)[i].sample_index()});
  }
  EXPECT_EQ(seen.size(), 21u);
  // Every worker got whole groups: 3, 2 and 2 prompts.
  EXPECT_EQ(raw[0]->samples_served(), 9);
  EXPECT_EQ(raw[1]->samples_served(), 6);
  EXPECT_EQ(raw[2]->samples_served(), 6);
}

TEST(RolloutFleetTest, FailedWorkerPromptsGoElsewhere) {
  std::vector<std::unique_ptr<RolloutWorker>> ws;
  ws.push_back(std::make_unique<testing::FakeRolloutWorker>("ok", 2));
  ws.push_back(std::make_unique<testing::FakeRolloutWorker>("dead", 2, /*fail_from_call=*/1));
  RolloutFleet fleet(std::move(ws));
  auto out = fleet.Generate(Request(5, 2));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), 10u);
  EXPECT_EQ(fleet.stats().live_workers, 1);
  EXPECT_EQ(fleet.stats().redispatched_prompts, 2);
  // The weight push goes only to the live worker and succeeds.
  std::vector<float> l(testing::kVocab, 0.5f);
  std::vector<WeightTensorView> v = {{"logits", {testing::kVocab}, l}};
  EXPECT_TRUE(fleet.PushWeights(1, v).ok());
}

TEST(RolloutFleetTest, NoLiveWorkerIsUnavailable) {
  std::vector<std::unique_ptr<RolloutWorker>> ws;
  ws.push_back(std::make_unique<testing::FakeRolloutWorker>("dead", 2, 1));
  RolloutFleet fleet(std::move(ws));
  auto out = fleet.Generate(Request(2, 2));
  EXPECT_TRUE(absl::IsUnavailable(out.status())) << out.status();
  std::vector<float> l(testing::kVocab, 0.5f);
  std::vector<WeightTensorView> v = {{"logits", {testing::kVocab}, l}};
  EXPECT_FALSE(fleet.PushWeights(1, v).ok());
}

}  // namespace
}  // namespace rlvr
