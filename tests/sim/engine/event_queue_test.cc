// EventQueue: the World's pending events come out earliest (time, sequence) first, whichever of
// its two parts (the sorted run, the heap) holds them.
//
// The property drives the queue with generated pushes and pops, as the World does (sequence
// numbers only grow; times are never before the last one popped), and compares every pop with a
// std::set of the same entries: the reference is independent of the queue's layout.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <tuple>
#include <vector>

#include "faultline/sim/event_queue.h"
#include "faultline/sim/world.h"

namespace faultline::sim {
namespace {

using Queue = EventQueue<SimTime>;
using Key = std::tuple<std::int64_t, std::uint64_t, std::uint32_t>;  // (at, seq, slot)

Key key_of(const Queue::Entry& e) {
  return {e.at.time_since_epoch().count(), e.seq, e.slot};
}

// A step of the generated workload: a pop, or a push `delay` after the last popped time.
struct Op {
  bool pop;
  std::int64_t delay;
};

// Pushes at `now + delay`, pops and compares, then drains what is left.
void check_against_reference(const std::vector<Op>& ops) {
  Queue queue;
  std::set<Key> reference;
  std::int64_t now = 0;
  std::uint64_t seq = 0;
  auto pop_one = [&] {
    RC_ASSERT(queue.size() == reference.size());
    RC_ASSERT(key_of(queue.top()) == *reference.begin());
    const Queue::Entry e = queue.pop();
    RC_ASSERT(key_of(e) == *reference.begin());
    RC_ASSERT(e.owner == static_cast<std::uint32_t>(e.seq % 7));
    RC_ASSERT(e.generation == static_cast<std::uint32_t>(e.seq % 5));
    reference.erase(reference.begin());
    now = e.at.time_since_epoch().count();
  };
  for (const Op& op : ops) {
    if (op.pop) {
      if (!reference.empty()) pop_one();
      continue;
    }
    const auto slot = static_cast<std::uint32_t>(seq * 3 + 1);
    const SimTime at{std::chrono::nanoseconds(now + op.delay)};
    queue.push(at, seq, static_cast<std::uint32_t>(seq % 7), static_cast<std::uint32_t>(seq % 5),
               slot);
    reference.insert({now + op.delay, seq, slot});
    ++seq;
  }
  while (!reference.empty()) pop_one();
  RC_ASSERT(queue.empty());
  RC_ASSERT(queue.size() == 0U);
}

RC_GTEST_PROP(EventQueue, PopsInTimeThenSequenceOrder, ()) {
  // Few distinct delays, so that equal times (ordered by sequence alone) are common, and long
  // and short delays mix, so that entries go to both the run and the heap.
  const auto ops = *rc::gen::container<std::vector<Op>>(rc::gen::build<Op>(
      rc::gen::set(&Op::pop, rc::gen::weightedElement<bool>({{2, false}, {1, true}})),
      rc::gen::set(&Op::delay, rc::gen::element<std::int64_t>(0, 1, 2, 5, 1'000, 30'000))));
  check_against_reference(ops);
}

TEST(EventQueue, LongRunsCompactAndStayOrdered) {
  // Thousands of in-order pushes with pops in between: the run's consumed front is dropped
  // (compaction) while entries are still live, and nothing is lost or reordered by it.
  Queue queue;
  std::uint64_t seq = 0;
  std::uint64_t next_expected = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 100; ++i, ++seq) {
      queue.push(SimTime{std::chrono::nanoseconds(static_cast<std::int64_t>(seq))}, seq, 1, 0,
                 static_cast<std::uint32_t>(seq));
    }
    for (int i = 0; i < 60; ++i) {
      const Queue::Entry e = queue.pop();
      ASSERT_EQ(e.seq, next_expected++);
    }
  }
  while (!queue.empty()) ASSERT_EQ(queue.pop().seq, next_expected++);
  EXPECT_EQ(next_expected, seq);
}

TEST(EventQueue, AnEarlierEntryAfterALaterOneStillComesFirst) {
  // A long deadline, then a short message: the second cannot join the run behind the first.
  Queue queue;
  queue.push(SimTime{std::chrono::seconds(1)}, 0, 1, 0, 10);
  queue.push(SimTime{std::chrono::milliseconds(1)}, 1, 1, 0, 11);
  queue.push(SimTime{std::chrono::milliseconds(1)}, 2, 1, 0, 12);
  EXPECT_EQ(queue.pop().slot, 11U);
  EXPECT_EQ(queue.pop().slot, 12U);
  EXPECT_EQ(queue.pop().slot, 10U);
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace faultline::sim
