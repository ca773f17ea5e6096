// Small steps for unit tests that drive a sim::World by hand: a time point from a duration,
// draining the world, spawning a coroutine that runs at once up to its first suspension, a
// coroutine that notes when it woke, and a message that notes when it arrived.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "faultline/task.h"

namespace faultline::sim {

// The instant `d` after the start of the run.
inline SimTime at(Duration d) { return SimTime(d); }

// Runs the world until no event is left (with a generous bound so a bug cannot hang the test).
inline void drain(World& world) {
  std::uint64_t guard = 0;
  while (world.step()) {
    ASSERT_LT(++guard, 1'000'000u) << "runaway world";
  }
}

// Spawns `task` now and runs what it does synchronously up to its first suspension.
inline void spawn_now(World& world, Process& p, Task<void> task) {
  p.spawn(std::move(task));
  world.poll();
}

// When a coroutine woke, in true time and on its own clock.
struct Mark {
  bool done = false;
  SimTime true_at{};
  TimePoint local_at{};
};

inline Task<void> sleep_then_mark(Process& p, Duration d, Mark& mark) {
  co_await p.clock().sleep_for(d);
  mark.done = true;
  mark.true_at = p.world().now();
  mark.local_at = p.clock().now();
}

// What arrived at a process by send_one().
struct Inbox {
  int delivered = 0;
  std::vector<SimTime> arrivals;
};

// One message from `from` to `to` over `net`, recorded in `inbox` when it is delivered.
inline void send_one(World& world, Network& net, Process& from, Process& to, Inbox& inbox) {
  net.send(from.id(), to.id(), to.generation(), [&world, &inbox] {
    ++inbox.delivered;
    inbox.arrivals.push_back(world.now());
  });
}

}  // namespace faultline::sim
