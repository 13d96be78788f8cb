#include "tools/report.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "core/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rlvr {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A small run: three steps, nested and flat metrics, an eval every other step, traces at the
// first and last step (one of them hostile HTML).
constexpr char kMetrics[] =
    R"({"step":0,"reward":{"mean":0.1,"std":0.3},"format_rate":0.5,"response_length/mean":40,"kl":0,"entropy":1.5,"time/rollout":2,"time/train":1,"eval/accuracy":0.2,"traces":[{"prompt":"12+34","response":"<think>\n12+34</think> <answer>46</answer>","reward":1,"ground_truth":"46"}]}
{"step":5,"reward":{"mean":0.5,"std":0.4},"format_rate":0.8,"response_length/mean":60,"kl":0.01,"entropy":1.2,"time/rollout":2.5,"time/train":1.1}
{"step":10,"reward":{"mean":0.9,"std":0.2},"format_rate":1,"response_length/mean":80,"kl":0.02,"entropy":0.9,"time/rollout":3,"time/train":1.2,"eval/accuracy":0.7,"traces":[{"prompt":"<script>alert('x')</script> & </pre>","response":"a < b && c > \"d\"","reward":0}]}
)";

std::vector<JsonValue> Records() {
  std::vector<JsonValue> out;
  std::string text = kMetrics;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
    absl::StatusOr<JsonValue> v = ParseJson(text.substr(start, nl - start));
    EXPECT_TRUE(v.ok()) << v.status();
    out.push_back(*v);
  }
  return out;
}

TEST(Report, CollectsFlattenedSeriesAndTheFirstAndLastTraces) {
  absl::StatusOr<RunMetrics> m = CollectRunMetrics(Records());
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->series.count("reward/mean"), 1u);
  EXPECT_EQ(m->series.at("reward/mean").points,
            (std::vector<std::pair<double, double>>{{0, 0.1}, {5, 0.5}, {10, 0.9}}));
  EXPECT_EQ(m->series.at("eval/accuracy").points,
            (std::vector<std::pair<double, double>>{{0, 0.2}, {10, 0.7}}));
  ASSERT_EQ(m->first_traces.size(), 1u);
  EXPECT_EQ(m->first_traces[0].ground_truth, "46");
  EXPECT_EQ(m->first_traces[0].reward, "1");
  ASSERT_EQ(m->last_traces.size(), 1u);
  EXPECT_EQ(m->last_traces[0].step, 10);
}

TEST(Report, RecordWithoutStepIsAnErrorNamingIt) {
  std::vector<JsonValue> records = Records();
  records.push_back(*ParseJson(R"({"reward":1})"));
  absl::StatusOr<RunMetrics> m = CollectRunMetrics(records);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("record 4"));
}

TEST(Report, ChartMapsStepsAndValuesOntoThePlot) {
  MetricSeries s{"acc", {{0, 0}, {10, 1}}};
  const std::string svg = RenderLineChartSvg("Accuracy", {s});
  // Plot box: x from 60 to 584 (600 wide, margins 60 and 16), y from 228 (value 0) up to 28
  // (value 1).
  EXPECT_THAT(svg, HasSubstr("points=\"60.0,228.0 584.0,28.0\""));
  EXPECT_THAT(svg, HasSubstr("<title>Accuracy</title>"));
  EXPECT_TRUE(absl::StartsWith(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_TRUE(absl::EndsWith(svg, "</svg>"));
}

TEST(Report, ChartWithoutDataSaysSo) {
  const std::string svg = RenderLineChartSvg("KL", {});
  EXPECT_THAT(svg, HasSubstr("no data"));
  EXPECT_THAT(svg, Not(HasSubstr("<polyline")));
}

TEST(Report, ChartOfSeveralSeriesHasALegend) {
  const std::string svg =
      RenderLineChartSvg("Seconds", {{"time/a", {{0, 1}, {1, 2}}}, {"time/b", {{0, 3}, {1, 1}}}});
  EXPECT_THAT(svg, HasSubstr("class=\"legend\">time/a<"));
  EXPECT_THAT(svg, HasSubstr("class=\"legend\">time/b<"));
}

TEST(Report, PageIsSelfContainedWithAllChartsTableAndEscapedTraces) {
  absl::StatusOr<RunMetrics> m = CollectRunMetrics(Records());
  ASSERT_TRUE(m.ok());
  ReportOptions options;
  options.title = "run <1>";
  const std::string html = RenderReportHtml(*m, options);
  EXPECT_TRUE(absl::StartsWith(html, "<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<title>run &lt;1&gt;</title>"));
  // Eight named charts plus the phase times, each an inline <svg>.
  size_t svgs = 0;
  for (size_t at = 0; (at = html.find("<svg ", at)) != std::string::npos; ++at) ++svgs;
  EXPECT_EQ(svgs, 9u);
  for (const char* title :
       {"Training reward", "Held-out accuracy", "Format rate", "Response length (tokens)",
        "Held-out format rate", "Held-out response length (tokens)", "KL to the reference",
        "Entropy", "Seconds per phase"}) {
    EXPECT_THAT(html, HasSubstr(std::string("<title>") + title + "</title>")) << title;
  }
  // Nothing is fetched and nothing runs.
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  // Before/after: first and last value, with the step in parentheses, and the change.
  EXPECT_THAT(html,
              HasSubstr("<td>reward/mean</td><td>0.1 (0)</td><td>0.9 (10)</td><td>+0.8</td>"));
  EXPECT_THAT(
      html, HasSubstr("<td>response_length/mean</td><td>40 (0)</td><td>80 (10)</td><td>+40</td>"));
  EXPECT_THAT(html, HasSubstr("<td>eval/accuracy</td><td>0.2 (0)</td><td>0.7 (10)</td>"));
  // Trace text is escaped, so the hostile prompt cannot end the <pre> or start a script.
  EXPECT_THAT(html,
              HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;/pre&gt;"));
  EXPECT_THAT(html, HasSubstr("a &lt; b &amp;&amp; c &gt; &quot;d&quot;"));
  EXPECT_THAT(html, HasSubstr("&lt;think&gt;\n12+34&lt;/think&gt;"));
  EXPECT_THAT(html, HasSubstr("At the start"));
  EXPECT_THAT(html, HasSubstr("At the end"));
}

TEST(Report, LongResponsesAreCutOnACharacterBoundary) {
  RunMetrics m;
  Trace t;
  t.prompt = "p";
  t.response = "\xc3\xa9\xc3\xa9\xc3\xa9";  // three two-byte characters
  m.first_traces.push_back(t);
  ReportOptions options;
  options.max_trace_chars = 5;
  const std::string html = RenderReportHtml(m, options);
  EXPECT_THAT(html, HasSubstr("<pre>\xc3\xa9\xc3\xa9</pre><div class=\"note\">(cut)</div>"));
}

TEST(Report, WritesTheFileAndReportsUnreadableInput) {
  const std::string dir = testing::TempDir();
  const std::string metrics = dir + "/report_metrics.jsonl";
  std::ofstream(metrics) << kMetrics;
  const std::string out = dir + "/report.html";
  ASSERT_TRUE(WriteReportFile(metrics, out, {}).ok());
  absl::StatusOr<std::string> html = ReadFile(out);
  ASSERT_TRUE(html.ok());
  EXPECT_THAT(*html, HasSubstr("</html>"));
  absl::Status missing = WriteReportFile(dir + "/nope.jsonl", out, {});
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(missing.message(), HasSubstr("nope.jsonl"));
}

TEST(Report, ReadsMetricsSinkLinesAndTraceTexts) {
  std::vector<JsonValue> records;
  for (
      const char* line : {
          R"({"step":1,"name":"reward/mean","value":0.5,"wall_time":2})",
          R"({"step":0,"name":"reward/mean","value":0.25,"wall_time":1})",
          R"({"step":0,"name":"trace","text":"{\"prompt\":\"1+2\",\"response\":\"<answer>3</answer>\",\"reward\":1}","wall_time":1})",
          R"({"step":1,"name":"sample","text":"plain <b>text</b>","wall_time":2})",
          R"({"step":1,"name":"config","text":"not a trace","wall_time":2})",
      }) {
    records.push_back(*ParseJson(line));
  }
  absl::StatusOr<RunMetrics> m = CollectRunMetrics(records);
  ASSERT_TRUE(m.ok()) << m.status();
  // Points come out in step order whatever the file order.
  EXPECT_EQ(m->series.at("reward/mean").points,
            (std::vector<std::pair<double, double>>{{0, 0.25}, {1, 0.5}}));
  ASSERT_EQ(m->first_traces.size(), 1u);
  EXPECT_EQ(m->first_traces[0].prompt, "1+2");
  EXPECT_EQ(m->first_traces[0].response, "<answer>3</answer>");
  EXPECT_EQ(m->first_traces[0].reward, "1");
  ASSERT_EQ(m->last_traces.size(), 1u);
  EXPECT_EQ(m->last_traces[0].response, "plain <b>text</b>");
  const std::string html = RenderReportHtml(*m, {});
  EXPECT_THAT(html, HasSubstr("plain &lt;b&gt;text&lt;/b&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("not a trace")));
}

}  // namespace
}  // namespace rlvr
