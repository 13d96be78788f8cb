// A seeded random number generator whose output is the same on every machine, compiler and
// standard library: xoshiro256** (Blackman & Vigna) seeded through SplitMix64, with the
// distributions written here rather than taken from <random> (whose distributions are
// implementation-defined).
//
// Integer outputs, NextDouble, UniformInt and Shuffle are bit-exact everywhere. Normal() goes
// through the C library's log/cos/sqrt, so its last bit may differ between libm versions.
#ifndef RLVR_CORE_RNG_H_
#define RLVR_CORE_RNG_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace rlvr {

class Rng {
 public:
  using State = std::array<uint64_t, 4>;

  // The state is four successive SplitMix64 outputs starting from `seed`.
  explicit Rng(uint64_t seed);

  uint64_t NextU64();
  uint32_t NextU32();  // the upper 32 bits of NextU64()
  // Uniform in [0, 1): the upper 53 bits of NextU64() times 2^-53.
  double NextDouble();
  // Uniform in [0, n) without modulo bias (rejection sampling). Requires n > 0.
  uint64_t UniformInt(uint64_t n);
  // Standard normal by the Box–Muller transform; consumes two NextU64() per call.
  double Normal();
  double Normal(double mean, double stddev) { return mean + stddev * Normal(); }

  // Fisher–Yates: for i = n-1 down to 1, swap items[i] with items[UniformInt(i + 1)].
  template <typename T>
  void Shuffle(absl::Span<T> items) {
    for (size_t i = items.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(UniformInt(i));
      using std::swap;
      swap(items[i - 1], items[j]);
    }
  }

  // An independent generator for sub-stream `stream_id` (a worker, a data loader, a layer),
  // derived from this generator's current state without advancing it. Different ids give
  // different streams; the same state and id always give the same stream.
  Rng Fork(uint64_t stream_id) const;

  // Checkpointing: the full state, and a text form "xoshiro256**:<16 hex>,<16 hex>,...".
  const State& state() const { return s_; }
  static absl::StatusOr<Rng> FromState(const State& state);  // all-zero state is invalid
  std::string SerializeState() const;
  static absl::StatusOr<Rng> FromSerializedState(std::string_view text);

  friend bool operator==(const Rng& a, const Rng& b) { return a.s_ == b.s_; }

 private:
  Rng() = default;
  State s_{};
};

// The SplitMix64 output function (a bijection on 64-bit values), exposed for seeding schemes.
uint64_t Mix64(uint64_t x);

}  // namespace rlvr

#endif  // RLVR_CORE_RNG_H_
