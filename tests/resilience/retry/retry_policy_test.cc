// The retry policy, and retry-after: the answerer's wait is a floor on the sleep.
#include "tests/resilience/retry/retry_support.h"

namespace faultline::resilience {
namespace {

// ---- the retry policy --------------------------------------------------------------------------

class RetryTest : public ::testing::Test {
 protected:
  RetryTest() : process_(world_.add_process("client")) { world_.start(); }

  Retry make(RetryOptions options, RetryBudget* budget = nullptr) {
    Result<Retry> made = Retry::create(process_.clock(), process_.rng(), std::move(options), budget);
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().message);
    return std::move(made).value();
  }
  template <class T>
  T run(Task<T> task) {
    return testing::run_on(world_, process_, std::move(task));
  }

  // An operation that fails with each of `errors` in turn, then succeeds with the attempt number;
  // records the virtual time of each attempt.
  struct Script {
    std::vector<Error> errors;
    std::vector<sim::SimTime> attempts;
  };
  auto scripted(Script& script) {
    return [this, &script](const CallContext& context) -> Task<Result<int>> {
      script.attempts.push_back(world_.now());
      const auto i = static_cast<std::size_t>(context.attempt - 1);
      if (i < script.errors.size()) co_return script.errors[i];
      co_return context.attempt;
    };
  }

  World world_{7};
  Process& process_;
};

RetryOptions constant(int attempts, Duration delay) {
  RetryOptions options;
  options.max_attempts = attempts;
  options.backoff = BackoffOptions{BackoffStrategy::kConstant, delay, delay};
  return options;
}

TEST_F(RetryTest, RetriesRetryableFailuresWithTheBackoffBetweenAttempts) {
  Retry retry = make(constant(5, 100ms));
  Script script{{unavailable("down"), Error{ErrorCode::kAborted, "lost a race"}}, {}};
  Result<int> result = run(retry.execute<int>(scripted(script)));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, 3);
  ASSERT_EQ(script.attempts.size(), 3u);
  EXPECT_EQ(script.attempts[1] - script.attempts[0], 100ms);
  EXPECT_EQ(script.attempts[2] - script.attempts[1], 100ms);
}

TEST_F(RetryTest, NeverRetriesLocalRefusalsOrCallerErrorsWhateverTheClassifierSays) {
  RetryOptions options = constant(5, 10ms);
  options.retryable = [](const Error&) { return true; };  // a careless classifier
  Retry retry = make(options);
  for (ErrorCode code : {ErrorCode::kCircuitOpen, ErrorCode::kBulkheadFull, ErrorCode::kRateLimited,
                         ErrorCode::kInvalidArgument, ErrorCode::kFailedPrecondition,
                         ErrorCode::kNotFound, ErrorCode::kAlreadyExists}) {
    Script script{{Error{code, "refused"}}, {}};
    Result<int> result = run(retry.execute<int>(scripted(script)));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, code);
    EXPECT_EQ(script.attempts.size(), 1u) << to_string(code);
    EXPECT_NE(result.error().message.find("not retryable"), std::string::npos);
  }
}

TEST_F(RetryTest, OutcomeUnknownIsRetriedOnlyWhenIdempotent) {
  Script once{{outcome_unknown("timed out")}, {}};
  Retry strict = make(constant(3, 10ms));
  Result<int> refused = run(strict.execute<int>(scripted(once)));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kOutcomeUnknown);  // still says "may have happened"
  EXPECT_EQ(once.attempts.size(), 1u);

  RetryOptions options = constant(3, 10ms);
  options.idempotent = true;
  Retry idempotent = make(options);
  Script twice{{outcome_unknown("timed out")}, {}};
  EXPECT_TRUE(run(idempotent.execute<int>(scripted(twice))).ok());
  EXPECT_EQ(twice.attempts.size(), 2u);
}

TEST_F(RetryTest, StopsAtMaxAttemptsWithTheLastErrorAndWhy) {
  Retry retry = make(constant(3, 10ms));
  Script script{{unavailable("a"), unavailable("b"), unavailable("c"), unavailable("d")}, {}};
  Result<int> result = run(retry.execute<int>(scripted(script)));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(script.attempts.size(), 3u);
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(result.error().message.rfind("c (gave up after 3 attempts: max_attempts", 0), 0u)
      << result.error().message;
}

TEST_F(RetryTest, NeverSleepsPastTheCallersDeadline) {
  Retry retry = make(constant(10, 300ms));
  Script script{{unavailable("1"), unavailable("2"), unavailable("3"), unavailable("4")}, {}};
  const sim::SimTime start = world_.now();
  const TimePoint deadline = process_.clock().now() + 700ms;
  Result<int> result = run(retry.execute<int>(scripted(script), deadline));
  ASSERT_FALSE(result.ok());
  // Attempts at 0, 300, 600 ms; a fourth would start at 900 ms, after the deadline: given up at
  // 600 ms instead of sleeping into it.
  EXPECT_EQ(script.attempts.size(), 3u);
  EXPECT_EQ(world_.now() - start, 600ms);
  EXPECT_NE(result.error().message.find("deadline"), std::string::npos);
}

// ---- retry-after: the answerer's wait is a floor on the sleep, bounded by the deadline ----------

TEST_F(RetryTest, ARetryAfterLongerThanTheBackoffIsTheSleep) {
  Retry retry = make(constant(3, 10ms));
  Script script{{with_retry_after(unavailable("busy"), 250ms), unavailable("again")}, {}};
  Result<int> result = run(retry.execute<int>(scripted(script)));
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(script.attempts.size(), 3u);
  EXPECT_EQ(script.attempts[1] - script.attempts[0], 250ms);  // told to wait 250ms
  EXPECT_EQ(script.attempts[2] - script.attempts[1], 10ms);   // not told: the backoff
}

TEST_F(RetryTest, ARetryAfterShorterThanTheBackoffDoesNotShortenIt) {
  Retry retry = make(constant(3, 100ms));
  Script script{{with_retry_after(unavailable("busy"), 1ms)}, {}};
  ASSERT_TRUE(run(retry.execute<int>(scripted(script))).ok());
  ASSERT_EQ(script.attempts.size(), 2u);
  EXPECT_EQ(script.attempts[1] - script.attempts[0], 100ms);
}

TEST_F(RetryTest, ARetryAfterEndingAtOrPastTheDeadlineGivesUpAtOnce) {
  Retry retry = make(constant(5, 10ms));
  Script script{{with_retry_after(unavailable("busy"), 500ms)}, {}};
  const sim::SimTime start = world_.now();
  const TimePoint deadline = process_.clock().now() + 500ms;  // the wait would end exactly there
  Result<int> result = run(retry.execute<int>(scripted(script), deadline));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(script.attempts.size(), 1u);
  EXPECT_EQ(world_.now() - start, 0ms) << "gave up without sleeping into the deadline";
  EXPECT_EQ(result.error().retry_after, std::chrono::nanoseconds(500ms)) << "kept for the caller";
  EXPECT_NE(result.error().message.find("retry-after would end after the deadline"),
            std::string::npos)
      << result.error().message;

  const Error busy = with_retry_after(unavailable("busy"), 500ms);
  const TimePoint now = process_.clock().now();
  EXPECT_FALSE(retry.after_failure(&busy, 1, 0ms, now, now + 500ms).delay.has_value());
  const Retry::Decision inside = retry.after_failure(&busy, 1, 0ms, now, now + 501ms);
  ASSERT_TRUE(inside.delay.has_value());
  EXPECT_EQ(*inside.delay, 500ms);
}

TEST_F(RetryTest, ARetryAfterIsBoundedByMaxTotalToo) {
  RetryOptions options = constant(5, 10ms);
  options.max_total = 300ms;
  Retry retry = make(options);
  const Error busy = with_retry_after(unavailable("busy"), 300ms);
  const TimePoint now = process_.clock().now();
  const Retry::Decision decision = retry.after_failure(&busy, 1, 0ms, now, TimePoint::max());
  EXPECT_FALSE(decision.delay.has_value());
  EXPECT_NE(decision.why_not.find("retry-after would end after max_total"), std::string::npos)
      << decision.why_not;
}

TEST_F(RetryTest, ARetryAfterDoesNotMakeAnErrorRetryable) {
  Retry retry = make(constant(5, 10ms));
  for (Error error : {with_retry_after(Error{ErrorCode::kRateLimited, "429"}, 10ms),
                      with_retry_after(not_found("no such key"), 10ms),
                      with_retry_after(outcome_unknown("timed out"), 10ms)}) {
    Script script{{error}, {}};
    Result<int> result = run(retry.execute<int>(scripted(script)));
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(script.attempts.size(), 1u) << to_string(error.code);
  }
}

TEST_F(RetryTest, AttemptsAreToldTheDeadlineAndTheirNumber) {
  Retry retry = make(constant(3, 10ms));
  const TimePoint deadline = process_.clock().now() + 5s;
  std::vector<CallContext> seen;
  auto op = [&seen](const CallContext& context) -> Task<Result<int>> {
    seen.push_back(context);
    co_return unavailable("no");
  };
  (void)run(retry.execute<int>(op, deadline));
  ASSERT_EQ(seen.size(), 3u);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].deadline, deadline);
    EXPECT_EQ(seen[i].attempt, static_cast<int>(i + 1));
  }
}

TEST_F(RetryTest, MaxTotalBoundsTheWholeCall) {
  RetryOptions options = constant(100, 100ms);
  options.max_total = 350ms;
  Retry retry = make(options);
  Script script{std::vector<Error>(100, unavailable("down")), {}};
  const sim::SimTime start = world_.now();
  (void)run(retry.execute<int>(scripted(script)));
  EXPECT_EQ(script.attempts.size(), 4u);  // at 0, 100, 200, 300 ms
  EXPECT_LE(world_.now() - start, 350ms);
}

TEST_F(RetryTest, MaxTotalBoundsASlowAttemptToo) {
  RetryOptions options = constant(5, 10ms);
  options.max_total = 300ms;
  Retry retry = make(options);
  const TimePoint start = process_.clock().now();
  std::vector<TimePoint> deadlines;
  auto slow = [&deadlines](const CallContext& context) -> Task<Result<int>> {
    deadlines.push_back(context.deadline);
    co_return unavailable("down");
  };
  (void)run(retry.execute<int>(slow, start + 10s));
  ASSERT_FALSE(deadlines.empty());
  for (TimePoint d : deadlines) EXPECT_EQ(d, start + 300ms);  // not the caller's 10 s
}

TEST_F(RetryTest, NoDeadlineDoesNotOverflow) {
  RetryOptions options = constant(3, 10ms);
  options.backoff = BackoffOptions{BackoffStrategy::kExponential, 1ms, Duration::max()};
  options.max_total = Duration::max() - 1ns;
  Retry retry = make(options);
  Script script{{unavailable("a"), unavailable("b")}, {}};
  Result<int> result = run(retry.execute<int>(scripted(script)));
  ASSERT_TRUE(result.ok());  // neither the huge cap nor max_total wrapped into "stop now"
  EXPECT_EQ(script.attempts.size(), 3u);
  CallContext none;
  EXPECT_EQ(add_saturating(process_.clock().now(), none.remaining(process_.clock().now())),
            TimePoint::max());
}

TEST_F(RetryTest, RetriesASuccessfulResultThePredicateRejects) {
  Retry retry = make(constant(4, 10ms));
  Script script{{}, {}};
  // "Come back later" until the third attempt.
  Result<int> result = run(retry.execute<int>(scripted(script), [](const int& v) { return v < 3; },
                                              TimePoint::max()));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, 3);
  Script stubborn{{}, {}};
  Result<int> last = run(retry.execute<int>(scripted(stubborn), [](const int&) { return true; },
                                            TimePoint::max()));
  ASSERT_TRUE(last.ok());  // attempts ran out: the last result as is
  EXPECT_EQ(*last, 4);
}

TEST_F(RetryTest, EmitsAnEventPerRetryAndOneOnGivingUp) {
  Retry retry = make(constant(3, 10ms));
  std::vector<RetryEventKind> kinds;
  std::vector<Duration> delays;
  retry.set_listener([&](const RetryEvent& e) {
    kinds.push_back(e.kind);
    delays.push_back(e.delay);
  });
  Script script{std::vector<Error>(5, unavailable("down")), {}};
  (void)run(retry.execute<int>(scripted(script)));
  EXPECT_EQ(kinds, (std::vector<RetryEventKind>{RetryEventKind::kRetry, RetryEventKind::kRetry,
                                                RetryEventKind::kGaveUp}));
  EXPECT_EQ(delays[0], 10ms);
}

TEST_F(RetryTest, ABudgetRefusesRetriesBeyondItsBalance) {
  RetryBudget budget =
      RetryBudget::create(process_.clock(), RetryBudgetOptions{0.0, 0.0, 2.0}).value();
  Retry retry = make(constant(10, 10ms), &budget);
  Script script{std::vector<Error>(10, unavailable("down")), {}};
  Result<int> result = run(retry.execute<int>(scripted(script)));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(script.attempts.size(), 3u);  // the first + the two retries the balance allowed
  EXPECT_NE(result.error().message.find("retry budget exhausted"), std::string::npos);
  EXPECT_EQ(budget.metrics().retries_allowed, 2u);
  EXPECT_EQ(budget.metrics().retries_refused, 1u);
}

// The bounds at their exact boundary: an attempt that would start exactly at the deadline (or at
// max_total) cannot succeed either, so the retry gives up instead of sleeping into it.
TEST_F(RetryTest, GivesUpWhenTheNextAttemptWouldStartExactlyAtTheDeadline) {
  Retry retry = make(constant(10, 100ms));
  Script script{std::vector<Error>(10, unavailable("down")), {}};
  const sim::SimTime start = world_.now();
  const TimePoint deadline = process_.clock().now() + 200ms;
  Result<int> result = run(retry.execute<int>(scripted(script), deadline));
  ASSERT_FALSE(result.ok());
  // Attempts at 0 and 100 ms; a third would start at 200 ms, the deadline itself.
  EXPECT_EQ(script.attempts.size(), 2u);
  EXPECT_EQ(world_.now() - start, 100ms);
  EXPECT_NE(result.error().message.find("deadline"), std::string::npos);
}

TEST_F(RetryTest, AfterFailureStopsExactlyAtTheDeadline) {
  Retry retry = make(constant(10, 100ms));
  const Error down = unavailable("down");
  const TimePoint now = process_.clock().now();
  const Retry::Decision at = retry.after_failure(&down, 1, 0ms, now, now + 100ms);
  EXPECT_FALSE(at.delay.has_value());
  EXPECT_NE(at.why_not.find("deadline"), std::string::npos);
  const Retry::Decision inside = retry.after_failure(&down, 1, 0ms, now, now + 101ms);
  ASSERT_TRUE(inside.delay.has_value());
  EXPECT_EQ(*inside.delay, 100ms);
}

// execute() folds max_total into the deadline, so only after_failure() (which Pipeline shares)
// shows the max_total check by itself: with no deadline at all.
TEST_F(RetryTest, AfterFailureStopsExactlyAtMaxTotal) {
  RetryOptions options = constant(10, 100ms);
  options.max_total = 300ms;
  Retry retry = make(options);
  const Error down = unavailable("down");
  const TimePoint now = process_.clock().now();
  // started + max_total == now + delay: the next attempt would start exactly at max_total.
  const Retry::Decision at = retry.after_failure(&down, 1, 0ms, now - 200ms, TimePoint::max());
  EXPECT_FALSE(at.delay.has_value());
  EXPECT_NE(at.why_not.find("max_total"), std::string::npos);
  const Retry::Decision inside =
      retry.after_failure(&down, 1, 0ms, now - 199ms, TimePoint::max());
  ASSERT_TRUE(inside.delay.has_value());
  EXPECT_EQ(*inside.delay, 100ms);
}

// A retry that is not made must not cost the other callers a token of the shared budget.
TEST_F(RetryTest, ARetryStoppedByTheDeadlineOrMaxTotalSpendsNoBudget) {
  RetryBudget budget =
      RetryBudget::create(process_.clock(), RetryBudgetOptions{0.0, 0.0, 1.0}).value();
  Retry retry = make(constant(5, 100ms), &budget);
  Script script{std::vector<Error>(5, unavailable("down")), {}};
  Result<int> result =
      run(retry.execute<int>(scripted(script), process_.clock().now() + 50ms));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("deadline"), std::string::npos);
  EXPECT_EQ(budget.metrics().retries_allowed, 0u);
  EXPECT_EQ(budget.metrics().balance, 1.0);

  RetryOptions bounded = constant(5, 100ms);
  bounded.max_total = 50ms;
  Retry short_lived = make(bounded, &budget);
  const Error down = unavailable("down");
  const TimePoint now = process_.clock().now();
  EXPECT_FALSE(short_lived.after_failure(&down, 1, 0ms, now, TimePoint::max()).delay);
  EXPECT_EQ(budget.metrics().retries_allowed, 0u);
  EXPECT_EQ(budget.metrics().balance, 1.0);
  EXPECT_TRUE(budget.try_spend());  // the token is still there for a retry that can be made
}

// Every call earns its share: with ratio 1 and an empty balance, a call's own deposit pays for
// its retry. A retry that never deposits would be refused here.
TEST_F(RetryTest, EveryCallDepositsInTheBudget) {
  RetryBudget budget =
      RetryBudget::create(process_.clock(), RetryBudgetOptions{1.0, 0.0, 1.0}).value();
  ASSERT_TRUE(budget.try_spend());  // empty the starting balance
  Retry retry = make(constant(3, 10ms), &budget);
  Script script{{unavailable("once")}, {}};
  Result<int> result = run(retry.execute<int>(scripted(script)));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(script.attempts.size(), 2u);
  EXPECT_EQ(budget.metrics().calls, 1u);
}

TEST_F(RetryTest, RejectsBadOptionsNamingTheField) {
  const auto message = [this](RetryOptions options) {
    Result<Retry> made = Retry::create(process_.clock(), process_.rng(), std::move(options));
    EXPECT_FALSE(made.ok());
    return made.ok() ? std::string() : made.error().message;
  };
  RetryOptions zero;
  zero.max_attempts = 0;
  EXPECT_NE(message(zero).find("retry.max_attempts"), std::string::npos);
  RetryOptions total;
  total.max_total = -1s;
  EXPECT_NE(message(total).find("retry.max_total"), std::string::npos);
  RetryOptions cap;
  cap.backoff = BackoffOptions{BackoffStrategy::kExponential, 1s, 1ms};
  EXPECT_NE(message(cap).find("retry.backoff.cap"), std::string::npos);
}

}  // namespace
}  // namespace faultline::resilience
