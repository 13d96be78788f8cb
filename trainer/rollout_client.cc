#include "trainer/rollout_client.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <thread>

#include "absl/strings/str_format.h"
#include "core/checksum.h"

namespace rlvr {

std::vector<rlvr::v1::WeightChunk> ChunkWeights(int64_t version,
                                                absl::Span<const WeightTensorView> tensors,
                                                int64_t chunk_bytes) {
  std::vector<rlvr::v1::WeightChunk> chunks;
  if (chunk_bytes <= 0) chunk_bytes = kDefaultWeightChunkBytes;
  for (const WeightTensorView& t : tensors) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(t.data.data());
    const auto total = static_cast<int64_t>(t.data.size() * sizeof(float));
    int64_t offset = 0;
    do {
      const int64_t n = std::min(chunk_bytes, total - offset);
      rlvr::v1::WeightChunk c;
      c.set_version(version);
      c.set_tensor_name(t.name);
      c.set_offset(offset);
      if (offset == 0) {
        for (int64_t d : t.shape) c.add_shape(d);
        c.set_dtype("F32");
        c.set_total_bytes(total);
        c.set_checksum(TensorChecksum(absl::MakeConstSpan(bytes, static_cast<size_t>(total))));
      }
      c.set_data(reinterpret_cast<const char*>(bytes) + offset, static_cast<size_t>(n));
      chunks.push_back(std::move(c));
      offset += n;
    } while (offset < total);
  }
  return chunks;
}

RolloutFleet::RolloutFleet(std::vector<std::unique_ptr<RolloutWorker>> workers)
    : workers_(std::move(workers)), alive_(workers_.size(), true) {}

std::vector<int> RolloutFleet::LiveWorkers() const {
  absl::MutexLock lock(&mu_);
  std::vector<int> live;
  for (size_t w = 0; w < workers_.size(); ++w) {
    if (alive_[w]) live.push_back(static_cast<int>(w));
  }
  return live;
}

void RolloutFleet::MarkDead(int worker, int64_t prompts) {
  absl::MutexLock lock(&mu_);
  alive_[static_cast<size_t>(worker)] = false;
  ++stats_.failed_calls;
  stats_.redispatched_prompts += prompts;
}

FleetStats RolloutFleet::stats() const {
  absl::MutexLock lock(&mu_);
  FleetStats s = stats_;
  s.live_workers = static_cast<int>(std::count(alive_.begin(), alive_.end(), true));
  return s;
}

absl::StatusOr<std::vector<rlvr::v1::Completion>> RolloutFleet::Generate(
    const rlvr::v1::GenerateRequest& request) {
  const int n = request.n();
  std::map<std::string, int> prompt_pos;
  for (int i = 0; i < request.prompts_size(); ++i) {
    if (!prompt_pos.emplace(request.prompts(i).id(), i).second) {
      return absl::InvalidArgumentError(
          absl::StrFormat("rollout: duplicate prompt id '%s'", request.prompts(i).id()));
    }
  }
  std::vector<std::vector<rlvr::v1::Completion>> groups(request.prompts_size());
  std::vector<int> pending(request.prompts_size());
  for (int i = 0; i < request.prompts_size(); ++i) pending[i] = i;

  while (!pending.empty()) {
    const std::vector<int> live = LiveWorkers();
    if (live.empty()) {
      return absl::UnavailableError(
          absl::StrFormat("rollout: every rollout worker failed; %d prompts could not be generated",
                          pending.size()));
    }
    // Round-robin: prompt k of the pending list goes to live[k % live.size()].
    std::vector<std::vector<int>> assigned(live.size());
    for (size_t k = 0; k < pending.size(); ++k) assigned[k % live.size()].push_back(pending[k]);
    std::vector<absl::StatusOr<std::vector<rlvr::v1::Completion>>> results(
        live.size(), absl::UnknownError("not run"));
    std::vector<std::thread> threads;
    for (size_t j = 0; j < live.size(); ++j) {
      if (assigned[j].empty()) continue;
      threads.emplace_back([&, j] {
        rlvr::v1::GenerateRequest sub;
        sub.set_n(n);
        *sub.mutable_sampling() = request.sampling();
        for (int p : assigned[j]) *sub.add_prompts() = request.prompts(p);
        results[j] = workers_[live[j]]->Generate(sub);
      });
    }
    for (std::thread& t : threads) t.join();

    std::vector<int> next;
    for (size_t j = 0; j < live.size(); ++j) {
      if (assigned[j].empty()) continue;
      bool ok = results[j].ok();
      std::vector<std::vector<rlvr::v1::Completion>> got(assigned[j].size());
      if (ok) {
        std::map<int, size_t> slot;
        for (size_t a = 0; a < assigned[j].size(); ++a) slot[assigned[j][a]] = a;
        for (rlvr::v1::Completion& c : *results[j]) {
          auto it = prompt_pos.find(c.prompt_id());
          if (it == prompt_pos.end() || !slot.count(it->second)) {
            return absl::InternalError(absl::StrFormat(
                "rollout: worker %s returned a completion for prompt '%s' it was not sent",
                workers_[live[j]]->name(), c.prompt_id()));
          }
          got[slot[it->second]].push_back(std::move(c));
        }
        for (size_t a = 0; a < got.size(); ++a) {
          std::vector<bool> seen(static_cast<size_t>(std::max(n, 0)), false);
          for (const auto& c : got[a]) {
            if (c.sample_index() < 0 || c.sample_index() >= n || seen[c.sample_index()]) {
              ok = false;
              break;
            }
            seen[c.sample_index()] = true;
          }
          if (static_cast<int>(got[a].size()) != n) ok = false;
        }
      }
      if (!ok) {
        // Nothing of a failed call is kept, so no sample is counted twice.
        MarkDead(live[j], static_cast<int64_t>(assigned[j].size()));
        next.insert(next.end(), assigned[j].begin(), assigned[j].end());
        continue;
      }
      for (size_t a = 0; a < got.size(); ++a) {
        std::sort(got[a].begin(), got[a].end(),
                  [](const auto& x, const auto& y) { return x.sample_index() < y.sample_index(); });
        groups[assigned[j][a]] = std::move(got[a]);
      }
    }
    std::sort(next.begin(), next.end());
    pending = std::move(next);
  }
  std::vector<rlvr::v1::Completion> out;
  for (auto& g : groups) {
    for (auto& c : g) out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<int64_t> RolloutFleet::MaxWeightVersion() {
  int64_t best = -1;
  for (int w : LiveWorkers()) {
    absl::StatusOr<int64_t> v = workers_[static_cast<size_t>(w)]->WeightVersion();
    if (!v.ok()) {
      MarkDead(w, 0);
      continue;
    }
    best = std::max(best, *v);
  }
  if (best < 0) return absl::UnavailableError("no rollout worker answered GetStats");
  return best;
}

absl::Status RolloutFleet::PushWeights(int64_t version, absl::Span<const WeightTensorView> tensors,
                                       int64_t chunk_bytes) {
  const std::vector<rlvr::v1::WeightChunk> chunks = ChunkWeights(version, tensors, chunk_bytes);
  const std::vector<int> live = LiveWorkers();
  std::vector<absl::Status> results(live.size());
  std::vector<std::thread> threads;
  for (size_t j = 0; j < live.size(); ++j) {
    threads.emplace_back([&, j] { results[j] = workers_[live[j]]->UpdateWeights(chunks); });
  }
  for (std::thread& t : threads) t.join();
  int took = 0;
  absl::Status first_error;
  for (size_t j = 0; j < live.size(); ++j) {
    if (results[j].ok()) {
      ++took;
    } else {
      MarkDead(live[j], 0);
      if (first_error.ok()) first_error = results[j];
    }
  }
  if (took == 0) {
    return absl::UnavailableError(
        absl::StrFormat("weight push of version %d reached no rollout worker (%s)", version,
                        first_error.ok() ? "none alive" : std::string(first_error.message())));
  }
  return absl::OkStatus();
}

}  // namespace rlvr
