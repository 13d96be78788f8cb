// The run report: one self-contained HTML page (inline SVG charts, inline CSS, no scripts, no
// network) made from a run's metrics JSONL.
//
// Input: JSONL records with a numeric "step", in either of two shapes:
//   - a MetricsSink line (core/metrics.h): {"step":3,"name":"reward/mean","value":0.5,...}, or
//     a text line {"step":3,"name":"trace","text":"..."} whose name is "trace" or "sample"
//     (or starts with "trace/" or "sample/"): the text is a JSON object with "prompt",
//     "response" and optionally "reward", "ground_truth"/"answer", or else plain response text;
//   - one object per step: {"step":3,"reward":{"mean":0.5},"traces":[{...}, ...]}; nested
//     objects are flattened with "/" and every numeric leaf is a series.
// Charts, each drawn from the first series present among a few usual names (see report.cc):
// training reward, held-out accuracy, format rate, response length, KL, entropy, and the
// seconds per phase (every series under "time/" or ending in "_seconds"). Then a before/after
// table (first and last value of each charted series), and traces from the first and the last
// step that have them. All text from the file is HTML-escaped.
#ifndef RLVR_TOOLS_REPORT_H_
#define RLVR_TOOLS_REPORT_H_

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/json.h"

namespace rlvr {

struct ReportOptions {
  std::string title = "rlvr run";
  int traces_per_end = 3;      // traces shown from the start and from the end
  int max_trace_chars = 4000;  // longer responses are cut, with a note
};

struct MetricSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (step, value), in file order
};

struct Trace {
  double step = 0;
  std::string prompt;
  std::string response;
  std::string reward;        // as written ("1", "0.5"); empty when absent
  std::string ground_truth;  // empty when absent
};

struct RunMetrics {
  std::map<std::string, MetricSeries> series;  // by flattened name
  std::vector<Trace> first_traces;             // from the first step that has traces
  std::vector<Trace> last_traces;              // from the last such step (if another one)
};

// Collects series and traces. An error names the record (1-based) that is not an object or
// lacks a numeric "step".
absl::StatusOr<RunMetrics> CollectRunMetrics(const std::vector<JsonValue>& records);

// Escapes & < > " ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

// An <svg> line chart of one or more series sharing the axes (a legend when more than one).
// Series without points are skipped; with no points at all, a chart saying "no data".
std::string RenderLineChartSvg(const std::string& title, const std::vector<MetricSeries>& series);

// The whole page.
std::string RenderReportHtml(const RunMetrics& metrics, const ReportOptions& options);

// Reads `metrics_path` (JSONL) and writes the page to `html_path`.
absl::Status WriteReportFile(const std::string& metrics_path, const std::string& html_path,
                             const ReportOptions& options);

}  // namespace rlvr

#endif  // RLVR_TOOLS_REPORT_H_
