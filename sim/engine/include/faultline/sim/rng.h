// Rng: the simulator's portable pseudo-random generator (xoshiro256**, seeded by splitmix64).
//
// Bit-for-bit identical on every platform and standard library, which is what replay from a seed
// needs; never use it for secrets. fork() derives an independent stream (for a process, a link),
// so adding draws in one place does not shift the draws everywhere else.
#pragma once

#include <array>
#include <cstdint>

#include "faultline/random.h"

namespace faultline::sim {

[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class Rng final : public Random {
 public:
  explicit Rng(std::uint64_t seed) noexcept {
    std::uint64_t state = seed;
    for (auto& word : s_) word = splitmix64(state);
  }

  [[nodiscard]] std::uint64_t next_u64() noexcept override {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // An independent generator for a named sub-stream (a process id, a link id).
  [[nodiscard]] Rng fork(std::uint64_t stream) noexcept {
    std::uint64_t mix = next_u64() ^ (stream * 0xD1B54A32D192ED03ULL);
    return Rng(splitmix64(mix));
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::array<std::uint64_t, 4> s_{};
};

}  // namespace faultline::sim
