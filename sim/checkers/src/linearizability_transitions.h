// The model's transitions as the linearizability search (linearizability.cc) met them: (state id,
// op) -> the next state's id, or "cannot take effect there".
//
// Why: the search steps the same operation from the same state many times, once per set of
// linearized operations that reaches that state (a read that found the register at 3 under a
// thousand different prefixes). A model step builds and compares state strings and the new state
// is hashed to be interned; a lookup here is one probe into a table of integers. Deterministic
// (the model's step is a function), so cached and fresh answers are the same.
// Memory: one entry (16 bytes, at load <= 1/2) per distinct (state, op) pair stepped, so at most
// one per step of the search. Thread-safety: none; one table per search.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace faultline::sim::detail {

class TransitionCache {
 public:
  static constexpr std::uint32_t kRefused = 0xFFFF'FFFFU;  // the op cannot take effect there

  TransitionCache() : keys_(1024, kEmpty), values_(1024, 0) {}

  // The recorded next state (or kRefused); nullopt when (state, op) was never recorded.
  [[nodiscard]] std::optional<std::uint32_t> find(std::uint32_t state, std::size_t op) const {
    const std::uint64_t key = make_key(state, op);
    const std::size_t mask = keys_.size() - 1;
    for (std::size_t i = spread(key) & mask;; i = (i + 1) & mask) {
      if (keys_[i] == key) return values_[i];
      if (keys_[i] == kEmpty) return std::nullopt;
    }
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  // Records (state, op) -> next; the pair must not be recorded yet.
  void add(std::uint32_t state, std::size_t op, std::uint32_t next) {
    if ((size_ + 1) * 2 > keys_.size()) grow();
    place(make_key(state, op), next);
    ++size_;
  }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};

  static std::uint64_t make_key(std::uint32_t state, std::size_t op) {
    return (std::uint64_t{state} << 32) | static_cast<std::uint32_t>(op);
  }
  static std::uint64_t spread(std::uint64_t key) {  // Fibonacci hashing, high bits folded down
    const std::uint64_t h = key * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
  }
  void place(std::uint64_t key, std::uint32_t value) {
    const std::size_t mask = keys_.size() - 1;
    std::size_t i = spread(key) & mask;
    while (keys_[i] != kEmpty) i = (i + 1) & mask;
    keys_[i] = key;
    values_[i] = value;
  }
  void grow() {
    std::vector<std::uint64_t> old_keys(keys_.size() * 2, kEmpty);
    std::vector<std::uint32_t> old_values(values_.size() * 2, 0);
    old_keys.swap(keys_);
    old_values.swap(values_);
    for (std::size_t i = 0; i < old_keys.size(); ++i) {
      if (old_keys[i] != kEmpty) place(old_keys[i], old_values[i]);
    }
  }

  std::vector<std::uint64_t> keys_;  // (state << 32 | op), kEmpty when free
  std::vector<std::uint32_t> values_;
  std::size_t size_ = 0;
};

}  // namespace faultline::sim::detail
