// Pipeline: the stages in their fixed order, on a simulated process's clock. Each test names
// the property of the composition it checks; each would fail if the stages were nested
// differently or if the retry could retry a refusal.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "faultline/resilience/bulkhead.h"
#include "faultline/resilience/circuit_breaker.h"
#include "faultline/resilience/pipeline.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_run.h"

namespace faultline::resilience {
namespace {

using namespace std::chrono_literals;

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() : process_(world_.add_process("client")) { world_.start(); }

  Clock& clock() { return process_.clock(); }
  Pipeline make(PipelineOptions options) {
    Result<Pipeline> made = Pipeline::create(process_.clock(), process_.rng(), std::move(options));
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().message);
    return std::move(made).value();
  }
  template <class T>
  T run(Task<T> task) {
    return testing::run_on(world_, process_, std::move(task));
  }
  static RetryOptions retry(int attempts, Duration delay) {
    RetryOptions options;
    options.max_attempts = attempts;
    options.backoff = BackoffOptions{BackoffStrategy::kConstant, delay, delay};
    options.retryable = [](const Error&) { return true; };  // careless: retry everything
    return options;
  }
  CircuitBreaker breaker(std::uint32_t minimum_calls) {
    CircuitBreakerOptions options;
    options.name = "dep";
    options.window_size = 10;
    options.minimum_calls = minimum_calls;
    options.failure_rate_threshold = 50;
    options.wait_in_open = 10s;
    return CircuitBreaker::create(clock(), options).value();
  }

  sim::World world_{11};
  sim::Process& process_;
};

// An operation that records each call's context and answers from a script (then succeeds).
struct Recorder {
  std::vector<Error> errors;
  std::vector<CallContext> calls;
  auto op() {
    return [this](const CallContext& context) -> Task<Result<int>> {
      calls.push_back(context);
      const auto i = static_cast<std::size_t>(context.attempt - 1);
      if (i < errors.size()) co_return errors[i];
      co_return context.attempt;
    };
  }
};

TEST_F(PipelineTest, ARetryStopsAtOnceWhenTheBreakerOpensMidSequence) {
  CircuitBreaker cb = breaker(/*minimum_calls=*/2);
  PipelineOptions options;
  options.retry = retry(5, 10ms);
  options.circuit_breaker = &cb;
  Pipeline pipeline = make(options);
  Recorder dep{std::vector<Error>(5, unavailable("down")), {}};
  Result<int> result = run(pipeline.execute<int>(dep.op()));
  // Two failed attempts open the breaker (minimum 2, 100% failures); the third attempt is
  // refused by the breaker, and that refusal is not retried even by a careless classifier.
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kCircuitOpen) << result.error().message;
  EXPECT_EQ(dep.calls.size(), 2u);
  EXPECT_EQ(cb.state(), CircuitState::kOpen);
  EXPECT_EQ(cb.metrics().not_permitted_calls, 1u);
}

TEST_F(PipelineTest, TheBreakerJudgesEveryAttemptNotTheWholeCall) {
  CircuitBreaker cb = breaker(/*minimum_calls=*/10);
  PipelineOptions options;
  options.retry = retry(3, 10ms);
  options.circuit_breaker = &cb;
  Pipeline pipeline = make(options);
  Recorder dep{{unavailable("a"), unavailable("b")}, {}};
  ASSERT_TRUE(run(pipeline.execute<int>(dep.op())).ok());
  EXPECT_EQ(cb.metrics().buffered_calls, 3u);
  EXPECT_EQ(cb.metrics().failed_calls, 2u);
}

TEST_F(PipelineTest, AFullBulkheadIsNotRetriedAndHoldsNoSlotWhileRetrySleeps) {
  BulkheadOptions bo;
  bo.tier(Tier::kStandard) = TierOptions{1, 0, Duration::zero(), QueueFullPolicy::kRejectNewcomer};
  Bulkhead bulkhead = Bulkhead::create(clock(), bo).value();
  PipelineOptions options;
  options.retry = retry(3, 100ms);
  options.bulkhead = &bulkhead;
  Pipeline pipeline = make(options);

  // While the retry sleeps between attempts, the slot is free.
  Recorder flaky{{unavailable("once")}, {}};
  std::optional<Result<int>> first;
  process_.spawn(testing::capture_into(pipeline.execute<int>(flaky.op()), &first));
  world_.run_until(world_.now() + 50ms);
  EXPECT_EQ(flaky.calls.size(), 1u);
  EXPECT_EQ(bulkhead.metrics(Tier::kStandard).in_use, 0);
  world_.run_until(world_.now() + 100ms);
  ASSERT_TRUE(first && first->ok());

  // With the only slot taken, a call is refused once and not retried.
  Result<Slot> held = bulkhead.try_acquire(Tier::kStandard);
  ASSERT_TRUE(held.ok());
  Recorder dep{{}, {}};
  Result<int> refused = run(pipeline.execute<int>(dep.op()));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kBulkheadFull);
  EXPECT_TRUE(dep.calls.empty());
  EXPECT_EQ(bulkhead.metrics(Tier::kStandard).rejected_total(), 1u);
}

TEST_F(PipelineTest, TheTimeoutReachesEveryAttemptAndBoundsTheRetries) {
  PipelineOptions options;
  options.timeout = 250ms;
  options.attempt_timeout = 100ms;
  options.retry = retry(10, 100ms);
  Pipeline pipeline = make(options);
  Recorder dep{std::vector<Error>(10, unavailable("down")), {}};
  const TimePoint start = clock().now();
  Result<int> result = run(pipeline.execute<int>(dep.op()));
  ASSERT_FALSE(result.ok());
  // Attempts at 0, 100, 200 ms; the next would start at 300 ms, past the 250 ms timeout.
  ASSERT_EQ(dep.calls.size(), 3u);
  EXPECT_EQ(dep.calls[0].deadline, start + 100ms);  // the attempt timeout
  EXPECT_EQ(dep.calls[1].deadline, start + 200ms);
  EXPECT_EQ(dep.calls[2].deadline, start + 250ms);  // the call's timeout is earlier
  EXPECT_LE(clock().now() - start, 250ms);
}

TEST_F(PipelineTest, TheCallersDeadlineWinsWhenEarlier) {
  PipelineOptions options;
  options.timeout = 10s;
  Pipeline pipeline = make(options);
  Recorder dep{{}, {}};
  const TimePoint deadline = clock().now() + 1s;
  ASSERT_TRUE(run(pipeline.execute<int>(dep.op(), deadline)).ok());
  EXPECT_EQ(dep.calls.at(0).deadline, deadline);
}

TEST_F(PipelineTest, AnAttemptWhoseDeadlineHasPassedIsNotStarted) {
  Pipeline pipeline = make(PipelineOptions{});
  Recorder dep{{}, {}};
  const TimePoint past = clock().now();
  Result<int> result = run(pipeline.execute<int>(dep.op(), past));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_TRUE(dep.calls.empty());
}

TEST_F(PipelineTest, AResultThePredicateRejectsCountsAsAFailureAndIsRetried) {
  CircuitBreaker cb = breaker(/*minimum_calls=*/10);
  PipelineOptions options;
  options.retry = retry(3, 10ms);
  options.circuit_breaker = &cb;
  Pipeline pipeline = make(options);
  Recorder dep{{}, {}};
  // "503 in a body": attempts 1 and 2 answer values the caller deems failures.
  Result<int> result = run(pipeline.execute<int>(dep.op(), [](const int& v) { return v < 3; },
                                                 TimePoint::max()));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, 3);
  EXPECT_EQ(cb.metrics().failed_calls, 2u);
}

TEST_F(PipelineTest, CallerErrorsAreNeitherRetriedNorHeldAgainstTheDependency) {
  CircuitBreaker cb = breaker(/*minimum_calls=*/1);
  PipelineOptions options;
  options.retry = retry(5, 10ms);
  options.circuit_breaker = &cb;
  Pipeline pipeline = make(options);
  Recorder dep{{invalid_argument("400: malformed")}, {}};
  Result<int> result = run(pipeline.execute<int>(dep.op()));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(dep.calls.size(), 1u);
  EXPECT_EQ(cb.state(), CircuitState::kClosed);
  EXPECT_EQ(cb.metrics().failed_calls, 0u);
}

TEST_F(PipelineTest, OperationsWithoutAValueAreRetriedAndJudgedToo) {
  CircuitBreaker cb = breaker(/*minimum_calls=*/10);
  PipelineOptions options;
  options.retry = retry(3, 10ms);
  options.circuit_breaker = &cb;
  Pipeline pipeline = make(options);
  int calls = 0;
  auto release = [&calls](const CallContext&) -> Task<Result<void>> {
    if (++calls < 2) co_return unavailable("down");
    co_return Ok{};
  };
  Result<void> result = run(pipeline.execute<void>(release));
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(cb.metrics().failed_calls, 1u);
  EXPECT_EQ(cb.metrics().buffered_calls, 2u);
}

TEST_F(PipelineTest, NoTimeoutsAnywhereMeansNoDeadlineNotAnOverflow) {
  Pipeline pipeline = make(PipelineOptions{});
  Recorder dep{{}, {}};
  ASSERT_TRUE(run(pipeline.execute<int>(dep.op())).ok());
  EXPECT_EQ(dep.calls.at(0).deadline, TimePoint::max());
  EXPECT_EQ(dep.calls.at(0).remaining(clock().now()), Duration::max());
  // What an operation does with it: a deadline that saturates instead of wrapping.
  EXPECT_EQ(add_saturating(clock().now(), dep.calls.at(0).remaining(clock().now())),
            TimePoint::max());
}

// Pipeline repeats Retry's loop; these are Retry's own bounds, held against the Pipeline.
TEST_F(PipelineTest, MaxTotalBoundsEachAttemptsDeadline) {
  PipelineOptions options;
  options.retry = retry(5, 10ms);
  options.retry->max_total = 300ms;
  Pipeline pipeline = make(options);
  Recorder dep{std::vector<Error>(5, unavailable("down")), {}};
  const TimePoint start = clock().now();
  (void)run(pipeline.execute<int>(dep.op(), start + 10s));
  ASSERT_EQ(dep.calls.size(), 5u);
  for (const CallContext& c : dep.calls) EXPECT_EQ(c.deadline, start + 300ms);  // not 10 s
}

TEST_F(PipelineTest, EveryCallDepositsInTheRetryBudget) {
  RetryBudget budget = RetryBudget::create(clock(), RetryBudgetOptions{1.0, 0.0, 1.0}).value();
  ASSERT_TRUE(budget.try_spend());  // empty the starting balance
  PipelineOptions options;
  options.retry = retry(3, 10ms);
  options.retry_budget = &budget;
  Pipeline pipeline = make(options);
  Recorder dep{{unavailable("once")}, {}};
  Result<int> result = run(pipeline.execute<int>(dep.op()));
  ASSERT_TRUE(result.ok()) << result.error().message;  // the call's deposit paid for its retry
  EXPECT_EQ(dep.calls.size(), 2u);
  EXPECT_EQ(budget.metrics().calls, 1u);
}

TEST_F(PipelineTest, ARetryStoppedByTheDeadlineSpendsNoBudget) {
  RetryBudget budget = RetryBudget::create(clock(), RetryBudgetOptions{0.0, 0.0, 1.0}).value();
  PipelineOptions options;
  options.retry = retry(3, 100ms);
  options.retry_budget = &budget;
  options.timeout = 150ms;
  Pipeline pipeline = make(options);
  Recorder dep{std::vector<Error>(3, unavailable("down")), {}};
  ASSERT_FALSE(run(pipeline.execute<int>(dep.op())).ok());
  // Attempts at 0 and 100 ms; the third would start at 200 ms, past the timeout.
  EXPECT_EQ(dep.calls.size(), 2u);
  EXPECT_EQ(budget.metrics().retries_allowed, 1u);  // the retry that was made, not the other
  EXPECT_EQ(budget.metrics().balance, 0.0);
  EXPECT_EQ(budget.metrics().retries_refused, 0u);
}

// Queueing for a slot is part of the attempt: it ends at the attempt's deadline, not at the
// tier's max_wait nor at the whole call's deadline.
TEST_F(PipelineTest, TheBulkheadQueueWaitEndsAtTheAttemptsDeadline) {
  BulkheadOptions bo;
  bo.tier(Tier::kStandard) = TierOptions{1, 4, 10s, QueueFullPolicy::kRejectNewcomer};
  Bulkhead bulkhead = Bulkhead::create(clock(), bo).value();
  Result<Slot> held = bulkhead.try_acquire(Tier::kStandard);
  ASSERT_TRUE(held.ok());
  PipelineOptions options;
  options.bulkhead = &bulkhead;
  options.timeout = 5s;
  options.attempt_timeout = 100ms;
  Pipeline pipeline = make(options);
  Recorder dep{{}, {}};
  const sim::SimTime start = world_.now();
  Result<int> result = run(pipeline.execute<int>(dep.op()));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kBulkheadFull) << result.error().message;
  EXPECT_EQ(world_.now() - start, 100ms);
  EXPECT_TRUE(dep.calls.empty());
}

TEST_F(PipelineTest, RejectsBadOptionsNamingTheField) {
  const auto message = [this](PipelineOptions options) {
    Result<Pipeline> made = Pipeline::create(clock(), process_.rng(), std::move(options));
    EXPECT_FALSE(made.ok());
    return made.ok() ? std::string() : made.error().message;
  };
  PipelineOptions timeout;
  timeout.timeout = -1s;
  EXPECT_NE(message(timeout).find("pipeline.timeout"), std::string::npos);
  PipelineOptions attempt;
  attempt.attempt_timeout = 0s;
  EXPECT_NE(message(attempt).find("pipeline.attempt_timeout"), std::string::npos);
  RetryBudget budget = RetryBudget::create(clock(), {}).value();
  PipelineOptions orphan;
  orphan.retry_budget = &budget;
  EXPECT_NE(message(orphan).find("pipeline.retry_budget"), std::string::npos);
  PipelineOptions bad_retry;
  bad_retry.retry.emplace();
  bad_retry.retry->max_attempts = 0;
  EXPECT_NE(message(bad_retry).find("pipeline.retry.max_attempts"), std::string::npos);
}

}  // namespace
}  // namespace faultline::resilience
