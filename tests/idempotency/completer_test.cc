// Completer on the simulated Redis node: requests abandoned by a dead holder are finished from
// their recovery point, judged by what a client's begin finds on the store afterwards and by
// which phases ran.
#include "faultline/idempotency/completer.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "faultline/sim/redis_idempotency.h"
#include "faultline/sim/topology.h"
#include "tests/support/sim_run.h"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using idempotency::AbandonedRequest;
using idempotency::BeginOutcome;
using idempotency::BeginReply;
using idempotency::Completer;
using idempotency::CompleterOptions;
using idempotency::CompleterPass;
using idempotency::Final;
using idempotency::IdempotentExecutor;
using idempotency::PhaseContext;
using idempotency::PhaseResult;
using idempotency::Phases;
using idempotency::RequestId;

struct Fixture {
  Fixture()
      : topology(sim::TopologyBuilder(0xC0DE).redis("redis").clients(2)),
        store(topology.network(), topology.client(0), topology.redis("redis")),
        executor(store, topology.client(0).clock(), topology.client(0).rng()) {
    topology.start();
    phases.add("started", [this](const PhaseContext&) -> Task<Result<PhaseResult>> {
      ++runs["started"];
      co_return PhaseResult{Final{"from the start"}};
    });
    phases.add("created", [this](const PhaseContext& ctx) -> Task<Result<PhaseResult>> {
      ++runs["created"];
      co_return PhaseResult{Final{"201 " + ctx.data()}};
    });
  }

  // A holder that reached `point` and died: its lease lapses 200 ms later.
  void abandon(const std::string& key, const std::string& point) {
    const RequestId id{"acct", key};
    auto begun = run_on(topology.world(), topology.client(1),
                        store.begin(id, "fp-" + key, "dead-owner", 200ms, 1h, 1s));
    ASSERT_TRUE(begun.ok() && begun->outcome == BeginOutcome::kStarted);
    if (point != idempotency::kStartedPoint) {
      auto saved = run_on(topology.world(), topology.client(1),
                          store.checkpoint(id, "dead-owner", point, "pay-" + key, 200ms, 1s));
      ASSERT_TRUE(saved.ok() && saved.value());
    }
  }
  void wait(Duration d) { topology.world().run_until(topology.world().now() + d); }
  Result<CompleterPass> pass(Completer& completer) {
    return run_on(topology.world(), topology.client(0), completer.run_once());
  }
  Result<BeginReply> look(const std::string& key) {
    return run_on(topology.world(), topology.client(1),
                  store.begin({"acct", key}, "fp-" + key, "a-client", 30s, 1h, 1s));
  }
  // Resumes any request past its first phase; leaves the rest.
  Completer completer(CompleterOptions options = {}) {
    return Completer(store, executor, [this](const AbandonedRequest& r) -> const Phases* {
      return r.point == idempotency::kStartedPoint ? nullptr : &phases;
    }, options);
  }

  sim::Topology topology;
  sim::SimIdempotencyStore store;
  IdempotentExecutor executor;
  Phases phases;
  std::map<std::string, int> runs;
};

TEST(Completer, FinishesAnAbandonedRequestFromItsRecoveryPoint) {
  Fixture f;
  f.abandon("k1", "created");
  f.wait(500ms);
  Completer completer = f.completer();
  Result<CompleterPass> pass = f.pass(completer);
  ASSERT_TRUE(pass.ok()) << pass.error().to_string();
  EXPECT_EQ(pass->listed, 1U);
  EXPECT_EQ(pass->finished, 1U);
  EXPECT_EQ(f.runs, (std::map<std::string, int>{{"created", 1}}));
  Result<BeginReply> seen = f.look("k1");
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->outcome, BeginOutcome::kCompleted);
  EXPECT_EQ(seen->response, "201 pay-k1");
  // Nothing is left for a second pass.
  Result<CompleterPass> again = f.pass(completer);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->listed, 0U);
}

TEST(Completer, LeavesLiveRequestsAndThoseItCannotResume) {
  Fixture f;
  f.abandon("at-start", std::string(idempotency::kStartedPoint));
  f.abandon("live", "created");
  f.wait(500ms);
  // "live" is taken again by a client before the pass: no longer abandoned.
  ASSERT_EQ(f.look("live")->outcome, BeginOutcome::kResumed);
  Completer completer = f.completer();
  Result<CompleterPass> pass = f.pass(completer);
  ASSERT_TRUE(pass.ok());
  EXPECT_EQ(pass->listed, 1U);
  EXPECT_EQ(pass->left, 1U);
  EXPECT_EQ(pass->finished, 0U);
  EXPECT_TRUE(f.runs.empty());
}

TEST(Completer, APassIsBoundedAndTheNextOneContinues) {
  Fixture f;
  for (int i = 0; i < 5; ++i) f.abandon("k" + std::to_string(i), "created");
  f.wait(500ms);
  CompleterOptions options;
  options.page_size = 2;
  options.max_requests = 2;
  Completer completer = f.completer(options);
  Result<CompleterPass> first = f.pass(completer);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->finished, 2U);
  Result<CompleterPass> second = f.pass(completer);
  Result<CompleterPass> third = f.pass(completer);
  ASSERT_TRUE(second.ok() && third.ok());
  EXPECT_EQ(second->finished + third->finished, 3U);
  EXPECT_EQ(f.runs["created"], 5);
}

TEST(Completer, RequestsItLeavesDoNotStarveThoseBeyondThem) {
  Fixture f;
  // Listed first (in key order): three the application cannot resume.
  for (int i = 0; i < 3; ++i) f.abandon("a" + std::to_string(i), std::string(idempotency::kStartedPoint));
  for (int i = 0; i < 3; ++i) f.abandon("b" + std::to_string(i), "created");
  f.wait(500ms);
  CompleterOptions options;
  options.page_size = 2;
  options.max_pages = 1;
  options.max_requests = 1;
  Completer completer = f.completer(options);
  std::size_t finished = 0;
  for (int pass = 0; pass < 6; ++pass) {
    Result<CompleterPass> result = f.pass(completer);
    ASSERT_TRUE(result.ok());
    EXPECT_LE(result->listed, 2U);
    finished += result->finished;
  }
  EXPECT_EQ(finished, 3U);
  EXPECT_EQ(f.runs["created"], 3);
  EXPECT_EQ(f.runs["started"], 0);
}

TEST(Completer, OptionsOutOfRangeAreRefusedNamingTheField) {
  Fixture f;
  CompleterOptions options;
  options.page_size = 0;
  Completer completer = f.completer(options);
  Result<CompleterPass> pass = f.pass(completer);
  ASSERT_FALSE(pass.ok());
  EXPECT_EQ(pass.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(pass.error().message.find("page_size"), std::string::npos);
}

}  // namespace
}  // namespace faultline::testing
