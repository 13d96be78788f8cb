#include "trainer/progress.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace rlvr {
namespace {

MetricList Sample() {
  return {{"accuracy", 0.41},
          {"response_length/mean", 123.4},
          {"reward/mean", 0.5312},
          {"rollout/tokens_per_second", 1520.2},
          {"time/step", 4.0}};
}

TEST(ProgressTest, FormatsOneLine) {
  EXPECT_EQ(FormatProgress(11, 100, Sample(), 4.0),
            "step 12/100 | reward 0.531 | acc 0.410 | len 123 | 1520 tok/s | 4.0 s/step | ETA "
            "5m52s");
  EXPECT_EQ(FormatProgress(0, 0, {}, 0), "step 1");
}

TEST(ProgressTest, Durations) {
  EXPECT_EQ(FormatDuration(45), "45s");
  EXPECT_EQ(FormatDuration(361), "6m01s");
  EXPECT_EQ(FormatDuration(3720), "1h02m");
}

std::string Capture(bool tty) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  ProgressDisplay d(f, tty, 3);
  d.Update(0, Sample());
  d.Update(1, Sample());
  d.Finish();
  std::fclose(f);
  std::string out(buf, len);
  free(buf);
  return out;
}

TEST(ProgressTest, TerminalRewritesTheLinePipesGetLines) {
  const std::string tty = Capture(true);
  EXPECT_EQ(tty.rfind("\rstep 1/3", 0), 0u);
  EXPECT_NE(tty.find("\rstep 2/3"), std::string::npos);
  EXPECT_EQ(std::count(tty.begin(), tty.end(), '\n'), 1);
  const std::string plain = Capture(false);
  EXPECT_EQ(plain.find('\r'), std::string::npos);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), '\n'), 2);
  EXPECT_EQ(plain.rfind("step 1/3", 0), 0u);
}

}  // namespace
}  // namespace rlvr
