#include "tools/report.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rlvr {
namespace {

// Each chart shows the first of these series the run has.
struct ChartSpec {
  const char* title;
  std::vector<const char*> names;
};

const std::vector<ChartSpec>& Charts() {
  static const auto* charts = new std::vector<ChartSpec>{
      {"Training reward", {"reward/mean", "reward_mean", "train/reward", "reward"}},
      {"Held-out accuracy", {"eval/accuracy", "eval_accuracy", "eval/acc", "eval/reward/mean"}},
      {"Format rate",
       {"format_rate", "reward/format", "reward/components/format", "train/format_rate", "format"}},
      {"Response length (tokens)",
       {"response_length/mean", "response_length_mean", "response_length",
        "train/response_length"}},
      {"Held-out format rate", {"eval/format_rate"}},
      {"Held-out response length (tokens)", {"eval/response_length/mean"}},
      {"KL to the reference", {"kl", "kl/mean", "train/kl"}},
      {"Entropy", {"entropy", "entropy/mean", "train/entropy"}},
  };
  return *charts;
}

// Text records that hold a sample trace: "trace", "trace/...", "sample", "sample/...".
bool IsTraceName(const std::string& name) {
  return name == "trace" || name == "sample" || absl::StartsWith(name, "trace/") ||
         absl::StartsWith(name, "sample/");
}

bool IsPhaseTime(const std::string& name) {
  return absl::StartsWith(name, "time/") || absl::EndsWith(name, "_seconds");
}

void Flatten(const std::string& prefix, const JsonValue& value, double step,
             std::map<std::string, MetricSeries>& out) {
  if (value.is_number()) {
    MetricSeries& series = out[prefix];
    series.name = prefix;
    series.points.emplace_back(step, value.number());
  } else if (value.is_object()) {
    for (const auto& [key, member] : value.object()) {
      Flatten(prefix.empty() ? key : absl::StrCat(prefix, "/", key), member, step, out);
    }
  }
}

std::string ScalarText(const JsonValue* value) {
  if (value == nullptr) return "";
  if (value->is_string()) return value->string();
  if (value->is_integer()) return absl::StrCat(value->integer());
  if (value->is_number()) return absl::StrFormat("%.4g", value->number());
  if (value->is_bool()) return value->bool_value() ? "true" : "false";
  if (value->is_null()) return "";
  return value->Serialize();
}

std::vector<Trace> CollectTraces(const JsonValue& traces, double step) {
  std::vector<Trace> out;
  for (const JsonValue& item : traces.array()) {
    if (!item.is_object()) continue;
    Trace trace;
    trace.step = step;
    trace.prompt = ScalarText(item.Find("prompt"));
    trace.response = ScalarText(item.Find("response"));
    trace.reward = ScalarText(item.Find("reward"));
    trace.ground_truth = ScalarText(item.Find("ground_truth"));
    if (trace.ground_truth.empty()) trace.ground_truth = ScalarText(item.Find("answer"));
    out.push_back(std::move(trace));
  }
  return out;
}

std::string Num(double v) { return absl::StrFormat("%.4g", v); }

// Round tick spacing (1, 2 or 5 times a power of ten) giving about `target` intervals.
double NiceStep(double span, int target) {
  const double raw = span / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double nice = norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10;
  return nice * mag;
}

constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                    "#9467bd", "#8c564b", "#e377c2", "#17becf"};
constexpr int kChartWidth = 600;
constexpr int kPlotHeight = 200;
constexpr int kMarginLeft = 60;
constexpr int kMarginRight = 16;
constexpr int kMarginTop = 28;
constexpr int kMarginBottom = 34;
constexpr int kLegendRow = 18;

// Cuts text to at most max_bytes without splitting a UTF-8 sequence.
std::string CutUtf8(const std::string& text, size_t max_bytes, bool* cut) {
  *cut = text.size() > max_bytes;
  if (!*cut) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

const MetricSeries* FindFirst(const RunMetrics& metrics, const std::vector<const char*>& names) {
  for (const char* name : names) {
    auto it = metrics.series.find(name);
    if (it != metrics.series.end() && !it->second.points.empty()) return &it->second;
  }
  return nullptr;
}

void AppendTraces(const std::vector<Trace>& traces, const ReportOptions& options,
                  std::string& html) {
  const int shown = std::min<int>(options.traces_per_end, static_cast<int>(traces.size()));
  for (int i = 0; i < shown; ++i) {
    const Trace& t = traces[i];
    bool cut = false;
    const std::string response =
        CutUtf8(t.response, static_cast<size_t>(std::max(0, options.max_trace_chars)), &cut);
    absl::StrAppend(&html, "<div class=\"trace\"><div class=\"meta\">step ", Num(t.step));
    if (!t.reward.empty()) absl::StrAppend(&html, " · reward ", HtmlEscape(t.reward));
    if (!t.ground_truth.empty()) {
      absl::StrAppend(&html, " · expected ", HtmlEscape(t.ground_truth));
    }
    absl::StrAppend(&html, "</div><div class=\"label\">prompt</div><pre>", HtmlEscape(t.prompt),
                    "</pre><div class=\"label\">response</div><pre>", HtmlEscape(response),
                    cut ? "</pre><div class=\"note\">(cut)</div>" : "</pre>", "</div>\n");
  }
}

}  // namespace

absl::StatusOr<RunMetrics> CollectRunMetrics(const std::vector<JsonValue>& records) {
  RunMetrics metrics;
  // Traces by step, in file order within a step.
  std::map<double, std::vector<Trace>> traces;
  for (size_t i = 0; i < records.size(); ++i) {
    const JsonValue& record = records[i];
    const JsonValue* step = record.is_object() ? record.Find("step") : nullptr;
    if (step == nullptr || !step->is_number()) {
      return absl::InvalidArgumentError(
          absl::StrCat("metrics record ", i + 1, " is not an object with a numeric \"step\""));
    }
    const double at = step->number();
    const JsonValue* name = record.Find("name");
    if (name != nullptr && name->is_string()) {
      // A MetricsSink line: one scalar or one text per record.
      if (const JsonValue* value = record.Find("value"); value != nullptr && value->is_number()) {
        Flatten(name->string(), *value, at, metrics.series);
      } else if (const JsonValue* text = record.Find("text");
                 text != nullptr && text->is_string() && IsTraceName(name->string())) {
        absl::StatusOr<JsonValue> parsed = ParseJson(text->string());
        if (parsed.ok() && parsed->is_object()) {
          for (Trace& t : CollectTraces(JsonValue::MakeArray({*parsed}), at)) {
            traces[at].push_back(std::move(t));
          }
        } else {
          Trace t;
          t.step = at;
          t.response = text->string();
          traces[at].push_back(std::move(t));
        }
      }
      continue;
    }
    for (const auto& [key, value] : record.object()) {
      if (key == "step") continue;
      if (key == "traces") {
        if (!value.is_array()) continue;
        for (Trace& t : CollectTraces(value, at)) traces[at].push_back(std::move(t));
        continue;
      }
      Flatten(key, value, at, metrics.series);
    }
  }
  if (!traces.empty()) metrics.first_traces = traces.begin()->second;
  if (traces.size() > 1) metrics.last_traces = traces.rbegin()->second;
  // Series in step order (sinks may interleave records of several steps).
  for (auto& [name, series] : metrics.series) {
    std::stable_sort(series.points.begin(), series.points.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  return metrics;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderLineChartSvg(const std::string& title, const std::vector<MetricSeries>& series) {
  std::vector<const MetricSeries*> drawn;
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  for (const MetricSeries& s : series) {
    bool any = false;
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      any = true;
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
      y_min = std::min(y_min, y);
      y_max = std::max(y_max, y);
    }
    if (any) drawn.push_back(&s);
  }
  const int legend_rows = drawn.size() > 1 ? static_cast<int>(drawn.size()) : 0;
  const int height = kMarginTop + kPlotHeight + kMarginBottom + legend_rows * kLegendRow;
  const int plot_w = kChartWidth - kMarginLeft - kMarginRight;
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" role=\"img\">\n<title>%s</title>\n"
      "<text x=\"%d\" y=\"18\" class=\"title\">%s</text>\n",
      kChartWidth, height, kChartWidth, height, HtmlEscape(title), kMarginLeft, HtmlEscape(title));
  if (drawn.empty()) {
    absl::StrAppend(&svg,
                    absl::StrFormat("<text x=\"%d\" y=\"%d\" class=\"nodata\">no data</text>\n",
                                    kMarginLeft + plot_w / 2 - 24, kMarginTop + kPlotHeight / 2));
    absl::StrAppend(&svg, "</svg>");
    return svg;
  }
  if (x_max == x_min) {
    x_min -= 1;
    x_max += 1;
  }
  if (y_max == y_min) {
    const double pad = y_max == 0 ? 1 : std::abs(y_max) * 0.1;
    y_min -= pad;
    y_max += pad;
  }
  const double y_step = NiceStep(y_max - y_min, 4);
  y_min = std::floor(y_min / y_step) * y_step;
  y_max = std::ceil(y_max / y_step) * y_step;
  auto px = [&](double x) { return kMarginLeft + (x - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double y) {
    return kMarginTop + kPlotHeight - (y - y_min) / (y_max - y_min) * kPlotHeight;
  };
  // Axes, grid and ticks.
  absl::StrAppend(
      &svg, absl::StrFormat("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"plot\"/>\n",
                            kMarginLeft, kMarginTop, plot_w, kPlotHeight));
  for (double y = y_min; y <= y_max + y_step * 0.5; y += y_step) {
    absl::StrAppend(&svg, absl::StrFormat("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
                                          "class=\"grid\"/><text x=\"%d\" y=\"%.1f\" "
                                          "class=\"ytick\">%s</text>\n",
                                          kMarginLeft, py(y), kMarginLeft + plot_w, py(y),
                                          kMarginLeft - 6, py(y) + 4, Num(y)));
  }
  const double x_step = NiceStep(x_max - x_min, 6);
  for (double x = std::ceil(x_min / x_step) * x_step; x <= x_max + x_step * 1e-9; x += x_step) {
    absl::StrAppend(&svg, absl::StrFormat("<text x=\"%.1f\" y=\"%d\" class=\"xtick\">%s</text>\n",
                                          px(x), kMarginTop + kPlotHeight + 16, Num(x)));
  }
  absl::StrAppend(&svg, absl::StrFormat("<text x=\"%d\" y=\"%d\" class=\"xlabel\">step</text>\n",
                                        kMarginLeft + plot_w / 2, kMarginTop + kPlotHeight + 30));
  // The series.
  for (size_t i = 0; i < drawn.size(); ++i) {
    const char* color = kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))];
    std::string points;
    int count = 0;
    for (const auto& [x, y] : drawn[i]->points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      absl::StrAppend(&points, count++ ? " " : "", absl::StrFormat("%.1f,%.1f", px(x), py(y)));
    }
    absl::StrAppend(&svg, absl::StrFormat("<polyline class=\"series\" data-name=\"%s\" "
                                          "stroke=\"%s\" points=\"%s\"/>\n",
                                          HtmlEscape(drawn[i]->name), color, points));
    if (count == 1) {  // a lone point is invisible as a line
      absl::StrAppend(
          &svg,
          absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                          px(drawn[i]->points[0].first), py(drawn[i]->points[0].second), color));
    }
    if (legend_rows > 0) {
      const int y = kMarginTop + kPlotHeight + kMarginBottom + static_cast<int>(i) * kLegendRow + 8;
      absl::StrAppend(&svg,
                      absl::StrFormat("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                                      "stroke-width=\"3\"/><text x=\"%d\" y=\"%d\" "
                                      "class=\"legend\">%s</text>\n",
                                      kMarginLeft, y - 4, kMarginLeft + 20, y - 4, color,
                                      kMarginLeft + 26, y, HtmlEscape(drawn[i]->name)));
    }
  }
  absl::StrAppend(&svg, "</svg>");
  return svg;
}

std::string RenderReportHtml(const RunMetrics& metrics, const ReportOptions& options) {
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
      HtmlEscape(options.title), "</title>\n<style>\n",
      "body{font-family:sans-serif;margin:24px;color:#222;max-width:1260px}\n"
      ".charts{display:flex;flex-wrap:wrap;gap:12px}\n"
      "svg.chart{border:1px solid #ddd;background:#fff}\n"
      "svg .title{font-size:14px;font-weight:bold}\n"
      "svg .plot{fill:none;stroke:#999}\nsvg .grid{stroke:#eee}\n"
      "svg .ytick{font-size:11px;text-anchor:end}\nsvg .xtick{font-size:11px;"
      "text-anchor:middle}\nsvg .xlabel{font-size:11px;text-anchor:middle;fill:#666}\n"
      "svg .legend{font-size:11px}\nsvg .nodata{font-size:13px;fill:#999}\n"
      "svg .series{fill:none;stroke-width:2}\n"
      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;"
      "text-align:right}th:first-child,td:first-child{text-align:left}\n"
      ".trace{border:1px solid #ddd;margin:8px 0;padding:8px}\n"
      ".meta{color:#555;font-size:13px}.label{font-size:12px;color:#888;margin-top:4px}\n"
      "pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:6px;"
      "margin:2px 0}\n.note{font-size:12px;color:#a00}\n",
      "</style>\n</head>\n<body>\n<h1>", HtmlEscape(options.title), "</h1>\n");

  // Which series the charts and the table use.
  std::vector<std::pair<std::string, const MetricSeries*>> charted;
  absl::StrAppend(&html, "<h2>Over the steps</h2>\n<div class=\"charts\">\n");
  for (const ChartSpec& chart : Charts()) {
    const MetricSeries* series = FindFirst(metrics, chart.names);
    std::vector<MetricSeries> one;
    if (series != nullptr) {
      one.push_back(*series);
      charted.emplace_back(chart.title, series);
    }
    absl::StrAppend(&html, RenderLineChartSvg(chart.title, one), "\n");
  }
  std::vector<MetricSeries> phases;
  for (const auto& [name, series] : metrics.series) {
    if (IsPhaseTime(name) && !series.points.empty()) {
      phases.push_back(series);
      charted.emplace_back(absl::StrCat("seconds: ", name), &series);
    }
  }
  absl::StrAppend(&html, RenderLineChartSvg("Seconds per phase", phases), "\n</div>\n");

  absl::StrAppend(&html,
                  "<h2>Before and after</h2>\n<table>\n<tr><th>metric</th><th>series</th>"
                  "<th>first (step)</th><th>last (step)</th><th>change</th></tr>\n");
  for (const auto& [title, series] : charted) {
    const auto& first = series->points.front();
    const auto& last = series->points.back();
    absl::StrAppend(&html, "<tr><td>", HtmlEscape(title), "</td><td>", HtmlEscape(series->name),
                    "</td><td>", Num(first.second), " (", Num(first.first), ")</td><td>",
                    Num(last.second), " (", Num(last.first), ")</td><td>",
                    absl::StrFormat("%+.4g", last.second - first.second), "</td></tr>\n");
  }
  absl::StrAppend(&html, "</table>\n");

  absl::StrAppend(&html, "<h2>Sample traces</h2>\n");
  if (metrics.first_traces.empty()) {
    absl::StrAppend(&html, "<p>The run logged no traces.</p>\n");
  } else {
    absl::StrAppend(&html, "<h3>At the start</h3>\n");
    AppendTraces(metrics.first_traces, options, html);
    if (!metrics.last_traces.empty()) {
      absl::StrAppend(&html, "<h3>At the end</h3>\n");
      AppendTraces(metrics.last_traces, options, html);
    }
  }
  absl::StrAppend(&html, "</body>\n</html>\n");
  return html;
}

absl::Status WriteReportFile(const std::string& metrics_path, const std::string& html_path,
                             const ReportOptions& options) {
  absl::StatusOr<std::vector<JsonValue>> records = ReadJsonl(metrics_path);
  if (!records.ok()) return records.status();
  absl::StatusOr<RunMetrics> metrics = CollectRunMetrics(*records);
  if (!metrics.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(metrics_path, ": ", metrics.status().message()));
  }
  std::ofstream out(html_path, std::ios::binary | std::ios::trunc);
  out << RenderReportHtml(*metrics, options);
  out.close();
  if (!out) return absl::FailedPreconditionError(absl::StrCat("cannot write ", html_path));
  return absl::OkStatus();
}

}  // namespace rlvr
