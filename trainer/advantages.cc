#include "trainer/advantages.h"

#include <cmath>
#include <cstddef>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace rlvr {
namespace {

struct GroupStats {
  double sum = 0;
  double sum_sq_dev = 0;
  int64_t count = 0;
  double mean = 0;
};

}  // namespace

AdvantageOptions AdvantageOptionsFromConfig(const rlvr::v1::AlgorithmConfig& config) {
  AdvantageOptions options;
  options.estimator = config.advantage() == rlvr::v1::ADVANTAGE_ESTIMATOR_UNSPECIFIED
                          ? rlvr::v1::GRPO
                          : config.advantage();
  options.eps = config.advantage_eps() > 0 ? config.advantage_eps() : kDefaultAdvantageEps;
  return options;
}

absl::StatusOr<std::vector<double>> ComputeAdvantages(const RewardBatch& batch,
                                                      const AdvantageOptions& options) {
  const size_t n = batch.rewards.size();
  if (batch.group_of.size() != n) {
    return absl::InvalidArgumentError(
        absl::StrFormat("advantages: %d rewards but %d group ids", n, batch.group_of.size()));
  }
  if (!batch.response_tokens.empty() && batch.response_tokens.size() != n) {
    return absl::InvalidArgumentError(absl::StrFormat("advantages: %d rewards but %d token counts",
                                                      n, batch.response_tokens.size()));
  }
  if (options.eps < 0) {
    return absl::InvalidArgumentError("advantages: eps must be >= 0");
  }
  if (!batch.unjudged.empty()) {
    if (batch.unjudged.size() != n) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "advantages: %d rewards but %d unjudged flags", n, batch.unjudged.size()));
    }
    std::map<int64_t, std::pair<int64_t, int64_t>> sizes;  // group -> (all, judged)
    for (size_t i = 0; i < n; ++i) {
      auto& [all, judged] = sizes[batch.group_of[i]];
      ++all;
      judged += batch.unjudged[i] ? 0 : 1;
    }
    RewardBatch kept;
    std::vector<size_t> where;
    for (size_t i = 0; i < n; ++i) {
      const auto& [all, judged] = sizes[batch.group_of[i]];
      if (batch.unjudged[i] || (judged < 2 && all >= 2)) continue;
      where.push_back(i);
      kept.rewards.push_back(batch.rewards[i]);
      kept.group_of.push_back(batch.group_of[i]);
      if (!batch.response_tokens.empty()) kept.response_tokens.push_back(batch.response_tokens[i]);
    }
    std::vector<double> adv(n, 0.0);
    if (where.empty()) return adv;
    absl::StatusOr<std::vector<double>> kept_adv = ComputeAdvantages(kept, options);
    if (!kept_adv.ok()) return kept_adv.status();
    for (size_t k = 0; k < where.size(); ++k) adv[where[k]] = (*kept_adv)[k];
    return adv;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(batch.rewards[i])) {
      return absl::InvalidArgumentError(absl::StrFormat("advantages: reward %d is not finite", i));
    }
  }

  // Two passes per group: mean, then squared deviations (stable for large offsets).
  std::map<int64_t, GroupStats> groups;
  for (size_t i = 0; i < n; ++i) {
    GroupStats& g = groups[batch.group_of[i]];
    g.sum += batch.rewards[i];
    ++g.count;
  }
  for (auto& [id, g] : groups) g.mean = g.sum / static_cast<double>(g.count);
  for (size_t i = 0; i < n; ++i) {
    GroupStats& g = groups[batch.group_of[i]];
    const double d = batch.rewards[i] - g.mean;
    g.sum_sq_dev += d * d;
  }

  std::vector<double> adv(n);
  switch (options.estimator) {
    case rlvr::v1::GRPO:
      for (size_t i = 0; i < n; ++i) {
        const GroupStats& g = groups[batch.group_of[i]];
        if (g.count == 1) {
          adv[i] = batch.rewards[i];
          continue;
        }
        const double std = std::sqrt(g.sum_sq_dev / static_cast<double>(g.count - 1));
        adv[i] = (batch.rewards[i] - g.mean) / (std + options.eps);
      }
      return adv;
    case rlvr::v1::DR_GRPO:
      for (size_t i = 0; i < n; ++i) {
        const GroupStats& g = groups[batch.group_of[i]];
        adv[i] = g.count == 1 ? batch.rewards[i] : batch.rewards[i] - g.mean;
      }
      return adv;
    case rlvr::v1::RLOO:
      for (size_t i = 0; i < n; ++i) {
        const GroupStats& g = groups[batch.group_of[i]];
        if (g.count < 2) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "advantages: RLOO needs at least 2 responses per prompt; group %d has 1",
              batch.group_of[i]));
        }
        const double others_mean = (g.sum - batch.rewards[i]) / static_cast<double>(g.count - 1);
        adv[i] = batch.rewards[i] - others_mean;
      }
      return adv;
    case rlvr::v1::REINFORCE_PLUS_PLUS: {
      double weight_sum = 0;
      double weighted_sum = 0;
      for (size_t i = 0; i < n; ++i) {
        const GroupStats& g = groups[batch.group_of[i]];
        adv[i] = g.count == 1 ? batch.rewards[i] : batch.rewards[i] - g.mean;
        const int64_t w = batch.response_tokens.empty() ? 1 : batch.response_tokens[i];
        if (w < 0) {
          return absl::InvalidArgumentError(
              absl::StrFormat("advantages: response %d has a negative token count", i));
        }
        weight_sum += static_cast<double>(w);
        weighted_sum += static_cast<double>(w) * adv[i];
      }
      if (weight_sum == 0) return adv;
      const double mean = weighted_sum / weight_sum;
      double sq = 0;
      for (size_t i = 0; i < n; ++i) {
        const int64_t w = batch.response_tokens.empty() ? 1 : batch.response_tokens[i];
        sq += static_cast<double>(w) * (adv[i] - mean) * (adv[i] - mean);
      }
      // Unbiased over tokens; a batch of one token has no spread to remove.
      const double var = weight_sum > 1 ? sq / (weight_sum - 1) : 0.0;
      const double scale = 1.0 / std::sqrt(var + kWhitenVarianceEps);
      for (size_t i = 0; i < n; ++i) adv[i] = (adv[i] - mean) * scale;
      return adv;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrFormat("advantages: unsupported estimator %s",
                          rlvr::v1::AdvantageEstimator_Name(options.estimator)));
  }
}

absl::StatusOr<std::vector<double>> GroupAdvantages(absl::Span<const double> rewards,
                                                    int group_size,
                                                    const AdvantageOptions& options) {
  if (group_size <= 0 || rewards.size() % static_cast<size_t>(group_size) != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "advantages: %d rewards do not split into groups of %d", rewards.size(), group_size));
  }
  RewardBatch batch;
  batch.rewards.assign(rewards.begin(), rewards.end());
  batch.group_of.resize(rewards.size());
  for (size_t i = 0; i < rewards.size(); ++i) {
    batch.group_of[i] = static_cast<int64_t>(i / static_cast<size_t>(group_size));
  }
  return ComputeAdvantages(batch, options);
}

}  // namespace rlvr
