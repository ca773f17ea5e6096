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

#include "linearizability_slots.h"

namespace faultline::sim::detail {

class StateTable {
 public:
  StateTable() : offsets_{0} {}

  std::uint32_t intern(std::string_view state) {
    const std::uint64_t hash = std::hash<std::string_view>{}(state);
    const std::uint32_t id =
        index_.find_or_add(hash, hashes_, [&](std::uint32_t e) { return get(e) == state; });
    if (id == hashes_.size()) {
      hashes_.push_back(hash);
      bytes_.append(state);
      offsets_.push_back(bytes_.size());
    }
    return id;
  }
  [[nodiscard]] std::size_t size() const noexcept { return hashes_.size(); }
  [[nodiscard]] std::string_view get(std::uint32_t id) const {
    assert(id < hashes_.size());
    return std::string_view(bytes_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }

 private:
  std::string bytes_;                  // every state's bytes, one after another
  std::vector<std::size_t> offsets_;   // state id -> where its bytes start; [size()] = the end
  std::vector<std::uint64_t> hashes_;  // state id -> hash
  SlotIndex index_;                    // bytes -> id
};

}  // namespace faultline::sim::detail
