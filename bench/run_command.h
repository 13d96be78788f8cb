// Runs a shell command for a benchmark's in-run baseline and returns what it printed on stdout
// (empty when it could not start). The baselines print one JSON object.
#ifndef RLVR_BENCH_RUN_COMMAND_H_
#define RLVR_BENCH_RUN_COMMAND_H_

#include <cstdio>
#include <string>

namespace rlvr {

inline std::string RunCommandOutput(const std::string& command) {
  std::string text;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) text.append(buf, n);
  pclose(pipe);
  return text;
}

}  // namespace rlvr

#endif  // RLVR_BENCH_RUN_COMMAND_H_
