#include "tools/evaluate.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/tokenizer.h"
#include "rollout/engine.h"
#include "rollout/transformer_model.h"
#include "trainer/dataset.h"
#include "trainer/prompt_template.h"
#include "verifiers/registry.h"
#include "verifiers/reward.h"

namespace rlvr {
namespace {

constexpr double kCorrect = 1.0 - 1e-9;
constexpr int kDefaultMaxNewTokens = 256;

SamplingParams ToSamplingParams(const v1::SamplingConfig& eval, const v1::SamplingConfig& train) {
  SamplingParams p;
  p.temperature = eval.temperature();
  p.top_k = eval.top_k();
  p.top_p = eval.top_p() > 0 ? eval.top_p() : 1.0;
  p.min_p = eval.min_p();
  p.max_new_tokens = eval.max_new_tokens() > 0    ? eval.max_new_tokens()
                     : train.max_new_tokens() > 0 ? train.max_new_tokens()
                                                  : kDefaultMaxNewTokens;
  const auto& stop_ids =
      eval.stop_token_ids_size() > 0 ? eval.stop_token_ids() : train.stop_token_ids();
  p.stop_token_ids.assign(stop_ids.begin(), stop_ids.end());
  const auto& stops = eval.stop_strings_size() > 0 ? eval.stop_strings() : train.stop_strings();
  p.stop_strings.assign(stops.begin(), stops.end());
  p.seed = eval.seed();
  return p;
}

}  // namespace

JsonValue EvalResult::ToJson(int max_samples) const {
  JsonValue out = JsonValue::MakeObject();
  out.Add("examples", JsonValue::Integer(examples));
  out.Add("accuracy", JsonValue::Number(accuracy));
  out.Add("format_rate", JsonValue::Number(format_rate));
  out.Add("response_length_mean", JsonValue::Number(response_length_mean));
  out.Add("reward_mean", JsonValue::Number(reward_mean));
  JsonValue list = JsonValue::MakeArray();
  for (int i = 0; i < max_samples && i < static_cast<int>(samples.size()); ++i) {
    JsonValue s = JsonValue::MakeObject();
    s.Add("prompt", JsonValue::String(samples[i].prompt));
    s.Add("response", JsonValue::String(samples[i].response));
    s.Add("ground_truth", JsonValue::String(samples[i].ground_truth));
    s.Add("reward", JsonValue::Number(samples[i].reward));
    list.Push(std::move(s));
  }
  out.Add("samples", std::move(list));
  return out;
}

absl::StatusOr<EvalResult> EvaluateModel(const v1::ExperimentConfig& config) {
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer =
      Tokenizer::FromFile(config.tokenizer().path());
  if (!tokenizer.ok()) return tokenizer.status();
  absl::StatusOr<PromptFormatter> formatter = PromptFormatter::Create(config.data().template_());
  if (!formatter.ok()) return formatter.status();
  v1::DatasetConfig eval_data = config.data().eval();
  if (eval_data.path().empty()) return absl::InvalidArgumentError("data.eval.path is not set");
  if (config.eval().max_examples() > 0 &&
      (eval_data.max_records() == 0 || eval_data.max_records() > config.eval().max_examples())) {
    eval_data.set_max_records(config.eval().max_examples());
  }
  absl::StatusOr<std::vector<Example>> examples = LoadDataset(eval_data);
  if (!examples.ok()) return examples.status();

  VerifierRegistry registry;
  if (absl::Status st = RegisterBuiltinVerifiers(&registry, nullptr); !st.ok()) return st;
  absl::StatusOr<std::unique_ptr<CombinedReward>> reward =
      BuildCombinedReward(config.reward(), registry);
  if (!reward.ok()) return reward.status();
  std::string accuracy_component;
  for (const CombinedReward::Part& part : (*reward)->parts()) {
    if (part.component == "accuracy") accuracy_component = part.component;
  }
  if (accuracy_component.empty() && !(*reward)->parts().empty()) {
    accuracy_component = (*reward)->parts().front().component;
  }

  absl::StatusOr<std::unique_ptr<TransformerDecodeModel>> model = TransformerDecodeModel::Load(
      config.model().path(), config.model().backend().empty() ? "cpu" : config.model().backend(),
      config.model().num_threads());
  if (!model.ok()) return model.status();
  TokenizerDecoder decoder(tokenizer->get());
  EngineOptions options;
  if (config.rollout().kv_block_size() > 0)
    options.kv_block_size = config.rollout().kv_block_size();
  if (config.rollout().kv_blocks() > 0) options.kv_blocks = config.rollout().kv_blocks();
  if (config.rollout().max_running_sequences() > 0) {
    options.max_running_sequences = config.rollout().max_running_sequences();
  }
  options.max_context = config.rollout().max_context();
  options.decoder = &decoder;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(std::move(*model), options);
  if (!engine.ok()) return engine.status();

  GenerationRequest request;
  request.n = 1;
  request.sampling = ToSamplingParams(config.eval().sampling(), config.sampling());
  for (size_t i = 0; i < examples->size(); ++i) {
    PromptInput input;
    input.id = absl::StrCat(i);
    input.token_ids = (*tokenizer)->Encode(formatter->Format((*examples)[i].prompt), false);
    request.prompts.push_back(std::move(input));
  }
  if (absl::Status st = (*engine)->Validate(request); !st.ok()) return st;

  absl::Mutex mu;
  std::vector<CompletionResult> done(examples->size());
  size_t finished = 0;
  absl::StatusOr<int64_t> id = (*engine)->Submit(std::move(request), [&](CompletionResult result) {
    absl::MutexLock lock(&mu);
    const int index = result.prompt_index;
    done[index] = std::move(result);
    ++finished;
  });
  if (!id.ok()) return id.status();
  (*engine)->Start();
  {
    absl::MutexLock lock(&mu);
    auto all_done = [&]() { return finished == examples->size(); };
    mu.Await(absl::Condition(&all_done));
  }
  (*engine)->Stop();

  EvalResult result;
  result.examples = static_cast<int64_t>(examples->size());
  double length = 0;
  for (size_t i = 0; i < examples->size(); ++i) {
    EvalSample s;
    s.prompt = (*examples)[i].prompt;
    s.ground_truth = (*examples)[i].ground_truth;
    s.response = done[i].text;
    VerifyInput input;
    input.response = s.response;
    input.ground_truth = s.ground_truth;
    absl::StatusOr<Judgement> j = (*reward)->Verify(input);
    if (j.ok()) {
      s.reward = j->reward;
      auto acc = j->components.find(accuracy_component);
      s.correct = acc != j->components.end() && acc->second >= kCorrect;
      auto fmt = j->components.find("format");
      s.formatted = fmt != j->components.end() && fmt->second > 0;
    }
    result.accuracy += s.correct ? 1 : 0;
    result.format_rate += s.formatted ? 1 : 0;
    result.reward_mean += s.reward;
    length += static_cast<double>(done[i].token_ids.size());
    result.samples.push_back(std::move(s));
  }
  if (result.examples > 0) {
    const double n = static_cast<double>(result.examples);
    result.accuracy /= n;
    result.format_rate /= n;
    result.reward_mean /= n;
    result.response_length_mean = length / n;
  }
  return result;
}

}  // namespace rlvr
