// safetensors <-> ModelWeights.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/safetensors.h"
#include "model/weights.h"

namespace rlvr {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// The safetensors files that make up a checkpoint at `path`, in name order.
absl::StatusOr<std::vector<std::string>> CheckpointFiles(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    if (!fs::exists(path, ec)) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return std::vector<std::string>{path};
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.size() > 12 &&
        name.compare(name.size() - 12, 12, ".safetensors") == 0 && name.rfind("model", 0) == 0) {
      files.push_back(entry.path().string());
    }
  }
  if (ec) return absl::InternalError(absl::StrCat(path, ": ", ec.message()));
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat(path, ": no model*.safetensors in this folder"));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

absl::StatusOr<ModelWeights> LoadWeights(const ModelConfig& config, const std::string& path) {
  absl::StatusOr<std::vector<std::string>> files = CheckpointFiles(path);
  if (!files.ok()) return files.status();
  ModelWeights w = ZeroWeights(config);
  std::map<std::string, Tensor*> wanted;
  w.ForEachParameter([&](const std::string& name, Tensor& t) { wanted[name] = &t; });
  w.ForEachBuffer([&](const std::string& name, Tensor& t) { wanted[name] = &t; });
  std::map<std::string, bool> seen;
  for (const std::string& file : *files) {
    absl::StatusOr<SafetensorsFile> st = SafetensorsFile::Open(file);
    if (!st.ok()) return st.status();
    for (const TensorView& view : st->tensors()) {
      auto it = wanted.find(view.name);
      if (it == wanted.end()) {
        if (view.name == "lm_head.weight" && config.tie_word_embeddings) continue;
        return absl::InvalidArgumentError(
            absl::StrCat(file, ": tensor '", view.name, "' is not a parameter of this ",
                         config.model_type, " config (config.json and weights disagree)"));
      }
      if (view.shape != it->second->shape) {
        return absl::InvalidArgumentError(
            absl::StrCat(file, ": tensor '", view.name, "' has shape ", ShapeString(view.shape),
                         ", the config expects ", ShapeString(it->second->shape)));
      }
      absl::StatusOr<std::vector<float>> values = TensorToF32(view);
      if (!values.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(file, ": tensor '", view.name, "': ", values.status().message()));
      }
      it->second->data = *std::move(values);
      seen[view.name] = true;
    }
  }
  for (const auto& [name, tensor] : wanted) {
    if (!seen.count(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": missing tensor '", name, "' ", ShapeString(tensor->shape)));
    }
  }
  return w;
}

absl::Status SaveWeights(const ModelWeights& weights, const std::string& path) {
  std::vector<TensorToWrite> out;
  auto add = [&](const std::string& name, const Tensor& t) {
    out.push_back(TensorToWrite::F32(name, t.shape, t.data));
  };
  weights.ForEachParameter(add);
  weights.ForEachBuffer(add);
  return WriteSafetensors(path, out, {{"format", "pt"}});
}

absl::Status SaveModel(const Model& model, const std::string& dir) {
  const std::string config_path = dir + "/config.json";
  {
    std::ofstream f(config_path, std::ios::trunc);
    f << ModelConfigToJson(model.config) << "\n";
    if (!f) return absl::InternalError(absl::StrCat(config_path, ": write failed"));
  }
  return SaveWeights(model.weights, dir + "/model.safetensors");
}

}  // namespace rlvr
