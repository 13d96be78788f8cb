#include "rollout/engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "absl/strings/str_format.h"

namespace rlvr {
namespace {

// Tokens per second is measured over this much recent activity.
constexpr absl::Duration kRateWindow = absl::Seconds(5);
// Samples one request may ask for (prompts x n): bounds the bookkeeping a request can cause.
constexpr int64_t kMaxSamplesPerRequest = int64_t{1} << 20;

}  // namespace

struct Engine::RequestState {
  int64_t id = 0;
  GenerationRequest request;
  CompletionCallback callback;
  int remaining = 0;     // unfinished samples; engine thread only
  bool dropped = false;  // cancellation processed; engine thread only

  absl::Mutex mu;
  bool cancelled ABSL_GUARDED_BY(mu) = false;

  void Deliver(CompletionResult result) {
    absl::MutexLock lock(&mu);
    if (!cancelled) callback(std::move(result));
  }
};

struct Engine::Sequence {
  std::shared_ptr<RequestState> request;
  int prompt_index = 0;
  int sample_index = 0;
  int prompt_len = 0;
  int max_new_tokens = 0;       // the effective limit for this sequence
  std::vector<int32_t> tokens;  // prompt + generated
  std::vector<float> logprobs;  // per generated token
  std::vector<int32_t> blocks;  // block table, position order
  int num_cached = 0;           // leading tokens whose K/V is in the cache
  int64_t weight_version = 0;
  uint64_t admission = 0;  // order of first admission; newest is preempted first
  std::string text;        // decoded generated tokens (with a decoder)
  absl::Time first_token_time = absl::InfinitePast();

  int generated() const { return static_cast<int>(tokens.size()) - prompt_len; }
  const SamplingParams& sampling() const { return request->request.sampling; }
};

// A prompt whose samples have not started (fresh), or one preempted sequence.
struct Engine::WaitingEntry {
  std::shared_ptr<RequestState> request;
  int prompt_index = 0;
  std::vector<int> sample_indices;    // fresh samples to start from the prompt
  std::unique_ptr<Sequence> resumed;  // set for a preempted sequence

  int num_samples() const {
    return resumed != nullptr ? 1 : static_cast<int>(sample_indices.size());
  }
};

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(std::unique_ptr<DecodeModel> model,
                                                       const EngineOptions& options) {
  if (model == nullptr) return absl::InvalidArgumentError("engine needs a model");
  if (options.kv_block_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("kv_block_size must be positive, got %d", options.kv_block_size));
  }
  if (options.kv_blocks <= 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("kv_blocks must be positive, got %d", options.kv_blocks));
  }
  if (options.max_running_sequences <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_running_sequences must be positive, got %d", options.max_running_sequences));
  }
  if (options.max_waiting_sequences < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_waiting_sequences must be >= 0 (0: no limit), got %d", options.max_waiting_sequences));
  }
  if (options.max_context < 0 || options.max_context > model->max_positions()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_context %d is outside [0, %d] (0 = the model's maximum)",
                        options.max_context, model->max_positions()));
  }
  if (absl::Status s = model->InitKvCache(options.kv_blocks, options.kv_block_size); !s.ok()) {
    return s;
  }
  return std::unique_ptr<Engine>(new Engine(std::move(model), options));
}

Engine::Engine(std::unique_ptr<DecodeModel> model, const EngineOptions& options)
    : options_(options),
      model_(std::move(model)),
      vocab_size_(model_->vocab_size()),
      max_context_(options.max_context > 0 ? options.max_context : model_->max_positions()),
      specs_(model_->ParameterSpecs()),
      allocator_(options.kv_blocks),
      weight_version_(options.initial_weight_version) {
  PublishStats();
}

Engine::~Engine() { Stop(); }

absl::Status Engine::Validate(const GenerationRequest& request) const {
  if (request.prompts.empty()) return absl::InvalidArgumentError("request has no prompts");
  if (request.n < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("n (samples per prompt) must be at least 1, got %d", request.n));
  }
  const int64_t samples = static_cast<int64_t>(request.prompts.size()) * request.n;
  if (samples > kMaxSamplesPerRequest) {
    return absl::InvalidArgumentError(
        absl::StrFormat("request asks for %d prompts x n=%d = %d samples; the limit is %d",
                        request.prompts.size(), request.n, samples, kMaxSamplesPerRequest));
  }
  const SamplingParams& s = request.sampling;
  if (!(s.temperature >= 0.0) || !std::isfinite(s.temperature)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("temperature must be finite and >= 0, got %g", s.temperature));
  }
  if (!(s.top_p > 0.0 && s.top_p <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat("top_p must be in (0, 1], got %g", s.top_p));
  }
  if (s.top_k < 0) {
    return absl::InvalidArgumentError(absl::StrFormat("top_k must be >= 0, got %d", s.top_k));
  }
  if (!(s.min_p >= 0.0 && s.min_p <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat("min_p must be in [0, 1], got %g", s.min_p));
  }
  if (s.max_new_tokens < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("max_new_tokens must be >= 0, got %d", s.max_new_tokens));
  }
  if (!s.stop_strings.empty() && options_.decoder == nullptr) {
    return absl::InvalidArgumentError(
        "stop_strings need a tokenizer, and this rollout worker has none configured");
  }
  for (size_t p = 0; p < request.prompts.size(); ++p) {
    const PromptInput& prompt = request.prompts[p];
    const int len = static_cast<int>(prompt.token_ids.size());
    if (len == 0) {
      return absl::InvalidArgumentError(absl::StrFormat("prompt %d ('%s') is empty", p, prompt.id));
    }
    if (len >= max_context_) {
      return absl::InvalidArgumentError(
          absl::StrFormat("prompt %d ('%s') has %d tokens; the context is %d tokens and at least "
                          "one must be left for the completion",
                          p, prompt.id, len, max_context_));
    }
    for (int i = 0; i < len; ++i) {
      const int32_t id = prompt.token_ids[i];
      if (id < 0 || id >= vocab_size_) {
        return absl::InvalidArgumentError(
            absl::StrFormat("prompt %d ('%s'): token %d at position %d is outside the vocabulary "
                            "[0, %d)",
                            p, prompt.id, id, i, vocab_size_));
      }
    }
    if (s.max_new_tokens > 0 && len + s.max_new_tokens > max_context_) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "prompt %d ('%s'): %d prompt tokens + max_new_tokens %d exceed the context of %d tokens",
          p, prompt.id, len, s.max_new_tokens, max_context_));
    }
    const int total = s.max_new_tokens > 0 ? len + s.max_new_tokens : max_context_;
    if (BlocksForTokens(total, options_.kv_block_size) > options_.kv_blocks) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "prompt %d ('%s'): a sequence of %d tokens needs %d KV blocks, the pool has %d", p,
          prompt.id, total, BlocksForTokens(total, options_.kv_block_size), options_.kv_blocks));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Engine::Submit(GenerationRequest request, CompletionCallback callback) {
  if (absl::Status s = Validate(request); !s.ok()) return s;
  auto state = std::make_shared<RequestState>();
  state->request = std::move(request);
  state->callback = std::move(callback);
  const int64_t samples = static_cast<int64_t>(state->request.prompts.size()) * state->request.n;
  state->remaining = static_cast<int>(samples);
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError("the rollout engine is shutting down");
  if (options_.max_waiting_sequences > 0 &&
      outstanding_samples_ + samples > options_.max_waiting_sequences) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("queue full: %d samples outstanding, request adds %d, limit %d",
                        outstanding_samples_, samples, options_.max_waiting_sequences));
  }
  outstanding_samples_ += samples;
  state->id = next_request_id_++;
  new_requests_.emplace_back(state->id, state);
  live_[state->id] = state;
  wake_.Signal();
  return state->id;
}

void Engine::Cancel(int64_t request_id) {
  std::shared_ptr<RequestState> state;
  {
    absl::MutexLock lock(&mu_);
    auto it = live_.find(request_id);
    if (it == live_.end()) return;
    state = it->second;
    cancelled_.push_back(request_id);
    wake_.Signal();
  }
  absl::MutexLock lock(&state->mu);
  state->cancelled = true;
}

void Engine::RequestWeightUpdate(WeightUpdate update, std::function<void(absl::Status)> done) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      refused = absl::UnavailableError("the rollout engine is shutting down");
    } else if (stats_.weight_update_pending) {
      refused = absl::FailedPreconditionError(
          "another weight update is still waiting to become active; retry after it is acked");
    } else if (update.version <= stats_.weight_version) {
      refused = absl::FailedPreconditionError(
          absl::StrFormat("weight version %d is not newer than the active version %d",
                          update.version, stats_.weight_version));
    } else {
      stats_.weight_update_pending = true;
      new_update_ = PendingUpdate{std::move(update), std::move(done)};
      wake_.Signal();
      return;
    }
  }
  done(refused);
}

EngineStats Engine::Stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void Engine::Start() {
  absl::MutexLock lock(&mu_);
  if (loop_running_ || stopping_) return;
  loop_running_ = true;
  loop_ = std::thread([this] { Loop(); });
}

void Engine::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    wake_.Signal();
  }
  if (loop_.joinable()) loop_.join();
  AbortEverything();
}

void Engine::Loop() {
  bool busy = false;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      while (!stopping_ && !busy && new_requests_.empty() && cancelled_.empty() &&
             !new_update_.has_value()) {
        wake_.Wait(&mu_);
      }
      if (stopping_) return;
    }
    busy = Step();
  }
}

bool Engine::Step() {
  TakeInbox();
  MaybeApplyWeightUpdate();
  const uint64_t admissions_before = admissions_;
  const size_t waiting_before = waiting_.size();
  Admit();
  const bool admitted = admissions_ != admissions_before || waiting_.size() != waiting_before;
  const bool decoded = !running_.empty();
  DecodeRunning();
  if (admitted || decoded) ++steps_;
  PublishStats();
  return admitted || decoded;
}

void Engine::TakeInbox() {
  std::vector<std::pair<int64_t, std::shared_ptr<RequestState>>> requests;
  std::vector<int64_t> cancelled;
  {
    absl::MutexLock lock(&mu_);
    requests.swap(new_requests_);
    cancelled.swap(cancelled_);
    if (new_update_.has_value()) {
      update_ = std::move(new_update_);
      new_update_.reset();
    }
  }
  for (auto& [id, state] : requests) {
    for (int p = 0; p < static_cast<int>(state->request.prompts.size()); ++p) {
      WaitingEntry entry;
      entry.request = state;
      entry.prompt_index = p;
      for (int k = 0; k < state->request.n; ++k) entry.sample_indices.push_back(k);
      waiting_.push_back(std::move(entry));
    }
  }
  for (int64_t id : cancelled) DropRequest(id);
}

void Engine::DropRequest(int64_t request_id) {
  std::shared_ptr<RequestState> state;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->request->id == request_id) {
      state = it->request;
      if (it->resumed != nullptr) ReleaseBlocks(it->resumed.get());
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = running_.begin(); it != running_.end();) {
    if ((*it)->request->id == request_id) {
      state = (*it)->request;
      ReleaseBlocks(it->get());
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
  if (state == nullptr || state->dropped) return;
  state->dropped = true;
  absl::MutexLock lock(&mu_);
  outstanding_samples_ -= state->remaining;
  live_.erase(request_id);
}

void Engine::ReleaseBlocks(Sequence* seq) {
  for (int32_t b : seq->blocks) allocator_.Release(b);
  seq->blocks.clear();
  seq->num_cached = 0;
}

void Engine::MaybeApplyWeightUpdate() {
  if (!update_.has_value()) return;
  if (options_.abort_in_flight_on_update) {
    // Started sequences restart from their prompt on the new weights, ahead of new prompts, in
    // admission order.
    std::vector<std::unique_ptr<Sequence>> restart;
    for (auto& seq : running_) restart.push_back(std::move(seq));
    running_.clear();
    std::deque<WaitingEntry> rest;
    for (WaitingEntry& entry : waiting_) {
      if (entry.resumed != nullptr) {
        restart.push_back(std::move(entry.resumed));
      } else {
        rest.push_back(std::move(entry));
      }
    }
    std::sort(restart.begin(), restart.end(),
              [](const auto& a, const auto& b) { return a->admission < b->admission; });
    waiting_.clear();
    for (auto& seq : restart) {
      ReleaseBlocks(seq.get());
      WaitingEntry entry;
      entry.request = seq->request;
      entry.prompt_index = seq->prompt_index;
      entry.sample_indices.push_back(seq->sample_index);
      waiting_.push_back(std::move(entry));
    }
    for (WaitingEntry& entry : rest) waiting_.push_back(std::move(entry));
  } else {
    // Wait until every started sequence has finished on the old weights.
    if (!running_.empty()) return;
    for (const WaitingEntry& entry : waiting_) {
      if (entry.resumed != nullptr) return;
    }
  }
  PendingUpdate pending = std::move(*update_);
  update_.reset();
  absl::Status status = model_->SetParameters(pending.update.params);
  if (status.ok()) weight_version_ = pending.update.version;
  {
    absl::MutexLock lock(&mu_);
    stats_.weight_update_pending = false;
    stats_.weight_version = weight_version_;
  }
  pending.done(status);
}

void Engine::Admit() {
  const int block_size = options_.kv_block_size;
  const bool hold_new = update_.has_value() && !options_.abort_in_flight_on_update;
  struct Admitted {
    WaitingEntry entry;
    std::vector<int32_t> blocks;
    int prefill_len = 0;
  };
  std::vector<Admitted> admitted;
  int slots = options_.max_running_sequences - static_cast<int>(running_.size());
  while (!waiting_.empty() && slots > 0) {
    WaitingEntry& front = waiting_.front();
    Admitted a;
    if (front.resumed != nullptr) {
      // Recompute the cache for everything but the last token, which the next decode step
      // feeds; keep a block for that step.
      a.prefill_len = static_cast<int>(front.resumed->tokens.size()) - 1;
      if (BlocksForTokens(a.prefill_len + 1, block_size) > allocator_.num_free()) break;
      a.entry = std::move(front);
      waiting_.pop_front();
      slots -= 1;
    } else {
      if (hold_new) break;
      a.prefill_len =
          static_cast<int>(front.request->request.prompts[front.prompt_index].token_ids.size());
      // Room for the prompt and every sample's first decode step: a fresh block each when the
      // prompt fills its last block, else a copy of that block for all samples but one.
      const int prompt_blocks = BlocksForTokens(a.prefill_len, block_size);
      const int shared_tail = a.prefill_len % block_size != 0 ? 1 : 0;
      const int k = std::min(
          {front.num_samples(), slots, allocator_.num_free() - prompt_blocks + shared_tail});
      if (k <= 0) break;
      a.entry.request = front.request;
      a.entry.prompt_index = front.prompt_index;
      a.entry.sample_indices.assign(front.sample_indices.begin(), front.sample_indices.begin() + k);
      front.sample_indices.erase(front.sample_indices.begin(), front.sample_indices.begin() + k);
      if (front.sample_indices.empty()) waiting_.pop_front();
      slots -= k;
    }
    for (int i = 0; i < BlocksForTokens(a.prefill_len, block_size); ++i) {
      a.blocks.push_back(*allocator_.Allocate());
    }
    admitted.push_back(std::move(a));
  }
  if (admitted.empty()) return;

  std::vector<SequenceChunk> chunks;
  for (const Admitted& a : admitted) {
    const std::vector<int32_t>& tokens =
        a.entry.resumed != nullptr
            ? a.entry.resumed->tokens
            : a.entry.request->request.prompts[a.entry.prompt_index].token_ids;
    chunks.push_back(SequenceChunk{absl::MakeConstSpan(tokens.data(), a.prefill_len), 0,
                                   absl::MakeConstSpan(a.blocks)});
  }
  logits_.resize(static_cast<size_t>(chunks.size()) * vocab_size_);
  const absl::Status status = model_->Prefill(chunks, logits_.data());
  if (!status.ok()) {
    std::fprintf(stderr, "rollout: prefill failed: %s\n", status.ToString().c_str());
  }

  for (size_t i = 0; i < admitted.size(); ++i) {
    Admitted& a = admitted[i];
    if (a.entry.resumed != nullptr) {
      std::unique_ptr<Sequence> seq = std::move(a.entry.resumed);
      seq->blocks = std::move(a.blocks);
      seq->num_cached = a.prefill_len;
      if (!status.ok()) {
        Finish(std::move(seq), FinishReason::kAborted);
        continue;
      }
      auto pos = std::upper_bound(
          running_.begin(), running_.end(), seq->admission,
          [](uint64_t adm, const std::unique_ptr<Sequence>& s) { return adm < s->admission; });
      running_.insert(pos, std::move(seq));
      continue;
    }
    const PromptInput& prompt = a.entry.request->request.prompts[a.entry.prompt_index];
    const absl::Span<const float> row(logits_.data() + i * vocab_size_, vocab_size_);
    for (size_t k = 0; k < a.entry.sample_indices.size(); ++k) {
      auto seq = std::make_unique<Sequence>();
      seq->request = a.entry.request;
      seq->prompt_index = a.entry.prompt_index;
      seq->sample_index = a.entry.sample_indices[k];
      seq->prompt_len = static_cast<int>(prompt.token_ids.size());
      const int limit = seq->sampling().max_new_tokens;
      seq->max_new_tokens = limit > 0 ? limit : max_context_ - seq->prompt_len;
      seq->tokens = prompt.token_ids;
      seq->weight_version = weight_version_;
      seq->admission = admissions_++;
      // The samples share the prompt's blocks (the admission's own reference is dropped below).
      seq->blocks = a.blocks;
      for (int32_t b : a.blocks) allocator_.AddRef(b);
      seq->num_cached = a.prefill_len;
      if (!status.ok()) {
        Finish(std::move(seq), FinishReason::kAborted);
        continue;
      }
      const double u = CounterUniform(seq->sampling().seed,
                                      SampleStream(seq->prompt_index, seq->sample_index), 0);
      const SampledToken sampled = sampler_.Sample(row, seq->sampling(), u);
      if (std::optional<FinishReason> reason = AppendToken(seq.get(), sampled)) {
        Finish(std::move(seq), *reason);
        continue;
      }
      running_.push_back(std::move(seq));
    }
    for (int32_t b : a.blocks) allocator_.Release(b);
  }
}

bool Engine::EnsureWritableSlot(Sequence* seq) {
  const int block_size = options_.kv_block_size;
  const int pos = seq->num_cached;
  const size_t index = pos / block_size;
  if (index == seq->blocks.size()) {
    std::optional<int32_t> block = allocator_.Allocate();
    if (!block.has_value()) return false;
    seq->blocks.push_back(*block);
    return true;
  }
  const int32_t shared = seq->blocks[index];
  if (allocator_.RefCount(shared) == 1) return true;
  // Copy-on-write: another sample still reads this block.
  std::optional<int32_t> copy = allocator_.Allocate();
  if (!copy.has_value()) return false;
  model_->CopyKvBlock(shared, *copy, pos % block_size);
  allocator_.Release(shared);
  seq->blocks[index] = *copy;
  return true;
}

void Engine::Preempt(std::unique_ptr<Sequence> seq) {
  ReleaseBlocks(seq.get());
  ++preemptions_;
  WaitingEntry entry;
  entry.request = seq->request;
  entry.prompt_index = seq->prompt_index;
  entry.resumed = std::move(seq);
  waiting_.push_front(std::move(entry));
}

void Engine::DecodeRunning() {
  // Give every sequence a private slot for its next position, preempting the newest sequences
  // while the pool is short.
  for (size_t i = 0; i < running_.size();) {
    if (EnsureWritableSlot(running_[i].get())) {
      ++i;
      continue;
    }
    std::unique_ptr<Sequence> victim = std::move(running_.back());
    running_.pop_back();
    Preempt(std::move(victim));
  }
  if (running_.empty()) return;

  std::vector<SequenceChunk> chunks;
  chunks.reserve(running_.size());
  for (const auto& seq : running_) {
    chunks.push_back(SequenceChunk{absl::MakeConstSpan(seq->tokens.data() + seq->num_cached, 1),
                                   seq->num_cached, absl::MakeConstSpan(seq->blocks)});
  }
  logits_.resize(static_cast<size_t>(chunks.size()) * vocab_size_);
  const absl::Status status = model_->Decode(chunks, logits_.data());
  if (!status.ok()) {
    std::fprintf(stderr, "rollout: decode failed: %s\n", status.ToString().c_str());
  }

  std::vector<std::unique_ptr<Sequence>> still_running;
  still_running.reserve(running_.size());
  for (size_t i = 0; i < running_.size(); ++i) {
    std::unique_ptr<Sequence> seq = std::move(running_[i]);
    if (!status.ok()) {
      Finish(std::move(seq), FinishReason::kAborted);
      continue;
    }
    seq->num_cached += 1;
    const absl::Span<const float> row(logits_.data() + i * vocab_size_, vocab_size_);
    const double u = CounterUniform(
        seq->sampling().seed, SampleStream(seq->prompt_index, seq->sample_index), seq->generated());
    const SampledToken sampled = sampler_.Sample(row, seq->sampling(), u);
    if (std::optional<FinishReason> reason = AppendToken(seq.get(), sampled)) {
      Finish(std::move(seq), *reason);
      continue;
    }
    still_running.push_back(std::move(seq));
  }
  running_ = std::move(still_running);
}

std::optional<FinishReason> Engine::AppendToken(Sequence* seq, const SampledToken& sampled) {
  if (seq->generated() == 0) seq->first_token_time = absl::Now();
  seq->tokens.push_back(sampled.token);
  seq->logprobs.push_back(sampled.logprob);
  ++generated_tokens_;
  const SamplingParams& params = seq->sampling();
  bool stop = IsStopToken(sampled.token, params.stop_token_ids);
  if (options_.decoder != nullptr) {
    const size_t checked = seq->text.size();
    seq->text += options_.decoder->TokenBytes(sampled.token);
    stop = stop || EndsInNewStopString(seq->text, checked, params.stop_strings);
  }
  if (stop) return FinishReason::kStop;
  if (seq->generated() >= seq->max_new_tokens) return FinishReason::kLength;
  return std::nullopt;
}

void Engine::Finish(std::unique_ptr<Sequence> seq, FinishReason reason) {
  ReleaseBlocks(seq.get());
  {
    // A client that sees its last completion must also see the blocks it held as free.
    absl::MutexLock lock(&mu_);
    stats_.kv_blocks_used = allocator_.num_used();
    stats_.kv_blocks_shared = allocator_.num_shared();
  }
  RequestState& request = *seq->request;
  CompletionResult result;
  result.prompt_id = request.request.prompts[seq->prompt_index].id;
  result.prompt_index = seq->prompt_index;
  result.sample_index = seq->sample_index;
  result.token_ids.assign(seq->tokens.begin() + seq->prompt_len, seq->tokens.end());
  result.logprobs = std::move(seq->logprobs);
  result.finish_reason = reason;
  result.weight_version = seq->weight_version;
  result.text = std::move(seq->text);
  result.first_token_time = seq->first_token_time;
  request.Deliver(std::move(result));
  request.remaining -= 1;
  absl::MutexLock lock(&mu_);
  outstanding_samples_ -= 1;
  if (request.remaining == 0) live_.erase(request.id);
}

void Engine::AbortEverything() {
  // Sequences that started return what they have; prompts that never started return empty.
  std::vector<std::unique_ptr<Sequence>> running = std::move(running_);
  running_.clear();
  for (auto& seq : running) Finish(std::move(seq), FinishReason::kAborted);
  TakeInbox();
  while (!waiting_.empty()) {
    WaitingEntry entry = std::move(waiting_.front());
    waiting_.pop_front();
    if (entry.resumed != nullptr) {
      Finish(std::move(entry.resumed), FinishReason::kAborted);
      continue;
    }
    const PromptInput& prompt = entry.request->request.prompts[entry.prompt_index];
    for (int k : entry.sample_indices) {
      auto seq = std::make_unique<Sequence>();
      seq->request = entry.request;
      seq->prompt_index = entry.prompt_index;
      seq->sample_index = k;
      seq->prompt_len = static_cast<int>(prompt.token_ids.size());
      seq->tokens = prompt.token_ids;
      seq->weight_version = weight_version_;
      Finish(std::move(seq), FinishReason::kAborted);
    }
  }
  if (update_.has_value()) {
    update_->done(absl::UnavailableError("the rollout engine stopped before the update applied"));
    update_.reset();
  }
  PublishStats();
}

void Engine::PublishStats() {
  const absl::Time now = absl::Now();
  rate_window_.emplace_back(now, generated_tokens_);
  while (rate_window_.size() > 2 && rate_window_.front().first < now - kRateWindow) {
    rate_window_.pop_front();
  }
  double rate = 0;
  const double dt = absl::ToDoubleSeconds(now - rate_window_.front().first);
  if (dt > 0) rate = (generated_tokens_ - rate_window_.front().second) / dt;
  int waiting = 0;
  for (const WaitingEntry& entry : waiting_) waiting += entry.num_samples();
  absl::MutexLock lock(&mu_);
  stats_.weight_version = weight_version_;
  stats_.running_sequences = static_cast<int>(running_.size());
  stats_.waiting_sequences = waiting;
  stats_.kv_blocks_used = allocator_.num_used();
  stats_.kv_blocks_total = allocator_.num_blocks();
  stats_.kv_blocks_shared = allocator_.num_shared();
  stats_.generated_tokens = generated_tokens_;
  stats_.tokens_per_second = rate;
  stats_.preemptions = preemptions_;
  stats_.steps = steps_;
}

}  // namespace rlvr
