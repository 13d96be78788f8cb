#include "rollout/service.h"

#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_format.h"
#include "core/tokenizer.h"
#include "rollout/weight_receiver.h"

namespace rlvr {
namespace {

// How often a Generate handler looks at its client's cancellation while no completion arrives.
constexpr absl::Duration kCancelPollInterval = absl::Milliseconds(50);

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

v1::FinishReason ToProto(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return v1::STOP;
    case FinishReason::kLength:
      return v1::LENGTH;
    case FinishReason::kAborted:
      return v1::ABORTED;
  }
  return v1::FINISH_REASON_UNSPECIFIED;
}

// Completions handed over by the engine thread to one Generate handler.
struct CompletionQueue {
  absl::Mutex mu;
  std::deque<CompletionResult> ready ABSL_GUARDED_BY(mu);
};

}  // namespace

absl::StatusOr<GenerationRequest> GenerationRequestFromProto(const v1::GenerateRequest& request,
                                                             const Tokenizer* tokenizer) {
  GenerationRequest out;
  out.n = request.n();
  for (int p = 0; p < request.prompts_size(); ++p) {
    const v1::Prompt& prompt = request.prompts(p);
    PromptInput input;
    input.id = prompt.id();
    if (prompt.token_ids_size() > 0) {
      input.token_ids.assign(prompt.token_ids().begin(), prompt.token_ids().end());
    } else if (!prompt.text().empty()) {
      if (tokenizer == nullptr) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "prompt %d ('%s') is text, and this rollout worker has no tokenizer configured; send "
            "token_ids",
            p, prompt.id()));
      }
      input.token_ids = tokenizer->Encode(prompt.text());
    }
    out.prompts.push_back(std::move(input));
  }
  const v1::SamplingConfig& s = request.sampling();
  out.sampling.temperature = s.temperature();
  out.sampling.top_p = s.top_p() == 0.0 ? 1.0 : s.top_p();
  out.sampling.top_k = s.top_k();
  out.sampling.min_p = s.min_p();
  out.sampling.max_new_tokens = s.max_new_tokens();
  out.sampling.stop_token_ids.assign(s.stop_token_ids().begin(), s.stop_token_ids().end());
  out.sampling.stop_strings.assign(s.stop_strings().begin(), s.stop_strings().end());
  out.sampling.seed = s.seed();
  return out;
}

v1::Completion CompletionToProto(const CompletionResult& result) {
  v1::Completion c;
  c.set_prompt_id(result.prompt_id);
  c.set_sample_index(result.sample_index);
  c.mutable_token_ids()->Assign(result.token_ids.begin(), result.token_ids.end());
  c.mutable_logprobs()->Assign(result.logprobs.begin(), result.logprobs.end());
  c.set_finish_reason(ToProto(result.finish_reason));
  c.set_weight_version(result.weight_version);
  c.set_text(result.text);
  return c;
}

RolloutService::RolloutService(Engine* engine, const Tokenizer* tokenizer)
    : engine_(engine), tokenizer_(tokenizer) {}

grpc::Status RolloutService::Generate(grpc::ServerContext* context,
                                      const v1::GenerateRequest* request,
                                      grpc::ServerWriter<v1::GenerateResponse>* writer) {
  {
    absl::MutexLock lock(&mu_);
    if (draining_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "rollout worker is shutting down");
    }
    ++active_generates_;
  }
  struct Leave {
    RolloutService* self;
    ~Leave() {
      absl::MutexLock lock(&self->mu_);
      --self->active_generates_;
    }
  } leave{this};

  absl::StatusOr<GenerationRequest> converted = GenerationRequestFromProto(*request, tokenizer_);
  if (!converted.ok()) return ToGrpc(converted.status());
  const size_t expected = converted->prompts.size() * static_cast<size_t>(converted->n);
  auto queue = std::make_shared<CompletionQueue>();
  absl::StatusOr<int64_t> id =
      engine_->Submit(*std::move(converted), [queue](CompletionResult result) {
        absl::MutexLock lock(&queue->mu);
        queue->ready.push_back(std::move(result));
      });
  if (!id.ok()) return ToGrpc(id.status());

  size_t sent = 0;
  while (sent < expected) {
    std::deque<CompletionResult> batch;
    {
      absl::MutexLock lock(&queue->mu);
      queue->mu.AwaitWithTimeout(
          absl::Condition(
              +[](std::deque<CompletionResult>* ready) { return !ready->empty(); }, &queue->ready),
          kCancelPollInterval);
      batch.swap(queue->ready);
    }
    if (context->IsCancelled()) {
      engine_->Cancel(*id);
      return grpc::Status(grpc::StatusCode::CANCELLED, "client cancelled the request");
    }
    for (CompletionResult& result : batch) {
      v1::GenerateResponse response;
      *response.add_completions() = CompletionToProto(result);
      if (!writer->Write(response)) {
        engine_->Cancel(*id);
        return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
      }
      ++sent;
    }
  }
  return grpc::Status::OK;
}

grpc::Status RolloutService::UpdateWeights(grpc::ServerContext* /*context*/,
                                           grpc::ServerReader<v1::WeightChunk>* reader,
                                           v1::UpdateAck* ack) {
  {
    absl::MutexLock lock(&mu_);
    if (receiving_update_) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "another weight update is being received; send one at a time");
    }
    receiving_update_ = true;
  }
  struct Leave {
    RolloutService* self;
    ~Leave() {
      absl::MutexLock lock(&self->mu_);
      self->receiving_update_ = false;
    }
  } leave{this};

  WeightReceiver receiver(engine_->parameter_specs());
  v1::WeightChunk chunk;
  while (reader->Read(&chunk)) {
    const bool first = !receiver.started();
    if (absl::Status s = receiver.Add(chunk); !s.ok()) return ToGrpc(s);
    if (first) {
      // Refuse a stale version before receiving the whole model.
      const int64_t active = engine_->Stats().weight_version;
      if (receiver.version() <= active) {
        return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                            absl::StrFormat("weight version %d is not newer than the active "
                                            "version %d",
                                            receiver.version(), active));
      }
    }
  }
  absl::StatusOr<WeightUpdate> update = receiver.Finish();
  if (!update.ok()) return ToGrpc(update.status());
  const int64_t version = update->version;
  const int tensors = static_cast<int>(update->params.size());

  struct Done {
    absl::Mutex mu;
    std::optional<absl::Status> status ABSL_GUARDED_BY(mu);
  };
  auto done = std::make_shared<Done>();
  engine_->RequestWeightUpdate(*std::move(update), [done](absl::Status s) {
    absl::MutexLock lock(&done->mu);
    done->status = std::move(s);
  });
  absl::MutexLock lock(&done->mu);
  done->mu.Await(absl::Condition(
      +[](std::optional<absl::Status>* s) { return s->has_value(); }, &done->status));
  if (!done->status->ok()) return ToGrpc(*done->status);
  ack->set_version(version);
  ack->set_tensors(tensors);
  return grpc::Status::OK;
}

grpc::Status RolloutService::GetStats(grpc::ServerContext* /*context*/,
                                      const v1::GetStatsRequest* /*request*/,
                                      v1::RolloutStats* stats) {
  const EngineStats s = engine_->Stats();
  stats->set_weight_version(s.weight_version);
  stats->set_running_sequences(s.running_sequences);
  stats->set_waiting_sequences(s.waiting_sequences);
  stats->set_kv_blocks_used(s.kv_blocks_used);
  stats->set_kv_blocks_total(s.kv_blocks_total);
  stats->set_tokens_per_second(s.tokens_per_second);
  stats->set_generated_tokens(s.generated_tokens);
  stats->set_kv_blocks_shared(s.kv_blocks_shared);
  stats->set_preemptions(s.preemptions);
  stats->set_weight_update_pending(s.weight_update_pending);
  return grpc::Status::OK;
}

void RolloutService::StartDrain() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
}

bool RolloutService::WaitForIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(
                                  +[](int* active) { return *active == 0; }, &active_generates_),
                              timeout);
}

}  // namespace rlvr
