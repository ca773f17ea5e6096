// The model states met by one linearizability search (linearizability.cc), interned: each
// distinct state gets a dense 32-bit id, so that the memo and the transition cache compare and
// hash integers.
//
// Contract: intern(s) returns the id of s, adding it when new; get(id) returns the bytes, valid
// until the next intern (the bytes live in one growing buffer). Memory: the states' bytes once,
// plus an offset, a hash and a slot per state; freed at once with the table (a search can meet a
// million states: one allocation each would cost as much as the search).
// Thread-safety: none; one table per search.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::sim::detail {

class StateTable {
 public:
  StateTable() : offsets_{0}, slots_(1024, 0) {}

  std::uint32_t intern(std::string_view state) {
    const std::uint64_t hash = std::hash<std::string_view>{}(state);
    if ((hashes_.size() + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const std::uint32_t slot = slots_[i];
      if (slot == 0) {
        const auto id = static_cast<std::uint32_t>(hashes_.size());
        slots_[i] = id + 1;
        hashes_.push_back(hash);
        bytes_.append(state);
        offsets_.push_back(bytes_.size());
        return id;
      }
      if (hashes_[slot - 1] == hash && get(slot - 1) == state) return slot - 1;
    }
  }
  [[nodiscard]] std::size_t size() const noexcept { return hashes_.size(); }
  [[nodiscard]] std::string_view get(std::uint32_t id) const {
    assert(id < hashes_.size());
    return std::string_view(bytes_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }

 private:
  void grow() {
    std::vector<std::uint32_t> bigger(slots_.size() * 2, 0);
    const std::size_t mask = bigger.size() - 1;
    for (std::size_t id = 0; id < hashes_.size(); ++id) {
      std::size_t i = hashes_[id] & mask;
      while (bigger[i] != 0) i = (i + 1) & mask;
      bigger[i] = static_cast<std::uint32_t>(id + 1);
    }
    slots_ = std::move(bigger);
  }

  std::string bytes_;                  // every state's bytes, one after another
  std::vector<std::size_t> offsets_;   // state id -> where its bytes start; [size()] = the end
  std::vector<std::uint64_t> hashes_;  // state id -> hash
  std::vector<std::uint32_t> slots_;   // open addressing: 0 empty, else id + 1
};

}  // namespace faultline::sim::detail
