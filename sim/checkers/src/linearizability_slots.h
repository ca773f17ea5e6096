// Open addressing over entries kept elsewhere, for the linearizability search's tables
// (linearizability_memo.h, linearizability_states.h): a slot holds an entry's index + 1, and the
// caller keeps each entry's 64-bit hash in a vector of its own, in index order.
//
// Contract: find_or_add(hash, hashes, equal) returns the index of an entry whose hash is `hash`
// and for which equal(index) holds; when there is none it claims a slot for index
// hashes.size() and returns that, and the caller must then append the entry (and its hash).
// Load at most 1/2; the slots double (rehashed from `hashes`) as entries come.
// Thread-safety: none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace faultline::sim::detail {

class SlotIndex {
 public:
  SlotIndex() : slots_(1024, 0) {}

  template <class Equal>
  std::uint32_t find_or_add(std::uint64_t hash, const std::vector<std::uint64_t>& hashes,
                            Equal&& equal) {
    if ((hashes.size() + 1) * 2 > slots_.size()) grow(hashes);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const std::uint32_t slot = slots_[i];
      if (slot == 0) {
        slots_[i] = static_cast<std::uint32_t>(hashes.size() + 1);
        return static_cast<std::uint32_t>(hashes.size());
      }
      if (hashes[slot - 1] == hash && equal(slot - 1)) return slot - 1;
    }
  }

 private:
  void grow(const std::vector<std::uint64_t>& hashes) {
    std::vector<std::uint32_t> bigger(slots_.size() * 2, 0);
    const std::size_t mask = bigger.size() - 1;
    for (std::size_t e = 0; e < hashes.size(); ++e) {
      std::size_t i = hashes[e] & mask;
      while (bigger[i] != 0) i = (i + 1) & mask;
      bigger[i] = static_cast<std::uint32_t>(e + 1);
    }
    slots_ = std::move(bigger);
  }

  std::vector<std::uint32_t> slots_;  // 0 empty, else entry index + 1
};

}  // namespace faultline::sim::detail
