// run_on(): run one coroutine on a simulated process until it finishes, and return its result.
// For unit tests that drive a pattern step by step inside a World. fixed_latency(): a link whose
// every message takes the same time, for tests that count round trips.
#pragma once

#include <optional>
#include <stdexcept>
#include <utility>

#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "faultline/task.h"

namespace faultline::testing {

template <class T>
Task<void> capture_into(Task<T> task, std::optional<T>* out) {
  T value = co_await std::move(task);
  out->emplace(std::move(value));
}

// Spawns `task` on `process` and steps `world` until it has finished. Throws if the world runs
// out of events first (the task waits for something that will never happen).
template <class T>
T run_on(sim::World& world, sim::Process& process, Task<T> task) {
  std::optional<T> out;
  process.spawn(capture_into(std::move(task), &out));
  // Work an event posted runs before the next event is taken, so that the world stops right
  // after the task finishes instead of running one event more (and moving time on).
  for (world.poll(); !out && world.step(); world.poll()) {
  }
  if (!out) throw std::runtime_error("the world ran dry before the task finished");
  return std::move(*out);
}

// Every message takes exactly `latency`.
inline sim::LinkProfile fixed_latency(Duration latency) {
  sim::LinkProfile link;
  link.latency_min = latency;
  link.latency_max = latency;
  return link;
}

}  // namespace faultline::testing
