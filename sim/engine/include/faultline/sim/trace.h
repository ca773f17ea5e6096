// Trace: a running 64-bit hash of everything that happened in a run.
//
// Two runs with the same seed and fault plan must produce the same hash; the determinism tests
// compare them. Mixing is multiply-xorshift over 64-bit words (FNV's prime, one multiply per
// word rather than per byte): cheap enough to run on every event.
#pragma once

#include <cstdint>
#include <string_view>

namespace faultline::sim {

class Trace {
 public:
  void mix(std::uint64_t word) noexcept {
    hash_ = (hash_ ^ word) * 0x100000001B3ULL;
    hash_ ^= hash_ >> 29;
    ++words_;
  }
  void mix(std::string_view text) noexcept {
    for (unsigned char c : text) {
      hash_ ^= c;
      hash_ *= 0x100000001B3ULL;
    }
    mix(text.size());
  }
  [[nodiscard]] std::uint64_t hash() const noexcept { return hash_; }
  [[nodiscard]] std::uint64_t words() const noexcept { return words_; }

 private:
  std::uint64_t hash_ = 0xCBF29CE484222325ULL;
  std::uint64_t words_ = 0;
};

}  // namespace faultline::sim
