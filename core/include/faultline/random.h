// Random: the only source of randomness for pattern code.
//
// Contract
//   - next_u64() returns 64 uniformly distributed bits.
//   - In the simulator the source is seeded from the run's seed, so every draw replays exactly.
//   - In production the source used for secrets (lock owner tokens) is a CSPRNG: a token must be
//     unguessable, or another client could release or extend a lock it does not hold.
//   - The helpers below are our own distributions, identical on every standard library (the
//     std:: distributions are not specified bit-for-bit, which would break replay from a seed).
//
// Thread-safety: not thread-safe; each process (or connection) owns its own.
#pragma once

#include <cassert>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <string>

namespace faultline {

// 128-bit integers for exact 64x64-bit products (a GCC/Clang extension, hence __extension__).
__extension__ using uint128 = unsigned __int128;
__extension__ using int128 = __int128;

class Random {
 public:
  virtual ~Random() = default;
  [[nodiscard]] virtual std::uint64_t next_u64() = 0;
};

// The helpers take the generator's own type, not Random&: for a final generator (the simulator's
// Rng, drawn from six times a message) next_u64() is then a direct, inlined call instead of a
// virtual one. Passed a Random&, they draw through the vtable as before; the draws are the same.
template <class R>
concept RandomSource = std::derived_from<R, Random>;

// Uniform integer in [0, bound), bound > 0, by Lemire's multiply-shift with rejection:
// unbiased and portable. Always inlined: g++ kept it out of line (its rejection loop), and the
// call cost more than the draw, in the simulator's network, which draws on every message.
template <RandomSource R>
[[nodiscard, gnu::always_inline]] inline std::uint64_t uniform_below(R& random,
                                                                     std::uint64_t bound) {
  assert(bound > 0);
  for (;;) {
    const uint128 product = static_cast<uint128>(random.next_u64()) * static_cast<uint128>(bound);
    const auto low = static_cast<std::uint64_t>(product);
    if (low >= bound || low >= (-bound) % bound) {
      return static_cast<std::uint64_t>(product >> 64);
    }
  }
}

// Uniform integer in [low, high], low <= high.
template <RandomSource R>
[[nodiscard, gnu::always_inline]] inline std::int64_t uniform_between(R& random, std::int64_t low,
                                                                      std::int64_t high) {
  assert(low <= high);
  const auto span = static_cast<std::uint64_t>(high - low);
  if (span == UINT64_MAX) return static_cast<std::int64_t>(random.next_u64());
  return low + static_cast<std::int64_t>(uniform_below(random, span + 1));
}

// True with probability parts_per_million / 1e6.
template <RandomSource R>
[[nodiscard]] bool chance_ppm(R& random, std::uint32_t parts_per_million) {
  assert(parts_per_million <= 1'000'000);
  return uniform_below(random, 1'000'000) < parts_per_million;
}

// A uniformly drawn duration in [low, high].
template <RandomSource R, class Rep, class Period>
[[nodiscard]] std::chrono::duration<Rep, Period> uniform_duration(
    R& random, std::chrono::duration<Rep, Period> low,
    std::chrono::duration<Rep, Period> high) {
  return std::chrono::duration<Rep, Period>(
      uniform_between(random, static_cast<std::int64_t>(low.count()),
                      static_cast<std::int64_t>(high.count())));
}

// 128 random bits as 32 lowercase hex characters: the owner token of a lock.
[[nodiscard]] std::string random_token(Random& random);

}  // namespace faultline
