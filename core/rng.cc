#include "core/rng.h"

#include <cassert>
#include <cmath>
#include <numbers>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace rlvr {
namespace {

constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15;  // SplitMix64 increment
constexpr std::string_view kStatePrefix = "xoshiro256**:";

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (uint64_t& word : s_) {
    x += kGoldenGamma;
    word = Mix64(x);
  }
}

uint64_t Rng::NextU64() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint32_t Rng::NextU32() { return static_cast<uint32_t>(NextU64() >> 32); }

double Rng::NextDouble() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

uint64_t Rng::UniformInt(uint64_t n) {
  assert(n > 0 && "UniformInt needs a non-empty range");
  // Accept r only from the largest multiple of n that fits in 2^64, so every residue is equally
  // likely; threshold = 2^64 mod n.
  const uint64_t threshold = (0 - n) % n;
  for (;;) {
    const uint64_t r = NextU64();
    if (r >= threshold) return r % n;
  }
}

double Rng::Normal() {
  const double u1 = 1.0 - NextDouble();  // (0, 1]: log stays finite
  const double u2 = NextDouble();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

Rng Rng::Fork(uint64_t stream_id) const {
  // A chain of bijections in stream_id, so distinct ids give distinct seeds.
  uint64_t seed = Mix64(stream_id);
  for (uint64_t word : s_) seed = Mix64(seed ^ word);
  return Rng(seed);
}

absl::StatusOr<Rng> Rng::FromState(const State& state) {
  if (state == State{}) {
    return absl::InvalidArgumentError("an all-zero xoshiro256** state is invalid");
  }
  Rng rng;
  rng.s_ = state;
  return rng;
}

std::string Rng::SerializeState() const {
  return absl::StrFormat("xoshiro256**:%016x,%016x,%016x,%016x", s_[0], s_[1], s_[2], s_[3]);
}

absl::StatusOr<Rng> Rng::FromSerializedState(std::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bad RNG state '%s': expected xoshiro256**: followed by four comma-separated 16-digit "
        "hex words",
        std::string(text)));
  };
  if (text.substr(0, kStatePrefix.size()) != kStatePrefix) return bad();
  text.remove_prefix(kStatePrefix.size());
  std::vector<std::string> words = absl::StrSplit(absl::string_view(text.data(), text.size()), ',');
  if (words.size() != 4) return bad();
  State state;
  for (size_t i = 0; i < 4; ++i) {
    if (words[i].size() != 16 || !absl::SimpleHexAtoi(words[i], &state[i])) return bad();
  }
  return FromState(state);
}

}  // namespace rlvr
