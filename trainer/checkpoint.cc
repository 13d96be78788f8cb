#include "trainer/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_format.h"
#include "core/json.h"
#include "core/safetensors.h"

namespace rlvr {
namespace fs = std::filesystem;
namespace {

absl::Status WriteTensors(const std::string& path, const std::vector<NamedTensor>& tensors) {
  std::vector<TensorToWrite> out;
  out.reserve(tensors.size());
  for (const NamedTensor& t : tensors) {
    out.push_back(TensorToWrite::F32(t.name, t.shape, absl::Span<const float>(t.data)));
  }
  return WriteSafetensors(path, out);
}

absl::Status ReadTensors(const std::string& path, const std::vector<NamedTensor>& tensors) {
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  if (!file.ok()) return file.status();
  for (const NamedTensor& t : tensors) {
    absl::StatusOr<const TensorView*> view = file->Get(t.name);
    if (!view.ok()) return view.status();
    if ((*view)->shape != t.shape) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: tensor '%s' has another shape than the model's", path, t.name));
    }
    absl::StatusOr<std::vector<float>> values = TensorToF32(**view);
    if (!values.ok()) return values.status();
    std::copy(values->begin(), values->end(), t.data.begin());
  }
  return absl::OkStatus();
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f.good()) return absl::InternalError(absl::StrFormat("cannot write %s", tmp));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrFormat("cannot rename %s: %s", tmp, ec.message()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> SaveCheckpoint(const std::string& root, const TrainerState& state,
                                           PolicyModel& policy) {
  const std::string name = absl::StrFormat("step_%d", state.step);
  const fs::path final_dir = fs::path(root) / name;
  const fs::path tmp_dir = fs::path(root) / (name + ".tmp");
  std::error_code ec;
  fs::remove_all(tmp_dir, ec);
  fs::create_directories(tmp_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrFormat("cannot create checkpoint folder %s: %s", tmp_dir.string(), ec.message()));
  }
  if (auto s = WriteTensors((tmp_dir / "model.safetensors").string(), policy.Parameters());
      !s.ok()) {
    return s;
  }
  if (auto s = WriteTensors((tmp_dir / "optimizer.safetensors").string(), policy.OptimizerState());
      !s.ok()) {
    return s;
  }
  JsonValue j = JsonValue::MakeObject();
  j.Add("step", JsonValue::Integer(state.step));
  j.Add("weight_version", JsonValue::Integer(state.weight_version));
  j.Add("optimizer_steps", JsonValue::Integer(policy.optimizer_steps()));
  j.Add("data_epoch", JsonValue::Integer(state.data.epoch));
  j.Add("data_offset", JsonValue::Integer(state.data.offset));
  j.Add("rng", JsonValue::String(state.rng));
  if (auto s = WriteText((tmp_dir / "trainer_state.json").string(), j.Serialize() + "\n");
      !s.ok()) {
    return s;
  }
  fs::remove_all(final_dir, ec);
  fs::rename(tmp_dir, final_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrFormat("cannot move checkpoint into %s: %s", final_dir.string(), ec.message()));
  }
  if (auto s = WriteText((fs::path(root) / "latest").string(), name + "\n"); !s.ok()) return s;
  return final_dir.string();
}

absl::StatusOr<std::string> ResolveCheckpoint(const std::string& path) {
  if (fs::exists(fs::path(path) / "trainer_state.json")) return path;
  const fs::path latest = fs::path(path) / "latest";
  if (fs::exists(latest)) {
    absl::StatusOr<std::string> text = ReadFile(latest.string());
    if (!text.ok()) return text.status();
    std::string name = *text;
    while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
    const fs::path dir = fs::path(path) / name;
    if (fs::exists(dir / "trainer_state.json")) return dir.string();
    return absl::NotFoundError(
        absl::StrFormat("%s names checkpoint %s, which is missing", latest.string(), name));
  }
  return absl::NotFoundError(absl::StrFormat(
      "%s is neither a checkpoint folder (no trainer_state.json) nor a checkpoint root (no "
      "latest file)",
      path));
}

absl::StatusOr<TrainerState> LoadCheckpoint(const std::string& folder, PolicyModel& policy) {
  const fs::path dir(folder);
  absl::StatusOr<std::string> text = ReadFile((dir / "trainer_state.json").string());
  if (!text.ok()) return text.status();
  absl::StatusOr<JsonValue> j = ParseJson(*text);
  if (!j.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s/trainer_state.json: %s", folder, j.status().message()));
  }
  TrainerState state;
  auto get = [&](const char* key, int64_t* out) -> absl::Status {
    absl::StatusOr<int64_t> v = j->GetInt(key);
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s/trainer_state.json: %s", folder, v.status().message()));
    }
    *out = *v;
    return absl::OkStatus();
  };
  int64_t opt_steps = 0;
  for (auto [key, out] :
       {std::pair{"step", &state.step}, std::pair{"weight_version", &state.weight_version},
        std::pair{"optimizer_steps", &opt_steps}, std::pair{"data_epoch", &state.data.epoch},
        std::pair{"data_offset", &state.data.offset}}) {
    if (auto s = get(key, out); !s.ok()) return s;
  }
  absl::StatusOr<std::string> rng = j->GetString("rng");
  if (!rng.ok()) return rng.status();
  state.rng = *rng;
  if (auto s = ReadTensors((dir / "model.safetensors").string(), policy.Parameters()); !s.ok()) {
    return s;
  }
  if (auto s = ReadTensors((dir / "optimizer.safetensors").string(), policy.OptimizerState());
      !s.ok()) {
    return s;
  }
  policy.set_optimizer_steps(opt_steps);
  return state;
}

absl::Status ExportHuggingFace(const std::string& out_dir, PolicyModel& policy,
                               const std::string& model_dir, const std::string& tokenizer_path) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrFormat("cannot create %s: %s", out_dir, ec.message()));
  }
  if (auto s =
          WriteTensors((fs::path(out_dir) / "model.safetensors").string(), policy.Parameters());
      !s.ok()) {
    return s;
  }
  auto copy = [&](const fs::path& from, const char* to) -> absl::Status {
    fs::copy_file(from, fs::path(out_dir) / to, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrFormat("cannot copy %s into %s: %s", from.string(), out_dir, ec.message()));
    }
    return absl::OkStatus();
  };
  if (!model_dir.empty()) {
    if (auto s = copy(fs::path(model_dir) / "config.json", "config.json"); !s.ok()) return s;
  }
  if (!tokenizer_path.empty()) {
    if (auto s = copy(fs::path(tokenizer_path), "tokenizer.json"); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace rlvr
