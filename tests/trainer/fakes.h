// Small in-process stand-ins for the trainer's collaborators: a context-free softmax policy
// over a tiny vocabulary (exact logprobs and gradients), rollout workers that sample from it,
// a verifier that rewards one letter, and a letter codec.
#ifndef RLVR_TESTS_TRAINER_FAKES_H_
#define RLVR_TESTS_TRAINER_FAKES_H_

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "core/checksum.h"
#include "core/rng.h"
#include "trainer/policy.h"
#include "trainer/rollout_client.h"
#include "trainer/verify_client.h"

namespace rlvr::testing {

inline constexpr int kVocab = 8;  // letters 'a'..'h'

// log softmax of logits.
inline std::vector<double> LogSoftmax(const std::vector<float>& logits) {
  double mx = logits[0];
  for (float l : logits) mx = std::max<double>(mx, l);
  double z = 0;
  for (float l : logits) z += std::exp(l - mx);
  std::vector<double> out(logits.size());
  for (size_t v = 0; v < logits.size(); ++v) out[v] = logits[v] - mx - std::log(z);
  return out;
}

// p(token) = softmax(logits)[token] at every position; Adam on the logits.
class TabularPolicy : public PolicyModel {
 public:
  explicit TabularPolicy(float beta1 = 0.9f, float beta2 = 0.999f)
      : logits_(kVocab, 0.0f),
        grad_(kVocab, 0.0f),
        m_(kVocab, 0.0f),
        v_(kVocab, 0.0f),
        beta1_(beta1),
        beta2_(beta2) {}

  absl::StatusOr<PolicyForward> Forward(const TrainBatch& batch, bool keep) override {
    const std::vector<double> lp = LogSoftmax(logits_);
    double h = 0;
    for (double l : lp) h -= std::exp(l) * l;
    PolicyForward f;
    f.logprobs.assign(batch.tokens.size(), 0.0f);
    f.entropy.assign(batch.tokens.size(), 0.0f);
    for (size_t s = 0; s + 1 < batch.cu_seqlens.size(); ++s) {
      for (int32_t t = batch.cu_seqlens[s] + 1; t < batch.cu_seqlens[s + 1]; ++t) {
        const int32_t tok = batch.tokens[t];
        if (tok < 0 || tok >= kVocab) return absl::InvalidArgumentError("token out of range");
        f.logprobs[t] = static_cast<float>(lp[tok]);
        f.entropy[t] = static_cast<float>(h);
      }
    }
    if (keep) kept_ = batch;
    return f;
  }

  absl::Status Backward(absl::Span<const float> dlogprobs) override {
    const std::vector<double> lp = LogSoftmax(logits_);
    for (size_t s = 0; s + 1 < kept_.cu_seqlens.size(); ++s) {
      for (int32_t t = kept_.cu_seqlens[s] + 1; t < kept_.cu_seqlens[s + 1]; ++t) {
        for (int v = 0; v < kVocab; ++v) {
          const double ind = v == kept_.tokens[t] ? 1.0 : 0.0;
          grad_[v] += static_cast<float>(dlogprobs[t] * (ind - std::exp(lp[v])));
        }
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<double> OptimizerStep(double lr) override {
    double norm = 0;
    for (float g : grad_) norm += static_cast<double>(g) * g;
    norm = std::sqrt(norm);
    ++steps_;
    for (int v = 0; v < kVocab; ++v) {
      m_[v] = beta1_ * m_[v] + (1 - beta1_) * grad_[v];
      v_[v] = beta2_ * v_[v] + (1 - beta2_) * grad_[v] * grad_[v];
      const double mh = m_[v] / (1 - std::pow(beta1_, steps_));
      const double vh = v_[v] / (1 - std::pow(beta2_, steps_));
      logits_[v] -= static_cast<float>(lr * mh / (std::sqrt(vh) + 1e-8));
      grad_[v] = 0;
    }
    return norm;
  }

  std::vector<NamedTensor> Parameters() override {
    return {{"logits", {kVocab}, absl::MakeSpan(logits_)}};
  }
  std::vector<NamedTensor> OptimizerState() override {
    return {{"exp_avg.logits", {kVocab}, absl::MakeSpan(m_)},
            {"exp_avg_sq.logits", {kVocab}, absl::MakeSpan(v_)}};
  }
  int64_t optimizer_steps() const override { return steps_; }
  void set_optimizer_steps(int64_t s) override { steps_ = s; }

  double Probability(int token) const { return std::exp(LogSoftmax(logits_)[token]); }
  std::vector<float>& logits() { return logits_; }

 private:
  std::vector<float> logits_, grad_, m_, v_;
  float beta1_, beta2_;
  int64_t steps_ = 0;
  TrainBatch kept_;
};

// Samples `length` tokens per completion from its copy of the logits. The random stream depends
// only on the request seed, prompt id and sample index, so any worker gives the same samples.
class FakeRolloutWorker : public RolloutWorker {
 public:
  FakeRolloutWorker(std::string name, int length, int fail_from_call = -1)
      : name_(std::move(name)),
        length_(length),
        fail_from_call_(fail_from_call),
        logits_(kVocab, 0.0f) {}

  std::string name() const override { return name_; }

  absl::StatusOr<std::vector<rlvr::v1::Completion>> Generate(
      const rlvr::v1::GenerateRequest& request) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    if (fail_from_call_ >= 0 && calls_ >= fail_from_call_) {
      return absl::UnavailableError(name_ + " is down");
    }
    const std::vector<double> lp = LogSoftmax(logits_);
    std::vector<rlvr::v1::Completion> out;
    for (const auto& p : request.prompts()) {
      uint64_t h = request.sampling().seed();
      for (char c : p.id()) h = h * 1099511628211ull + static_cast<unsigned char>(c);
      for (int i = 0; i < request.n(); ++i) {
        Rng rng = Rng(h).Fork(static_cast<uint64_t>(i));
        rlvr::v1::Completion c;
        c.set_prompt_id(p.id());
        c.set_sample_index(i);
        for (int t = 0; t < length_; ++t) {
          int tok = 0;
          if (request.sampling().temperature() == 0) {
            for (int v = 1; v < kVocab; ++v) {
              if (lp[v] > lp[tok]) tok = v;
            }
          } else {
            double u = rng.NextDouble(), acc = 0;
            tok = kVocab - 1;
            for (int v = 0; v < kVocab; ++v) {
              acc += std::exp(lp[v]);
              if (u < acc) {
                tok = v;
                break;
              }
            }
          }
          c.add_token_ids(tok);
          c.add_logprobs(static_cast<float>(lp[tok]));
        }
        c.set_finish_reason(rlvr::v1::LENGTH);
        c.set_weight_version(version_);
        ++samples_served_;
        out.push_back(std::move(c));
      }
    }
    return out;
  }

  absl::Status UpdateWeights(const std::vector<rlvr::v1::WeightChunk>& chunks) override {
    absl::MutexLock lock(&mu_);
    if (fail_from_call_ >= 0 && calls_ >= fail_from_call_) {
      return absl::UnavailableError(name_ + " is down");
    }
    std::string bytes;
    uint32_t checksum = 0;
    for (const auto& c : chunks) {
      if (c.tensor_name() != "logits") return absl::InvalidArgumentError("unknown tensor");
      if (c.offset() == 0) checksum = c.checksum();
      if (c.offset() != static_cast<int64_t>(bytes.size())) {
        return absl::InvalidArgumentError("chunk out of order");
      }
      bytes += c.data();
    }
    if (bytes.size() != kVocab * sizeof(float) || Crc32c(bytes) != checksum) {
      return absl::DataLossError("bad weights");
    }
    std::memcpy(logits_.data(), bytes.data(), bytes.size());
    version_ = chunks.empty() ? version_ : chunks.front().version();
    return absl::OkStatus();
  }

  absl::StatusOr<int64_t> WeightVersion() override {
    absl::MutexLock lock(&mu_);
    if (fail_from_call_ >= 0 && calls_ >= fail_from_call_) {
      return absl::UnavailableError(name_ + " is down");
    }
    return version_;
  }

  int64_t version() const {
    absl::MutexLock lock(&mu_);
    return version_;
  }
  int64_t samples_served() const {
    absl::MutexLock lock(&mu_);
    return samples_served_;
  }

 private:
  std::string name_;
  int length_;
  int fail_from_call_;
  mutable absl::Mutex mu_;
  std::vector<float> logits_;
  int64_t version_ = 0;
  int calls_ = 0;
  int64_t samples_served_ = 0;
};

// Letters: 'a' + id.
class LetterCodec : public TextCodec {
 public:
  std::vector<int32_t> Encode(const std::string& text) const override {
    std::vector<int32_t> ids;
    for (char c : text) {
      if (c >= 'a' && c < 'a' + kVocab) ids.push_back(c - 'a');
    }
    return ids;
  }
  std::string Decode(absl::Span<const int32_t> ids) const override {
    std::string s;
    for (int32_t id : ids) s.push_back(static_cast<char>('a' + id));
    return s;
  }
};

// reward 1 ("accuracy") when the response starts with the ground truth letter.
class FirstLetterVerifier : public VerifyClient {
 public:
  explicit FirstLetterVerifier(int fail_first = 0) : fail_first_(fail_first) {}
  std::string name() const override { return "fake-sandbox"; }
  absl::StatusOr<rlvr::v1::VerifyResponse> Verify(const rlvr::v1::VerifyRequest& request) override {
    absl::MutexLock lock(&mu_);
    if (calls_++ < fail_first_) return absl::UnavailableError("connection refused");
    rlvr::v1::VerifyResponse resp;
    for (const auto& item : request.items()) {
      auto* r = resp.add_results();
      r->set_id(item.id());
      r->set_status(rlvr::v1::VERIFY_OK);
      const bool ok = !item.response().empty() && !item.ground_truth().empty() &&
                      item.response()[0] == item.ground_truth()[0];
      r->set_reward(ok ? 1.0 : 0.0);
      (*r->mutable_components())["accuracy"] = ok ? 1.0 : 0.0;
    }
    return resp;
  }
  int calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  mutable absl::Mutex mu_;
  int fail_first_;
  int calls_ = 0;
};

}  // namespace rlvr::testing

#endif  // RLVR_TESTS_TRAINER_FAKES_H_
