// A small scenario for the harness's own tests, written as a user would (SimScenarioSpec):
// two clients each add 1 to a counter on a simulated Redis ten times, over a network that may
// lose replies, and the claim is judged from the server's value alone.
//
//   counter/incr          (must hold)  an INCRBY whose reply is lost is counted as unknown: the
//                                      server's value lies in [acknowledged, acknowledged +
//                                      unknown];
//   counter/retried-incr  (hazard)     the client retries an INCRBY that timed out: a lost reply
//                                      turns one increment into two, and the value overshoots.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "faultline/harness/sim_scenario.h"
#include "faultline/sim/redis_strings.h"
#include "faultline/sim/rpc.h"

namespace faultline::harness::testing {

struct Counter {
  int acknowledged = 0;  // increments the clients were told happened
  int unknown = 0;       // increments whose outcome the clients never learned
  int finished = 0;
};

inline constexpr int kIncrements = 10;

inline Task<Result<std::int64_t>> incr(SimRun<Counter>& run, sim::Process& self) {
  sim::RedisNode* node = &run.topology->redis("redis");
  auto op = [node] { return Result<std::int64_t>(sim::RedisStrings(*node).incrby("n", 1)); };
  return sim::call<std::int64_t>(run.network(), self, node->host(),
                                 std::chrono::milliseconds(50), op);
}

inline Task<void> count(SimRun<Counter>& run, sim::Process& self, bool retry) {
  for (int i = 0; i < kIncrements; ++i) {
    const std::size_t op = run.history->invoke(self.id(), "incr");
    for (int attempt = 1;; ++attempt) {
      // g++ 12: no temporaries with destructors inside a co_await operand.
      auto reply = incr(run, self);
      Result<std::int64_t> result = co_await std::move(reply);
      if (result) {
        ++run.state.acknowledged;
        run.history->complete(op, sim::OpStatus::kOk, std::to_string(*result));
        break;
      }
      if (!retry || attempt == 3) {
        ++run.state.unknown;
        run.history->complete(op, sim::OpStatus::kUnknown, "timed out");
        break;
      }
    }
    auto nap = self.clock().sleep_for(std::chrono::milliseconds(10));
    co_await std::move(nap);
  }
  ++run.state.finished;
}

inline std::optional<Violation> judge_counter(SimRun<Counter>& run) {
  const auto value = sim::RedisStrings(run.topology->redis("redis")).get("n");
  const long long n = value ? std::stoll(*value) : 0;
  const Counter& c = run.state;
  if (n < c.acknowledged) {
    return Violation{"lost increment: the counter is " + std::to_string(n) + " but " +
                         std::to_string(c.acknowledged) + " increments were acknowledged",
                     -1, "lost-increment"};
  }
  if (n > c.acknowledged + c.unknown) {
    return Violation{"duplicated increment: the counter is " + std::to_string(n) + " but only " +
                         std::to_string(c.acknowledged + c.unknown) + " increments were made",
                     -1, "duplicated-increment"};
  }
  return std::nullopt;
}

inline std::unique_ptr<Scenario> counter_scenario(bool retry) {
  SimScenarioSpec<Counter> spec;
  spec.name = retry ? "counter/retried-incr" : "counter/incr";
  spec.description = retry ? "a retried INCRBY duplicates increments" : "INCRBY, counted honestly";
  spec.expect = retry ? Expect::kViolationFound : Expect::kHolds;
  spec.clients = 2;
  spec.topology = [](sim::TopologyBuilder& t) { t.redis("redis"); };
  spec.faults.nodes = {"redis"};
  spec.faults.pauses = true;
  spec.faults.pause_max = std::chrono::milliseconds(100);
  spec.faults.horizon = std::chrono::milliseconds(300);
  spec.faults.max_faults = 3;
  spec.faults.network_max = sim::NetworkFaults{0, 30'000, 0, 0, std::chrono::seconds(1)};
  spec.workload = [retry](SimRun<Counter>& run, sim::Process& self, std::size_t) {
    self.spawn(count(run, self, retry));
  };
  spec.done = [](const SimRun<Counter>& run) { return run.state.finished == 2; };
  spec.invariant = judge_counter;
  spec.summary = [](const SimRun<Counter>& run) {
    return "acknowledged " + std::to_string(run.state.acknowledged) + ", unknown " +
           std::to_string(run.state.unknown);
  };
  return make_sim_scenario(std::move(spec));
}

}  // namespace faultline::harness::testing
