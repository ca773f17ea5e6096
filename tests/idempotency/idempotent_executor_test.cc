// IdempotentExecutor on the simulated Redis node: what its callers are told, what the phases'
// effects were (counted outside the executor, as a foreign service would see them), and what the
// store holds. Every duration is virtual time.
#include "faultline/idempotency/idempotent_executor.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "faultline/sim/redis_idempotency.h"
#include "faultline/sim/topology.h"
#include "tests/support/sim_run.h"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using idempotency::Disposition;
using idempotency::Execution;
using idempotency::ExecutorOptions;
using idempotency::Final;
using idempotency::IdempotentExecutor;
using idempotency::Next;
using idempotency::PhaseContext;
using idempotency::PhaseResult;
using idempotency::Phases;
using idempotency::RequestId;

constexpr RequestId kId{"acct_1", "key-1"};
constexpr std::string_view kPrint = "print-1";

// Two clients, each with its own executor, against one simulated Redis.
struct World2 {
  explicit World2(ExecutorOptions options = {})
      : topology(sim::TopologyBuilder(0x5EED).redis("redis").clients(2)),
        store_a(topology.network(), topology.client(0), topology.redis("redis")),
        store_b(topology.network(), topology.client(1), topology.redis("redis")),
        a(store_a, topology.client(0).clock(), topology.client(0).rng(), options),
        b(store_b, topology.client(1).clock(), topology.client(1).rng(), options) {
    topology.start();
  }
  sim::World& world() { return topology.world(); }
  Result<Execution> run_a(const Phases& phases, RequestId id = kId,
                          std::string_view print = kPrint) {
    return run_on(world(), topology.client(0), a.execute(id, print, phases));
  }
  Result<Execution> run_b(const Phases& phases, RequestId id = kId,
                          std::string_view print = kPrint) {
    return run_on(world(), topology.client(1), b.execute(id, print, phases));
  }

  sim::Topology topology;
  sim::SimIdempotencyStore store_a;
  sim::SimIdempotencyStore store_b;
  IdempotentExecutor a;
  IdempotentExecutor b;
};

// A payment in three phases; `calls` counts each phase's runs (the effects seen from outside).
struct Payment {
  std::map<std::string, int> calls;
  std::optional<Error> fail_at_charge;  // the next "created" run fails with this, once
  Duration charge_time = 10ms;
  sim::ProcessClock* clock = nullptr;

  Phases phases() {
    Phases p;
    p.add("started", [this](const PhaseContext&) -> Task<Result<PhaseResult>> {
      ++calls["started"];
      co_return PhaseResult{Next{"created", "pay_7"}};
    });
    p.add("created", [this](const PhaseContext& ctx) -> Task<Result<PhaseResult>> {
      ++calls["created"];
      if (clock != nullptr) co_await clock->sleep_for(charge_time);
      if (fail_at_charge) {
        Error error = *fail_at_charge;
        fail_at_charge.reset();
        co_return error;
      }
      co_return PhaseResult{Next{"charged", ctx.data() + "/ch_1"}};
    });
    p.add("charged", [this](const PhaseContext& ctx) -> Task<Result<PhaseResult>> {
      ++calls["charged"];
      co_return PhaseResult{Final{"201 " + ctx.data()}};
    });
    return p;
  }
};

TEST(IdempotentExecutor, RunsEveryPhaseOnceAndReplaysTheStoredResponse) {
  World2 w;
  Payment pay;
  const Phases phases = pay.phases();
  Result<Execution> first = w.run_a(phases);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first.value().disposition, Disposition::kExecuted);
  EXPECT_EQ(first.value().response, "201 pay_7/ch_1");
  Result<Execution> again = w.run_b(phases);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().disposition, Disposition::kReplayed);
  EXPECT_EQ(again.value().response, "201 pay_7/ch_1");
  EXPECT_EQ(pay.calls, (std::map<std::string, int>{{"started", 1}, {"created", 1}, {"charged", 1}}));
}

TEST(IdempotentExecutor, AKeyReusedForAnotherRequestIsAMismatchAndRunsNothing) {
  World2 w;
  Payment pay;
  const Phases phases = pay.phases();
  ASSERT_TRUE(w.run_a(phases).ok());
  Result<Execution> other = w.run_b(phases, kId, "print-2");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other.value().disposition, Disposition::kMismatch);
  EXPECT_TRUE(other.value().response.empty());
  EXPECT_EQ(pay.calls["started"], 1);
}

TEST(IdempotentExecutor, ATransientFailureIsNeverStoredAndTheRetryResumesAtOnce) {
  World2 w;
  Payment pay;
  pay.fail_at_charge = unavailable("processor: 503");
  const Phases phases = pay.phases();
  Result<Execution> failed = w.run_a(phases);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  // Another executor retries at once: not kInFlight (the lease was given back), and not from
  // the start (the recovery point "created" was kept).
  Result<Execution> retried = w.run_b(phases);
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_EQ(retried.value().disposition, Disposition::kExecuted);
  EXPECT_EQ(retried.value().response, "201 pay_7/ch_1");
  EXPECT_EQ(pay.calls, (std::map<std::string, int>{{"started", 1}, {"created", 2}, {"charged", 1}}));
}

TEST(IdempotentExecutor, AFailureBeforeAnyRecoveryPointKeepsTheKeysRequest) {
  World2 w;
  int runs = 0;
  Phases phases;
  phases.add("started", [&runs](const PhaseContext&) -> Task<Result<PhaseResult>> {
    if (++runs == 1) co_return outcome_unknown("processor: timeout");
    co_return PhaseResult{Final{"201 fresh"}};
  });
  Result<Execution> failed = w.run_a(phases);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kOutcomeUnknown);
  // The timed-out call may have reached the processor under this key's downstream key: another
  // body under the key is still refused, and the same request resumes at once.
  Result<Execution> other = w.run_b(phases, kId, "print-2");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other.value().disposition, Disposition::kMismatch);
  Result<Execution> retried = w.run_b(phases);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried.value().disposition, Disposition::kExecuted);
  EXPECT_EQ(retried.value().response, "201 fresh");
  EXPECT_EQ(runs, 2);
}

// Runs two executions at once: a on client 0 (starting first), b on client 1 after `delay`.
std::pair<Result<Execution>, Result<Execution>> race(World2& w, const Phases& phases,
                                                     Duration delay) {
  std::optional<Result<Execution>> a;
  std::optional<Result<Execution>> b;
  w.topology.client(0).spawn(capture_into(w.a.execute(kId, kPrint, phases), &a));
  w.world().run_until(w.world().now() + delay);
  w.topology.client(1).spawn(capture_into(w.b.execute(kId, kPrint, phases), &b));
  while ((!a || !b) && w.world().step()) {
  }
  if (!a || !b) throw std::runtime_error("the world ran dry before both finished");
  return {std::move(*a), std::move(*b)};
}

TEST(IdempotentExecutor, ADuplicateWhileTheFirstRunsIsToldInFlightWithTheLeaseLeft) {
  World2 w;
  Payment pay;
  pay.clock = &w.topology.client(0).clock();
  pay.charge_time = 2s;
  auto [first, second] = race(w, pay.phases(), 100ms);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.value().disposition, Disposition::kExecuted);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.value().disposition, Disposition::kInFlight);
  EXPECT_GT(second.value().retry_after, 25s);  // the default 30 s lease, renewed at "created"
  EXPECT_LE(second.value().retry_after, 30s);
  EXPECT_EQ(pay.calls["created"], 1);
}

TEST(IdempotentExecutor, ADuplicateThatMayWaitGetsTheFirstOnesResponse) {
  ExecutorOptions options;
  options.max_wait = 5s;
  World2 w(options);
  Payment pay;
  pay.clock = &w.topology.client(0).clock();
  pay.charge_time = 2s;
  auto [first, second] = race(w, pay.phases(), 100ms);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first.value().disposition, Disposition::kExecuted);
  EXPECT_EQ(second.value().disposition, Disposition::kReplayed);
  EXPECT_EQ(second.value().response, first.value().response);
  EXPECT_EQ(pay.calls, (std::map<std::string, int>{{"started", 1}, {"created", 1}, {"charged", 1}}));
}

TEST(IdempotentExecutor, AWaitBoundedByMaxWaitEndsInFlight) {
  ExecutorOptions options;
  options.max_wait = 500ms;
  World2 w(options);
  Payment pay;
  pay.clock = &w.topology.client(0).clock();
  pay.charge_time = 3s;
  auto [first, second] = race(w, pay.phases(), 100ms);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.value().disposition, Disposition::kInFlight);
  EXPECT_TRUE(first.ok());
  EXPECT_EQ(pay.calls["created"], 1);
}

TEST(IdempotentExecutor, AHolderWhoseLeaseLapsedIsTakenOverAndRefusedAfterwards) {
  ExecutorOptions options;
  options.lease = 1s;
  World2 w(options);
  Payment pay;
  pay.clock = &w.topology.client(0).clock();
  pay.charge_time = 5s;  // the charge outlives the 1 s lease: the holder looks dead
  auto [slow, taker] = race(w, pay.phases(), 2s);
  ASSERT_TRUE(taker.ok()) << taker.error().message;
  EXPECT_EQ(taker.value().disposition, Disposition::kExecuted);
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, ErrorCode::kAborted);
  EXPECT_NE(slow.error().message.find("taken over"), std::string::npos);
  // The taker resumed at "created": "started" ran once; the charge phase ran twice, which is
  // why a foreign call must carry the downstream key.
  EXPECT_EQ(pay.calls, (std::map<std::string, int>{{"started", 1}, {"created", 2}, {"charged", 1}}));
  Result<Execution> replay = w.run_a(pay.phases());
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay.value().response, taker.value().response);
}

TEST(IdempotentExecutor, AMoveToAnUnknownRecoveryPointFailsAndStoresNothing) {
  World2 w;
  bool broken = true;
  Phases phases;
  phases.add("started", [&broken](const PhaseContext&) -> Task<Result<PhaseResult>> {
    if (broken) co_return PhaseResult{Next{"nowhere", ""}};
    co_return PhaseResult{Final{"ok"}};
  });
  Result<Execution> failed = w.run_a(phases);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(failed.error().message.find("nowhere"), std::string::npos);
  broken = false;
  Result<Execution> retried = w.run_b(phases);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried.value().disposition, Disposition::kExecuted);
}

TEST(IdempotentExecutor, ACycleOfPhasesStopsAtMaxPhases) {
  ExecutorOptions options;
  options.max_phases = 5;
  World2 w(options);
  int runs = 0;
  Phases phases;
  phases.add("started", [&runs](const PhaseContext&) -> Task<Result<PhaseResult>> {
    ++runs;
    co_return PhaseResult{Next{"again", ""}};
  });
  phases.add("again", [&runs](const PhaseContext&) -> Task<Result<PhaseResult>> {
    ++runs;
    co_return PhaseResult{Next{"started", ""}};
  });
  Result<Execution> result = w.run_a(phases);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("max_phases"), std::string::npos);
  EXPECT_EQ(runs, 5);
}

TEST(IdempotentExecutor, BadOptionsAndIdsAreRefusedNamingTheField) {
  ExecutorOptions options;
  options.lease = 0s;
  World2 w(options);
  Payment pay;
  Result<Execution> refused = w.run_a(pay.phases());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("lease"), std::string::npos);
  World2 fine;
  Result<Execution> bad_key = fine.run_a(pay.phases(), RequestId{"acct_1", ""});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.error().message.find("key"), std::string::npos);
  EXPECT_TRUE(pay.calls.empty());
}

TEST(PhaseContext, DownstreamKeysAreStablePerPhaseAndDistinctOtherwise) {
  sim::World world(1);
  sim::Process& p = world.add_process("p");
  const auto key = [&](std::string scope, std::string k, std::string point, std::string purpose) {
    return PhaseContext(scope, k, point, "", p.clock(), TimePoint{}).downstream_key(purpose);
  };
  const std::string base = key("a", "k", "created", "");
  EXPECT_EQ(base, key("a", "k", "created", ""));
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(base.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(base, key("b", "k", "created", ""));
  EXPECT_NE(base, key("a", "k2", "created", ""));
  EXPECT_NE(base, key("a", "k", "charged", ""));
  EXPECT_NE(base, key("a", "k", "created", "refund"));
  EXPECT_NE(key("ab", "c", "p", ""), key("a", "bc", "p", ""));
}

}  // namespace
}  // namespace faultline::testing
