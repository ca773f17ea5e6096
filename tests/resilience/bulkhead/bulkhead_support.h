// Bulkhead, driven on the simulator's virtual clock: per-tier limits, FIFO hand-over without
// barging, exact timeouts, queue-full policies, isolation between tiers, metrics and events,
// configuration errors, destruction and crashes with callers queued, and a RapidCheck property
// over generated acquire / release / advance-time sequences.
//
// The helpers shared by limits_test.cc, timeouts_test.cc, isolation_test.cc, destruction_test.cc, model_test.cc.
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>
#include "faultline/resilience/bulkhead.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_run.h"

namespace faultline::resilience {
namespace {

using namespace std::chrono_literals;
using sim::Process;
using sim::World;

inline TierOptions tier_options(int max_concurrent, int max_queue, Duration max_wait,
                         QueueFullPolicy when_full = QueueFullPolicy::kRejectNewcomer) {
  TierOptions t;
  t.max_concurrent = max_concurrent;
  t.max_queue = max_queue;
  t.max_wait = max_wait;
  t.when_full = when_full;
  return t;
}

inline BulkheadOptions options_for(Tier tier, TierOptions t) {
  BulkheadOptions o;
  o.name = "db";
  o.tier(tier) = t;
  return o;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// One acquire() as the test sees it.
struct Call {
  std::optional<Result<Slot>> outcome;
  TimePoint done_at{};
  int completions = 0;
  std::uint64_t seq = 0;  // global order of completion

  [[nodiscard]] bool done() const { return outcome.has_value(); }
  [[nodiscard]] bool granted() const { return outcome && outcome->ok(); }
  [[nodiscard]] const Error& error() const { return outcome->error(); }
  Slot& slot() { return outcome->value(); }
};

inline Task<void> acquire_into(Bulkhead* bulkhead, Tier tier, TimePoint deadline, Call* call,
                        Clock* clock, std::uint64_t* counter) {
  Task<Result<Slot>> acquiring = bulkhead->acquire(tier, deadline);
  Result<Slot> result = co_await std::move(acquiring);
  call->done_at = clock->now();
  call->seq = ++*counter;
  ++call->completions;
  call->outcome.emplace(std::move(result));
}

// A World with one process "client" whose clock the bulkhead uses.
class Harness {
 public:
  explicit Harness(BulkheadOptions options) : process_(world_.add_process("client")) {
    world_.start();
    Result<Bulkhead> created = Bulkhead::create(process_.clock(), std::move(options));
    if (!created.ok()) throw std::runtime_error(created.error().to_string());
    bulkhead_.emplace(std::move(created).value());
  }

  // Starts an acquire() on the client and runs it as far as it goes at the current time.
  Call& acquire(Tier tier, TimePoint deadline = TimePoint::max()) {
    calls_.push_back(std::make_unique<Call>());
    Call* call = calls_.back().get();
    process_.spawn(
        acquire_into(&*bulkhead_, tier, deadline, call, &process_.clock(), &completions_));
    settle();
    return *call;
  }
  Slot hold(Tier tier) {
    Result<Slot> slot = bulkhead_->try_acquire(tier);
    if (!slot.ok()) throw std::runtime_error(slot.error().to_string());
    return std::move(slot).value();
  }
  // Runs what is due now (posted resumptions included) without moving time.
  void settle() { world_.run_until(world_.now()); }
  void advance(Duration d) { world_.run_until(world_.now() + d); }
  TimePoint now() { return process_.clock().now(); }
  Bulkhead& bulkhead() { return *bulkhead_; }
  void destroy_bulkhead() { bulkhead_.reset(); }
  World& world() { return world_; }
  Process& process() { return process_; }
  TierMetrics metrics(Tier tier) { return bulkhead_->metrics(tier); }

 private:
  World world_{1};
  Process& process_;
  std::uint64_t completions_ = 0;
  std::vector<std::unique_ptr<Call>> calls_;
  std::optional<Bulkhead> bulkhead_;  // destroyed first: before the World it posts to
};

}  // namespace
}  // namespace faultline::resilience
