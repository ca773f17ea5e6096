// Lowe's memo for the linearizability search (linearizability.cc), with dominance over the
// operations that never returned.
//
// Contract
//   - A configuration of the search is (R, s, O): the set R of linearized operations that
//     returned, the model state s, and the set O of linearized open operations (never returned).
//     `insert` records one and answers whether the search must explore it: false when a
//     configuration (R, s, O') with O' a subset of O (O' = O included) was recorded before.
//   - Why that pruning is sound (the search still finds a linearization when one exists): from
//     (R, s, O) and (R, s, O') the same returned operations remain, so the same return entries
//     bound which call may go next; the open operations left over from (R, s, O) are a subset of
//     those left over from (R, s, O'), and an open operation has no return entry that could
//     constrain the others. So every sequence of steps that completes (R, s, O) also completes
//     (R, s, O'). Depth-first search with this memo is complete: if it ended without success
//     while a linearization existed, take, among the visited configurations that can still be
//     completed, one with the most returned operations linearized and, among those, the fewest
//     open operations before the next returned one on a completion; its next step on that
//     completion was tried, and reached a completable configuration that was visited or was
//     pruned for a visited one that dominates it -- either way a visited completable
//     configuration better in that order: a contradiction. (With no open operations this is
//     Lowe's exact memo.) The gain: an open write that may or may not have taken effect no longer
//     doubles the configurations that follow it, once some configuration without it has been met.
//   - Memory: per distinct (R, s), (|R| bits)/64 + 1 words, a slot and a hash; per recorded O,
//     (open ops)/64 words and a link. Entries are never freed before the table is.
//   - The caller supplies `hash`, a function of (R, s) only (O must not enter it).
// Thread-safety: none; one table per search.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "linearizability_slots.h"

namespace faultline::sim::detail {

class MemoTable {
 public:
  MemoTable(std::size_t returned_words, std::size_t open_words)
      : returned_words_(returned_words), open_words_(open_words) {}

  // Records (returned, state, open); false when a recorded configuration dominates it.
  bool insert(const std::vector<std::uint64_t>& returned, const std::vector<std::uint64_t>& open,
              std::uint32_t state, std::uint64_t hash) {
    assert(returned.size() == returned_words_ && open.size() == open_words_);
    const std::uint32_t key = find_or_add_key(returned, state, hash);
    std::uint32_t* link = &key_head_[key];
    while (*link != 0) {
      const std::uint32_t entry = *link - 1;
      if (subset(entry, open)) return false;
      if (superset(entry, open)) {
        *link = open_next_[entry];  // dominated by the new one: never needed again
        continue;
      }
      link = &open_next_[entry];
    }
    open_next_.push_back(key_head_[key]);
    key_head_[key] = static_cast<std::uint32_t>(open_next_.size());
    open_arena_.insert(open_arena_.end(), open.begin(), open.end());
    return true;
  }

  [[nodiscard]] std::size_t size() const noexcept { return open_next_.size(); }

 private:
  // The index of (returned, state) among the keys, added when new.
  std::uint32_t find_or_add_key(const std::vector<std::uint64_t>& returned, std::uint32_t state,
                                std::uint64_t hash) {
    const std::uint32_t key = index_.find_or_add(
        hash, key_hash_, [&](std::uint32_t k) { return key_equal(k, returned, state); });
    if (key == key_hash_.size()) {
      key_hash_.push_back(hash);
      key_head_.push_back(0);
      key_arena_.insert(key_arena_.end(), returned.begin(), returned.end());
      key_arena_.push_back(state);
    }
    return key;
  }

  bool key_equal(std::size_t key, const std::vector<std::uint64_t>& returned,
                 std::uint32_t state) const {
    const std::uint64_t* stored = key_arena_.data() + key * (returned_words_ + 1);
    return stored[returned_words_] == state &&
           std::equal(returned.begin(), returned.end(), stored);
  }
  // Whether the recorded open set `entry` is a subset of `open` (resp. a superset).
  bool subset(std::size_t entry, const std::vector<std::uint64_t>& open) const {
    const std::uint64_t* stored = open_arena_.data() + entry * open_words_;
    for (std::size_t w = 0; w < open_words_; ++w) {
      if ((stored[w] & ~open[w]) != 0) return false;
    }
    return true;
  }
  bool superset(std::size_t entry, const std::vector<std::uint64_t>& open) const {
    const std::uint64_t* stored = open_arena_.data() + entry * open_words_;
    for (std::size_t w = 0; w < open_words_; ++w) {
      if ((open[w] & ~stored[w]) != 0) return false;
    }
    return true;
  }
  std::size_t returned_words_;
  std::size_t open_words_;
  SlotIndex index_;                        // (returned, state) -> key
  std::vector<std::uint64_t> key_hash_;
  std::vector<std::uint64_t> key_arena_;   // per key: the returned set's words, then the state
  std::vector<std::uint32_t> key_head_;    // per key: its first open set + 1, 0 for none
  std::vector<std::uint64_t> open_arena_;  // per open set: its words
  std::vector<std::uint32_t> open_next_;   // per open set: the next one of its key + 1, or 0
};

}  // namespace faultline::sim::detail
