// sim::call: a request and its reply, with a deadline on the caller's clock.
//
// Coroutines here are free functions taking references to objects declared *before* the World
// (so they outlive every coroutine frame), and no non-trivially destructible temporary appears
// inside a co_await operand (g++ 12 destroys those twice).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "faultline/random.h"
#include "faultline/sim/fault_plan.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/pg_lock_session.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/rng.h"
#include "faultline/sim/rpc.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_steps.h"

namespace faultline::sim {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// ---- sim::call --------------------------------------------------------------------------------

struct CallOutcome {
  std::optional<Result<int>> result;
  SimTime at{};
  int server_runs = 0;
};

Task<void> do_call(Network& net, Process& caller, Process& server, Duration timeout,
                   CallOutcome& out) {
  int* runs = &out.server_runs;
  auto op = [runs]() {
    ++*runs;
    return Result<int>(42);
  };
  auto pending = call<int>(net, caller, server, timeout, std::move(op));
  Result<int> r = co_await std::move(pending);
  out.at = caller.world().now();
  out.result.emplace(std::move(r));
}

struct CallFixture : ::testing::Test {
  CallOutcome out;
  World world{21};
  Network net{world};
  Process& client = world.add_process("client");
  Process& server = world.add_process("server");

  void run_call(Duration timeout) {
    world.start();
    spawn_now(world, client, do_call(net, client, server, timeout, out));
    drain(world);
    ASSERT_TRUE(out.result.has_value()) << "the call never completed";
  }
};

// ---- deferred answers: an op that keeps its Reply ------------------------------------------

// A server that answers `answer_after` after the request arrived (or never, when negative: it
// drops the Reply), holding the Reply in `held` meanwhile.
struct Deferred {
  std::optional<Reply<int>> held;
  int runs = 0;
};

Task<void> do_deferred_call(World& world, Network& net, Process& caller, Process& server,
                            Duration timeout, Duration answer_after, Deferred& state,
                            CallOutcome& out) {
  Deferred* d = &state;
  World* w = &world;
  const ProcessId host = server.id();
  auto op = [d, w, host, answer_after](Reply<int> reply) {
    ++d->runs;
    if (answer_after < Duration::zero()) return;  // the Reply dies here, unsent
    d->held.emplace(std::move(reply));
    w->schedule_after(answer_after, host, [d] { (*d->held)(7); });
  };
  auto pending = call<int>(net, caller, server, timeout, std::move(op));
  Result<int> r = co_await std::move(pending);
  out.at = caller.world().now();
  out.result.emplace(std::move(r));
}

struct DeferredFixture : CallFixture {
  Deferred state;
  void run_deferred(Duration timeout, Duration answer_after) {
    world.start();
    spawn_now(world, client,
              do_deferred_call(world, net, client, server, timeout, answer_after, state, out));
    drain(world);
    ASSERT_TRUE(out.result.has_value()) << "the call never completed";
  }
};

TEST_F(DeferredFixture, AnAnswerSentLaterIsTheValue) {
  run_deferred(milliseconds(100), milliseconds(50));
  ASSERT_TRUE(out.result->ok()) << out.result->error().to_string();
  EXPECT_EQ(out.result->value(), 7);
  EXPECT_GE(out.at, at(milliseconds(50))) << "not before the server answered";
  EXPECT_LT(out.at, at(milliseconds(100)));
  EXPECT_EQ(state.runs, 1);
}

TEST_F(DeferredFixture, ADroppedReplyLeavesTheCallerToItsDeadline) {
  run_deferred(milliseconds(100), milliseconds(-1));
  ASSERT_FALSE(out.result->ok());
  EXPECT_EQ(out.result->error().code, ErrorCode::kOutcomeUnknown);
  EXPECT_EQ(out.at, at(milliseconds(100)));
}

TEST_F(DeferredFixture, AnAnswerAfterTheDeadlineIsIgnored) {
  run_deferred(milliseconds(100), milliseconds(300));
  ASSERT_FALSE(out.result->ok()) << "completed with the late answer";
  EXPECT_EQ(out.result->error().code, ErrorCode::kOutcomeUnknown);
  EXPECT_EQ(out.at, at(milliseconds(100)));
}

TEST_F(DeferredFixture, AHungServerNeverSendsItsAnswer) {
  world.schedule(at(milliseconds(10)), kWorldProcess, 0,
                 [&] { net.begin_outage(server.id(), Network::OutageMode::kTimeout); });
  run_deferred(milliseconds(100), milliseconds(50));
  ASSERT_FALSE(out.result->ok());
  EXPECT_EQ(out.result->error().code, ErrorCode::kOutcomeUnknown);
  EXPECT_EQ(state.runs, 1) << "the server still ran the op";
}

TEST_F(CallFixture, ReplyBeforeDeadlineIsTheValue) {
  run_call(milliseconds(100));
  ASSERT_TRUE(out.result->ok()) << out.result->error().to_string();
  EXPECT_EQ(out.result->value(), 42);
  EXPECT_EQ(out.server_runs, 1);
  EXPECT_LE(out.at, at(milliseconds(4))) << "two default latencies, far before the deadline";
}

// Duration::max() means "no deadline" (CallContext::remaining without one): the deadline must
// saturate, not wrap into the past and time the call out at once.
TEST_F(CallFixture, NoDeadlineIsNotAnOverflow) {
  client.clock().set_drift_ppm(-500);  // a slow clock stretches the deadline in true time
  run_call(Duration::max());
  ASSERT_TRUE(out.result->ok()) << out.result->error().to_string();
  EXPECT_EQ(out.result->value(), 42);
}

TEST_F(CallFixture, ServerDownIsUnavailableAndNothingRan) {
  world.crash(server, true);
  run_call(milliseconds(100));
  ASSERT_FALSE(out.result->ok());
  EXPECT_EQ(out.result->error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(out.result->error().may_have_happened());
  EXPECT_EQ(out.server_runs, 0);
  EXPECT_LT(out.at, at(milliseconds(100))) << "refusal arrives before the deadline";
}

TEST_F(CallFixture, LostReplyIsOutcomeUnknownAtTheDeadlineButTheOpRan) {
  LinkProfile lossy;
  lossy.loss_ppm = 1'000'000;
  net.set_link(server.id(), client.id(), lossy);
  run_call(milliseconds(100));
  ASSERT_FALSE(out.result->ok());
  EXPECT_EQ(out.result->error().code, ErrorCode::kOutcomeUnknown);
  EXPECT_TRUE(out.result->error().may_have_happened());
  EXPECT_EQ(out.at, at(milliseconds(100))) << "the caller learns at its deadline";
  EXPECT_EQ(out.server_runs, 1) << "the lost-reply case: the operation DID happen";
}

TEST_F(CallFixture, LostRequestIsOutcomeUnknownAndNothingRan) {
  LinkProfile lossy;
  lossy.loss_ppm = 1'000'000;
  net.set_link(client.id(), server.id(), lossy);
  run_call(milliseconds(100));
  ASSERT_FALSE(out.result->ok());
  EXPECT_EQ(out.result->error().code, ErrorCode::kOutcomeUnknown);
  EXPECT_EQ(out.server_runs, 0);
}

TEST_F(CallFixture, DeadlineRunsOnTheCallersClock) {
  client.clock().set_drift_ppm(100'000);  // 100ms local is ~90.9ms true
  LinkProfile lossy;
  lossy.loss_ppm = 1'000'000;
  net.set_link(server.id(), client.id(), lossy);
  run_call(milliseconds(100));
  EXPECT_EQ(out.at, at(nanoseconds(90'909'091)));
}

TEST_F(CallFixture, DuplicatedReplyCompletesOnceWithTheValue) {
  LinkProfile dup;
  dup.duplicate_ppm = 1'000'000;
  net.set_link(server.id(), client.id(), dup);
  run_call(milliseconds(100));
  ASSERT_TRUE(out.result->ok()) << out.result->error().to_string();
  EXPECT_EQ(out.result->value(), 42);
  EXPECT_EQ(out.server_runs, 1);
}

// Requests always duplicated, replies sometimes lost or duplicated, latencies spread so that
// either run's reply may arrive first. Whatever happens, the call completes once: with the
// result of a run that happened (the run's number), or unknown at its deadline. Over the seeds,
// each run's reply must win somewhere: the first run's result waits in the call's shared state
// and the second's travels in its message, and a mix-up between the two would show here.
TEST(CallDuplicates, TheFirstReplyToArriveWinsWhicheverRunSentIt) {
  int first_won = 0, second_won = 0, unknown = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    World world(seed);
    Network net(world);
    Process& client = world.add_process("client");
    Process& server = world.add_process("server");
    LinkProfile request;
    request.latency_min = milliseconds(1);
    request.latency_max = milliseconds(20);
    request.duplicate_ppm = 1'000'000;
    LinkProfile reply = request;
    reply.duplicate_ppm = 300'000;
    reply.loss_ppm = 300'000;
    net.set_link(client.id(), server.id(), request);
    net.set_link(server.id(), client.id(), reply);
    int runs = 0;
    std::optional<Result<int>> result;
    SimTime done_at{};
    auto caller = [&]() -> Task<void> {
      auto pending = call<int>(net, client, server, milliseconds(100),
                               [&runs]() { return Result<int>(++runs); });
      result.emplace(co_await std::move(pending));
      done_at = world.now();
    };
    world.start();
    spawn_now(world, client, caller());
    drain(world);
    ASSERT_TRUE(result.has_value()) << "seed " << seed << ": the call never completed";
    ASSERT_EQ(runs, 2) << "seed " << seed;
    if (!result->ok()) {
      EXPECT_EQ(result->error().code, ErrorCode::kOutcomeUnknown) << "seed " << seed;
      EXPECT_EQ(done_at, at(milliseconds(100))) << "seed " << seed;
      ++unknown;
      continue;
    }
    ASSERT_TRUE(result->value() == 1 || result->value() == 2) << "seed " << seed;
    ++(result->value() == 1 ? first_won : second_won);
  }
  EXPECT_GT(first_won, 0);
  EXPECT_GT(second_won, 0);
  EXPECT_GT(unknown, 0);
}

TEST_F(CallFixture, DuplicatedRequestRunsTwiceButCompletesOnce) {
  LinkProfile dup;
  dup.duplicate_ppm = 1'000'000;
  net.set_link(client.id(), server.id(), dup);
  run_call(milliseconds(100));
  ASSERT_TRUE(out.result->ok());
  EXPECT_EQ(out.server_runs, 2);
}

}  // namespace
}  // namespace faultline::sim
