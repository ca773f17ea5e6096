// EventQueue: the World's pending events, the earliest (time, sequence) first.
//
// Entries are small and trivially copyable; the callables live elsewhere (the World's slots), so
// reordering never moves a type-erased callable. Sequence numbers are unique, so the order is
// total: what comes out, and when, never depends on how entries happen to be laid out.
//
// Two parts, and pop() takes the earlier of their fronts:
//   - a sorted run: an entry that is not earlier than the run's last one is appended to it, in
//     O(1). Sequence numbers only grow, so equal delays (timers of one period, work due now)
//     arrive that way;
//   - a binary min-heap for the rest: a short sleep or a message scheduled after a long
//     deadline, random network delays.
// With 100 coroutines sleeping in turn, sifting the heap was a third of an event's time; the run
// takes all of those entries.
//
// The heap's sifting is written out rather than std::push_heap / std::pop_heap, which write the
// new entry at the back field by field and then read it back 16 bytes at a time: the wide load
// cannot be forwarded from the narrow stores still in flight, so every push stalled the pipeline
// (with one pending event, a third of a scheduler event's time; perf cpu-clock samples on the
// development VM). Here an entry is written whole, once, and copied at the offsets it was
// written at.
//
// Complexity: push and pop O(1) for entries that join the run, O(log n) for the heap's; top O(1).
// Thread-safety: none (as the World's).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace faultline::sim {

template <class Time>
class EventQueue {
 public:
  struct Entry {
    Time at;
    std::uint64_t seq;  // unique: ties in `at` run in scheduling order
    std::uint32_t owner;
    std::uint32_t generation;
    std::uint32_t slot;
    // No padding: a copy of an Entry is then two 16-byte moves at the same offsets as the
    // stores that wrote it, which the store buffer can forward.
    std::uint32_t unused = 0;
  };

  [[nodiscard]] bool empty() const noexcept { return heap_.empty() && run_next_ == run_.size(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size() + run_.size() - run_next_; }

  // The earliest entry. Precondition: !empty().
  [[nodiscard]] const Entry& top() const noexcept {
    assert(!empty());
    return run_first() ? run_[run_next_] : heap_.front();
  }

  // Takes the fields, not an Entry: an Entry built by the caller would be read back from memory
  // whole, the stall described above.
  void push(Time at, std::uint64_t seq, std::uint32_t owner, std::uint32_t generation,
            std::uint32_t slot) {
    const Entry entry{at, seq, owner, generation, slot};
    if (run_next_ == run_.size() || !(key(entry) < key(run_.back()))) {
      run_.emplace_back();
      write(run_.back(), entry);
    } else {
      heap_push(entry);
    }
  }

  // Removes and returns the earliest entry. Precondition: !empty().
  Entry pop() {
    assert(!empty());
    if (!run_first()) return heap_pop();
    const Entry first = run_[run_next_++];
    if (run_next_ == run_.size()) {  // empty: start again at the front of the buffer
      run_.clear();
      run_next_ = 0;
    } else if (run_next_ >= kCompactAt && 2 * run_next_ >= run_.size()) {
      // The run's consumed front outweighs its live part: drop it, so the buffer stays bounded
      // by about twice the entries pending (each compaction's cost is paid for by the pops
      // since the last).
      run_.erase(run_.begin(), run_.begin() + static_cast<std::ptrdiff_t>(run_next_));
      run_next_ = 0;
    }
    return first;
  }

  void clear() noexcept {
    heap_.clear();
    run_.clear();
    run_next_ = 0;
  }

 private:
  static constexpr std::size_t kCompactAt = 1024;

  // (at, seq) as one unsigned 128-bit number: ordering is a single wide comparison, without a
  // branch on equal times. The sign bit of `at` is flipped so that signed order becomes
  // unsigned order.
  __extension__ using Key = unsigned __int128;
  static Key key(const Entry& e) noexcept {
    const auto t = static_cast<std::uint64_t>(e.at.time_since_epoch().count()) ^
                   (std::uint64_t{1} << 63);
    return (static_cast<Key>(t) << 64) | e.seq;
  }

  // Writes `from` as two 16-byte stores, the width and offsets at which entries are later copied:
  // built field by field in memory, it would be read back whole before the narrow stores
  // retired (the stall described above).
  static void write(Entry& to, const Entry& from) noexcept {
#if defined(__SSE2__)
    static_assert(sizeof(Entry) == 32 && sizeof(Time) == 8);
    auto* out = reinterpret_cast<__m128i*>(&to);
    _mm_storeu_si128(out, _mm_set_epi64x(static_cast<long long>(from.seq),
                                         static_cast<long long>(from.at.time_since_epoch().count())));
    _mm_storeu_si128(out + 1, _mm_set_epi32(static_cast<int>(from.unused), static_cast<int>(from.slot),
                                            static_cast<int>(from.generation),
                                            static_cast<int>(from.owner)));
#else
    to = from;
#endif
  }

  // Whether the earliest entry is the run's front (the heap is empty or its top is later).
  [[nodiscard]] bool run_first() const noexcept {
    if (run_next_ == run_.size()) return false;
    return heap_.empty() || key(run_[run_next_]) < key(heap_.front());
  }

  void heap_push(const Entry& entry) {
    const Key k = key(entry);
    std::size_t hole = heap_.size();
    heap_.emplace_back();
    while (hole > 0) {
      const std::size_t parent = (hole - 1) / 2;
      if (!(k < key(heap_[parent]))) break;
      heap_[hole] = heap_[parent];
      hole = parent;
    }
    write(heap_[hole], entry);
  }

  // Floyd's variant: the hole left at the top walks down to a leaf along the earlier child (one
  // comparison a level, made without a branch), then the last entry rises from there; it was
  // usually scheduled late, so it rarely rises far.
  Entry heap_pop() {
    const Entry first = heap_.front();
    const Entry last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return first;
    std::size_t hole = 0;
    for (std::size_t child = 1; child < n; child = 2 * hole + 1) {
      if (child + 1 < n && key(heap_[child + 1]) < key(heap_[child])) ++child;
      heap_[hole] = heap_[child];
      hole = child;
    }
    const Key k = key(last);
    while (hole > 0) {
      const std::size_t parent = (hole - 1) / 2;
      if (!(k < key(heap_[parent]))) break;
      heap_[hole] = heap_[parent];
      hole = parent;
    }
    heap_[hole] = last;
    return first;
  }

  std::vector<Entry> heap_;  // binary min-heap by key
  std::vector<Entry> run_;   // sorted by key from run_next_ on
  std::size_t run_next_ = 0;
};

}  // namespace faultline::sim
