#include "verifiers/plugins.h"

#include <dlfcn.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "grpcpp/grpcpp.h"
#include "rlvr/v1/verifier.grpc.pb.h"
#include "verifiers/grpc_util.h"
#include "verifiers/plugin_abi.h"

namespace rlvr {
namespace {

// ---------------------------------------------------------------------------------------------
// Shared-library plugins

// Collects what a plugin's verify callback writes.
struct OutputSink {
  double reward = 0.0;
  bool reward_set = false;
  std::map<std::string, double> components;
  std::string detail;
};

void SinkSetReward(void* ctx, double reward) {
  auto* sink = static_cast<OutputSink*>(ctx);
  sink->reward = reward;
  sink->reward_set = true;
}
void SinkAddComponent(void* ctx, const char* name, size_t name_len, double value) {
  if (name == nullptr) return;
  static_cast<OutputSink*>(ctx)->components[std::string(name, name_len)] = value;
}
void SinkSetDetail(void* ctx, const char* text, size_t text_len) {
  if (text == nullptr) return;
  static_cast<OutputSink*>(ctx)->detail.assign(text, text_len);
}

class SharedLibraryVerifier : public Verifier {
 public:
  SharedLibraryVerifier(std::string name, std::string path, const RlvrVerifierDef& def)
      : name_(std::move(name)), path_(std::move(path)), def_(def) {}
  ~SharedLibraryVerifier() override {
    if (def_.destroy != nullptr) def_.destroy(def_.user_data);
  }
  std::string_view name() const override { return name_; }

  absl::StatusOr<Judgement> Verify(const VerifyInput& input) const override {
    std::vector<RlvrKeyValue> metadata;
    if (input.metadata != nullptr) {
      for (const auto& [k, v] : *input.metadata) {
        metadata.push_back({k.data(), k.size(), v.data(), v.size()});
      }
    }
    RlvrVerifyArgs args;
    args.response = input.response.data();
    args.response_len = input.response.size();
    args.ground_truth = input.ground_truth.data();
    args.ground_truth_len = input.ground_truth.size();
    args.metadata = metadata.data();
    args.metadata_count = metadata.size();
    args.time_left_ms =
        input.deadline == absl::InfiniteFuture()
            ? -1
            : std::max<int64_t>(0, absl::ToInt64Milliseconds(input.deadline - absl::Now()));
    OutputSink sink;
    RlvrVerifyOutput out{&sink, SinkSetReward, SinkAddComponent, SinkSetDetail};
    int rc = def_.verify(def_.user_data, &args, &out);
    if (rc != RLVR_VERIFY_JUDGED) {
      return absl::InternalError(
          absl::StrFormat("plugin verifier '%s' (%s) could not judge: %s", name_, path_,
                          sink.detail.empty() ? std::string("no reason given") : sink.detail));
    }
    if (!sink.reward_set) {
      return absl::InternalError(absl::StrFormat(
          "plugin verifier '%s' (%s) returned without setting a reward", name_, path_));
    }
    Judgement j;
    j.reward = sink.reward;
    j.components = std::move(sink.components);
    if (j.components.empty()) j.components[name_] = j.reward;
    j.detail = std::move(sink.detail);
    return j;
  }

 private:
  std::string name_;
  std::string path_;
  RlvrVerifierDef def_;
};

struct RegistrationContext {
  std::string path;
  VerifierRegistry* registry;
  std::vector<std::string> errors;
  std::vector<std::string> names;
};

int HostRegisterVerifier(void* ctx, const RlvrVerifierDef* def) {
  auto* reg = static_cast<RegistrationContext*>(ctx);
  if (def == nullptr || def->name == nullptr || def->name[0] == '\0' || def->verify == nullptr) {
    reg->errors.push_back("a verifier definition without a name or verify function");
    return 1;
  }
  std::string name(def->name);
  if (reg->registry->Contains(name)) {
    reg->errors.push_back(absl::StrFormat("verifier name '%s' is already registered", name));
    return 1;
  }
  absl::Status s = reg->registry->AddInstance(
      name, std::make_shared<SharedLibraryVerifier>(name, reg->path, *def));
  if (!s.ok()) {
    reg->errors.push_back(std::string(s.message()));
    return 1;
  }
  reg->names.push_back(name);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Remote plugins

absl::Duration Backoff(const RemoteVerifierOptions& options, int retry) {
  return options.backoff * (1 << std::min(retry - 1, 10));
}

class RemoteVerifier : public Verifier {
 public:
  RemoteVerifier(std::string address, std::string name, RemoteVerifierOptions options)
      : address_(std::move(address)),
        name_(std::move(name)),
        options_(options),
        stub_(rlvr::v1::Verifier::NewStub(
            grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()))) {}
  std::string_view name() const override { return name_; }

  absl::StatusOr<Judgement> Verify(const VerifyInput& input) const override {
    rlvr::v1::VerifyRequest request;
    rlvr::v1::VerifyItem* item = request.add_items();
    item->set_id("0");
    item->set_verifier(name_);
    item->set_response(std::string(input.response));
    item->set_ground_truth(std::string(input.ground_truth));
    if (input.metadata != nullptr) *item->mutable_metadata() = *input.metadata;

    const int attempts = 1 + std::max(0, options_.max_retries);
    grpc::Status last;
    int made = 0;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      if (attempt > 0) {
        absl::Duration wait = Backoff(options_, attempt);
        if (absl::Now() + wait >= input.deadline) break;
        absl::SleepFor(wait);
      }
      absl::Time now = absl::Now();
      if (now >= input.deadline) break;
      grpc::ClientContext context;
      context.set_deadline(ToChrono(std::min(input.deadline, now + options_.timeout)));
      rlvr::v1::VerifyResponse response;
      ++made;
      last = stub_->Verify(&context, request, &response);
      if (last.ok()) return FromResponse(response);
      if (!IsRetryable(last.error_code())) break;
    }
    if (made == 0) {
      return absl::DeadlineExceededError(
          absl::StrFormat("remote verifier '%s' at %s: no time left for a call", name_, address_));
    }
    return absl::Status(
        FromGrpcStatus(last).code(),
        absl::StrFormat("remote verifier '%s' at %s failed after %d attempt%s: %s", name_, address_,
                        made, made == 1 ? "" : "s", last.error_message()));
  }

 private:
  absl::StatusOr<Judgement> FromResponse(const rlvr::v1::VerifyResponse& response) const {
    if (response.results_size() != 1) {
      return absl::InternalError(
          absl::StrFormat("remote verifier '%s' at %s returned %d results for 1 item", name_,
                          address_, response.results_size()));
    }
    const rlvr::v1::VerifyResult& r = response.results(0);
    if (r.status() != rlvr::v1::VERIFY_OK) {
      return absl::InternalError(
          absl::StrFormat("remote verifier '%s' at %s could not judge: %s", name_, address_,
                          r.detail().empty() ? std::string("no reason given") : r.detail()));
    }
    Judgement j;
    j.reward = r.reward();
    for (const auto& [k, v] : r.components()) j.components[k] = v;
    if (j.components.empty()) j.components[name_] = j.reward;
    j.detail = r.detail();
    return j;
  }

  std::string address_;
  std::string name_;
  RemoteVerifierOptions options_;
  std::unique_ptr<rlvr::v1::Verifier::Stub> stub_;
};

}  // namespace

absl::Status LoadSharedLibraryPlugin(const std::string& path, VerifierRegistry* registry) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = dlerror();
    return absl::NotFoundError(absl::StrFormat("verifier plugin %s: cannot load: %s", path,
                                               err != nullptr ? err : "unknown error"));
  }
  // The library stays loaded: its verifiers may live as long as the process.
  auto version_fn = reinterpret_cast<RlvrAbiVersionFn>(dlsym(handle, RLVR_ABI_VERSION_SYMBOL));
  if (version_fn == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrFormat("verifier plugin %s: missing symbol %s (is it built against plugin_abi.h?)",
                        path, RLVR_ABI_VERSION_SYMBOL));
  }
  uint32_t version = version_fn();
  if (version != RLVR_VERIFIER_ABI_VERSION) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "verifier plugin %s: ABI version mismatch: the plugin was built for ABI version %u, "
        "this rlvr build expects version %u; rebuild the plugin against this rlvr's "
        "verifiers/plugin_abi.h",
        path, version, RLVR_VERIFIER_ABI_VERSION));
  }
  auto register_fn = reinterpret_cast<RlvrRegisterFn>(dlsym(handle, RLVR_REGISTER_SYMBOL));
  if (register_fn == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrFormat("verifier plugin %s: missing symbol %s", path, RLVR_REGISTER_SYMBOL));
  }
  RegistrationContext ctx{path, registry, {}, {}};
  RlvrPluginHost host{RLVR_VERIFIER_ABI_VERSION, &ctx, HostRegisterVerifier};
  int rc = register_fn(&host);
  if (!ctx.errors.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat("verifier plugin %s: registration failed: %s",
                                                      path, absl::StrJoin(ctx.errors, "; ")));
  }
  if (rc != 0) {
    return absl::InternalError(
        absl::StrFormat("verifier plugin %s: %s returned %d", path, RLVR_REGISTER_SYMBOL, rc));
  }
  if (ctx.names.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("verifier plugin %s registered no verifiers", path));
  }
  return absl::OkStatus();
}

std::unique_ptr<Verifier> MakeRemoteVerifier(const std::string& address, const std::string& name,
                                             const RemoteVerifierOptions& options) {
  return std::make_unique<RemoteVerifier>(address, name, options);
}

absl::StatusOr<std::vector<std::string>> ListRemoteVerifiers(const std::string& address,
                                                             const RemoteVerifierOptions& options) {
  auto stub =
      rlvr::v1::Verifier::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  const int attempts = 1 + std::max(0, options.max_retries);
  grpc::Status last;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) absl::SleepFor(Backoff(options, attempt));
    grpc::ClientContext context;
    context.set_deadline(ToChrono(absl::Now() + options.timeout));
    rlvr::v1::ListVerifiersResponse response;
    last = stub->ListVerifiers(&context, rlvr::v1::ListVerifiersRequest(), &response);
    if (last.ok())
      return std::vector<std::string>(response.names().begin(), response.names().end());
    if (!IsRetryable(last.error_code())) break;
  }
  return absl::Status(FromGrpcStatus(last).code(),
                      absl::StrFormat("remote verifier server at %s: ListVerifiers failed: %s",
                                      address, last.error_message()));
}

absl::Status LoadPlugin(const rlvr::v1::PluginSpec& spec, VerifierRegistry* registry) {
  switch (spec.source_case()) {
    case rlvr::v1::PluginSpec::kSharedLibrary:
      if (spec.shared_library().empty()) {
        return absl::InvalidArgumentError("plugin: shared_library path is empty");
      }
      return LoadSharedLibraryPlugin(spec.shared_library(), registry);
    case rlvr::v1::PluginSpec::kAddress: {
      if (spec.address().empty()) return absl::InvalidArgumentError("plugin: address is empty");
      RemoteVerifierOptions options;
      if (spec.timeout_ms() > 0) options.timeout = absl::Milliseconds(spec.timeout_ms());
      options.max_retries = std::max(0, spec.max_retries());
      std::vector<std::string> names(spec.names().begin(), spec.names().end());
      if (names.empty()) {
        absl::StatusOr<std::vector<std::string>> listed =
            ListRemoteVerifiers(spec.address(), options);
        if (!listed.ok()) {
          return absl::Status(listed.status().code(),
                              absl::StrCat(listed.status().message(),
                                           " (list the verifier names in the plugin's 'names' "
                                           "to load it while the server is down)"));
        }
        names = *std::move(listed);
      }
      for (const std::string& name : names) {
        if (registry->Contains(name)) {
          return absl::AlreadyExistsError(absl::StrFormat(
              "plugin at %s: verifier name '%s' is already registered", spec.address(), name));
        }
        absl::Status s = registry->AddInstance(
            name,
            std::shared_ptr<const Verifier>(MakeRemoteVerifier(spec.address(), name, options)));
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    }
    case rlvr::v1::PluginSpec::SOURCE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("plugin: set either shared_library or address");
}

}  // namespace rlvr
