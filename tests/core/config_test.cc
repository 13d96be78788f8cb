#include "core/config.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "gtest/gtest.h"
#include "rlvr/v1/config.pb.h"

namespace rlvr {
namespace {

using rlvr::v1::ExperimentConfig;
using ::testing::HasSubstr;

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

constexpr char kValid[] = R"(name: "demo"
seed: 7
model { path: "models/tiny" }
optimizer { learning_rate: 1e-3 }
reward {
  verifiers { name: "math" weight: 1 }
  verifiers { name: "format" weight: 0.1 }
}
algorithm { advantage: GRPO }
)";

TEST(Config, LoadsValidFile) {
  ExperimentConfig cfg;
  ASSERT_TRUE(LoadConfig(WriteTemp("ok.textproto", kValid), {}, &cfg).ok());
  EXPECT_EQ(cfg.name(), "demo");
  EXPECT_EQ(cfg.seed(), 7u);
  EXPECT_EQ(cfg.reward().verifiers_size(), 2);
  EXPECT_EQ(cfg.algorithm().advantage(), rlvr::v1::GRPO);
}

TEST(Config, MisspelledFieldNamesFileLineAndField) {
  const std::string path =
      WriteTemp("typo.textproto", "name: \"x\"\noptimizer {\n  lerning_rate: 1\n}\n");
  ExperimentConfig cfg;
  absl::Status st = LoadConfig(path, {}, &cfg);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("typo.textproto:3:"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("lerning_rate"));
}

TEST(Config, WrongTypeNamesFileLineAndField) {
  const std::string path = WriteTemp("type.textproto", "name: \"x\"\nseed: \"many\"\n");
  ExperimentConfig cfg;
  absl::Status st = LoadConfig(path, {}, &cfg);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("type.textproto:2:"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("seed"));
}

TEST(Config, UnknownEnumValueIsAnError) {
  const std::string path =
      WriteTemp("enum.textproto", "name: \"x\"\nalgorithm {\n  advantage: PPO\n}\n");
  ExperimentConfig cfg;
  absl::Status st = LoadConfig(path, {}, &cfg);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("enum.textproto:3:"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("PPO"));
}

TEST(Config, MissingRequiredTopLevelField) {
  ExperimentConfig cfg;
  absl::Status st = LoadConfig(WriteTemp("noname.textproto", "seed: 1\n"), {}, &cfg);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("noname.textproto"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("'name'"));
}

TEST(Config, MissingRequiredNestedFieldNamesItsBlockLine) {
  const std::string path =
      WriteTemp("nopath.textproto", "name: \"x\"\n\nmodel {\n  dtype: \"f32\"\n}\n");
  ExperimentConfig cfg;
  absl::Status st = LoadConfig(path, {}, &cfg);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("nopath.textproto:3:"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("'model.path'"));
}

TEST(Config, MissingRequiredInRepeatedElement) {
  const std::string path =
      WriteTemp("noverifier.textproto", "name: \"x\"\nreward {\n  verifiers { weight: 1 }\n}\n");
  ExperimentConfig cfg;
  absl::Status st = LoadConfig(path, {}, &cfg);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("'reward.verifiers[0].name'"));
}

TEST(Config, OverrideFixesMissingRequiredValue) {
  ExperimentConfig cfg;
  ASSERT_TRUE(
      LoadConfig(WriteTemp("noname2.textproto", "seed: 1\n"), {"name=from_cli"}, &cfg).ok());
  EXPECT_EQ(cfg.name(), "from_cli");
}

TEST(Config, SetsNestedScalarsStringsAndEnums) {
  ExperimentConfig cfg;
  ASSERT_TRUE(ParseConfigText(kValid, "inline", &cfg).ok());
  ASSERT_TRUE(ApplyOverride("optimizer.learning_rate=1e-6", &cfg).ok());
  ASSERT_TRUE(ApplyOverride("model.path=other/model", &cfg).ok());
  ASSERT_TRUE(ApplyOverride("name=\"quoted name\"", &cfg).ok());
  ASSERT_TRUE(ApplyOverride("algorithm.advantage=RLOO", &cfg).ok());
  ASSERT_TRUE(ApplyOverride("seed=0", &cfg).ok());
  EXPECT_DOUBLE_EQ(cfg.optimizer().learning_rate(), 1e-6);
  EXPECT_EQ(cfg.model().path(), "other/model");
  EXPECT_EQ(cfg.name(), "quoted name");
  EXPECT_EQ(cfg.algorithm().advantage(), rlvr::v1::RLOO);
  EXPECT_EQ(cfg.seed(), 0u);
}

TEST(Config, SetsRepeatedElementsByIndexAndAppends) {
  ExperimentConfig cfg;
  ASSERT_TRUE(ParseConfigText(kValid, "inline", &cfg).ok());
  ASSERT_TRUE(ApplyOverride("reward.verifiers[1].weight=0.5", &cfg).ok());
  EXPECT_DOUBLE_EQ(cfg.reward().verifiers(1).weight(), 0.5);
  ASSERT_TRUE(ApplyOverride("reward.verifiers[2]={name: 'countdown' weight: 2}", &cfg).ok());
  ASSERT_EQ(cfg.reward().verifiers_size(), 3);
  EXPECT_EQ(cfg.reward().verifiers(2).name(), "countdown");
  ASSERT_TRUE(ApplyOverride("reward.verifiers[0]={name: 'exact_match'}", &cfg).ok());
  EXPECT_EQ(cfg.reward().verifiers(0).name(), "exact_match");
  EXPECT_EQ(cfg.reward().verifiers(1).name(), "format");
}

TEST(Config, ReplacesWholeRepeatedFieldWithList) {
  ExperimentConfig cfg;
  ASSERT_TRUE(ApplyOverride("sampling.stop_token_ids=[5, 6, 7]", &cfg).ok());
  ASSERT_TRUE(ApplyOverride("sampling.stop_token_ids=[9]", &cfg).ok());
  ASSERT_EQ(cfg.sampling().stop_token_ids_size(), 1);
  EXPECT_EQ(cfg.sampling().stop_token_ids(0), 9);
  ASSERT_TRUE(ApplyOverride("sampling.stop_strings=[\"</answer>\", \"\\n\\n\"]", &cfg).ok());
  ASSERT_EQ(cfg.sampling().stop_strings_size(), 2);
  EXPECT_EQ(cfg.sampling().stop_strings(1), "\n\n");
  ASSERT_TRUE(ApplyOverride("sampling.stop_token_ids[0]=3", &cfg).ok());
  EXPECT_EQ(cfg.sampling().stop_token_ids(0), 3);
}

TEST(Config, SetsMapEntriesByKey) {
  ExperimentConfig cfg;
  ASSERT_TRUE(ParseConfigText(kValid, "inline", &cfg).ok());
  ASSERT_TRUE(ApplyOverride("reward.verifiers[0].options[extract]=boxed", &cfg).ok());
  ASSERT_TRUE(ApplyOverride("reward.verifiers[0].options[extract]=answer_tag", &cfg).ok());
  ASSERT_EQ(cfg.reward().verifiers(0).options().size(), 1u);
  EXPECT_EQ(cfg.reward().verifiers(0).options().at("extract"), "answer_tag");
}

TEST(Config, BadOverridesSayWhatIsWrong) {
  ExperimentConfig cfg;
  ASSERT_TRUE(ParseConfigText(kValid, "inline", &cfg).ok());
  struct Case {
    const char* assignment;
    const char* expected;
  } cases[] = {
      {"optimizer.lerning_rate=1", "no field 'lerning_rate' in rlvr.v1.OptimizerConfig"},
      {"optimizer.learning_rate=fast", "learning_rate"},
      {"seed", "expected path.to.field=value"},
      {"reward.verifiers[7].weight=1", "out of range"},
      {"reward.verifiers.weight=1", "needs an [index]"},
      {"seed.x=1", "not a message"},
      {"seed[0]=1", "not repeated"},
      {"algorithm.advantage=PPO", "PPO"},
      {"reward.verifiers[0]=[1,2]", "reward.verifiers[0]"},
  };
  for (const Case& c : cases) {
    absl::Status st = ApplyOverride(c.assignment, &cfg);
    ASSERT_FALSE(st.ok()) << c.assignment;
    EXPECT_THAT(std::string(st.message()), HasSubstr(c.expected)) << c.assignment;
    EXPECT_THAT(std::string(st.message()), HasSubstr("--set")) << c.assignment;
  }
}

TEST(Config, PrintedConfigParsesBackToTheSameMessage) {
  ExperimentConfig cfg;
  ASSERT_TRUE(ParseConfigText(kValid, "inline", &cfg).ok());
  ASSERT_TRUE(ApplyOverride("sampling.stop_strings=[\"a\\\"b\"]", &cfg).ok());
  ExperimentConfig again;
  ASSERT_TRUE(ParseConfigText(ConfigToText(cfg), "printed", &again).ok());
  EXPECT_EQ(again.SerializeAsString(), cfg.SerializeAsString());
}

TEST(Config, ParsesCommandLine) {
  const char* argv[] = {"rlvr", "--config",    "a.textproto",    "--set",
                        "x=1",  "--set=y.z=2", "--print-config", "extra"};
  absl::StatusOr<ConfigArgs> args = ParseConfigArgs(8, const_cast<char**>(argv));
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->config_path, "a.textproto");
  EXPECT_THAT(args->overrides, ::testing::ElementsAre("x=1", "y.z=2"));
  EXPECT_TRUE(args->print_config);
  EXPECT_THAT(args->rest, ::testing::ElementsAre("extra"));
  const char* bad[] = {"rlvr", "--set"};
  EXPECT_FALSE(ParseConfigArgs(2, const_cast<char**>(bad)).ok());
}

// Every file in configs/ names its message type on its first line ("# proto: rlvr.v1.X") and
// must load and validate.
TEST(Config, EveryShippedConfigLoads) {
  namespace fs = std::filesystem;
  int checked = 0;
  google::protobuf::DynamicMessageFactory factory;
  for (const auto& entry :
       fs::recursive_directory_iterator(std::string(RLVR_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".textproto") continue;
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    const std::string prefix = "# proto: ";
    ASSERT_EQ(first.rfind(prefix, 0), 0u) << entry.path() << " must start with '# proto: <type>'";
    const google::protobuf::Descriptor* d =
        google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(
            first.substr(prefix.size()));
    ASSERT_NE(d, nullptr) << entry.path() << ": unknown type " << first;
    std::unique_ptr<google::protobuf::Message> msg(factory.GetPrototype(d)->New());
    absl::Status st = LoadConfig(entry.path().string(), {}, msg.get());
    EXPECT_TRUE(st.ok()) << st;
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace rlvr
