#include "trainer/dataset.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <string>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(DatasetTest, LoadsFieldsNamedByTheConfig) {
  rlvr::v1::DatasetConfig c;
  c.set_path(WriteFile("ds1.jsonl",
                       "{\"q\": \"1+1?\", \"a\": 2, \"task\": \"math\", \"id\": \"x1\", "
                       "\"level\": 3, \"src\": \"s\"}\n"
                       "{\"q\": \"2+2?\", \"a\": \"4\", \"task\": \"countdown\"}\n"));
  c.set_prompt_field("q");
  c.set_ground_truth_field("a");
  c.set_verifier_field("task");
  auto ds = LoadDataset(c);
  ASSERT_TRUE(ds.ok()) << ds.status();
  ASSERT_EQ(ds->size(), 2u);
  EXPECT_EQ((*ds)[0].prompt, "1+1?");
  EXPECT_EQ((*ds)[0].ground_truth, "2");
  EXPECT_EQ((*ds)[0].verifier, "math");
  EXPECT_EQ((*ds)[0].id, "x1");
  ASSERT_EQ((*ds)[0].metadata.size(), 2u);
  EXPECT_EQ((*ds)[0].metadata[0].first, "level");
  EXPECT_EQ((*ds)[0].metadata[0].second, "3");
  EXPECT_EQ((*ds)[1].id, "ds1:1");
  EXPECT_EQ((*ds)[1].verifier, "countdown");
  EXPECT_EQ((*ds)[1].index, 1);
}

TEST(DatasetTest, MissingFieldsNameTheRecord) {
  rlvr::v1::DatasetConfig c;
  c.set_path(
      WriteFile("ds2.jsonl", "{\"prompt\": \"a\", \"answer\": \"b\"}\n{\"prompt\": \"c\"}\n"));
  auto ds = LoadDataset(c);
  ASSERT_FALSE(ds.ok());
  EXPECT_NE(ds.status().message().find("record 2"), std::string::npos) << ds.status();
  EXPECT_NE(ds.status().message().find("answer"), std::string::npos);
  c.set_path(WriteFile("ds3.jsonl", "[1, 2]\n"));
  EXPECT_FALSE(LoadDataset(c).ok());
  c.set_path(::testing::TempDir() + "/does_not_exist.jsonl");
  EXPECT_FALSE(LoadDataset(c).ok());
}

TEST(DatasetTest, MaxRecordsLimits) {
  rlvr::v1::DatasetConfig c;
  c.set_path(WriteFile("ds4.jsonl",
                       "{\"prompt\":\"a\",\"answer\":1}\n{\"prompt\":\"b\",\"answer\":2}\n"
                       "{\"prompt\":\"c\",\"answer\":3}\n"));
  c.set_max_records(2);
  auto ds = LoadDataset(c);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->size(), 2u);
}

TEST(DatasetTest, LoadsGsm8kFromSharedData) {
  rlvr::v1::DatasetConfig c;
  c.set_path(std::string(RLVR_SHARED_DATA_DIR) + "/gsm8k_test.jsonl");
  c.set_prompt_field("question");
  c.set_ground_truth_field("final");
  auto ds = LoadDataset(c);
  ASSERT_TRUE(ds.ok()) << ds.status();
  EXPECT_EQ(ds->size(), 1319u);
  EXPECT_EQ((*ds)[0].ground_truth, "18");
  EXPECT_EQ((*ds)[0].metadata[0].first, "answer");
}

TEST(PromptOrderTest, UnshuffledOrderIsSequentialAcrossEpochs) {
  PromptOrder order(3, 1, false);
  EXPECT_EQ(order.Take(7), (std::vector<int64_t>{0, 1, 2, 0, 1, 2, 0}));
  EXPECT_EQ(order.cursor(), (DataCursor{2, 1}));
}

TEST(PromptOrderTest, ShuffledEpochsArePermutationsThatDiffer) {
  PromptOrder order(50, 7, true);
  std::vector<int64_t> e0 = order.Take(50);
  std::vector<int64_t> e1 = order.Take(50);
  EXPECT_NE(e0, e1);
  std::vector<int64_t> s0 = e0, s1 = e1;
  std::sort(s0.begin(), s0.end());
  std::sort(s1.begin(), s1.end());
  for (int64_t i = 0; i < 50; ++i) {
    EXPECT_EQ(s0[i], i);
    EXPECT_EQ(s1[i], i);
  }
  std::vector<int64_t> identity(50);
  for (int64_t i = 0; i < 50; ++i) identity[i] = i;
  EXPECT_NE(e0, identity);
}

TEST(PromptOrderTest, SameSeedSameOrderDifferentSeedDifferentOrder) {
  PromptOrder a(40, 11, true), b(40, 11, true), c(40, 12, true);
  std::vector<int64_t> ta = a.Take(100);
  EXPECT_EQ(ta, b.Take(100));
  EXPECT_NE(ta, c.Take(100));
}

TEST(PromptOrderTest, SeekResumesExactly) {
  PromptOrder full(13, 5, true);
  full.Take(20);
  const DataCursor at = full.cursor();
  std::vector<int64_t> rest = full.Take(30);
  PromptOrder resumed(13, 5, true);
  ASSERT_TRUE(resumed.Seek(at).ok());
  EXPECT_EQ(resumed.Take(30), rest);
  EXPECT_FALSE(resumed.Seek(DataCursor{0, 14}).ok());
  EXPECT_FALSE(resumed.Seek(DataCursor{-1, 0}).ok());
}

}  // namespace
}  // namespace rlvr
