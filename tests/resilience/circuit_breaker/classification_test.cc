// Which outcomes count as failures; DISABLED, FORCED_OPEN, close, reset and events.
#include "tests/resilience/circuit_breaker/breaker_support.h"

namespace faultline::resilience {
namespace {

// ---------------------------------------------------------------------------------------------
// Classification

TEST(CircuitBreaker, DefaultClassificationByErrorCode) {
  ManualClock clock;
  CircuitBreakerOptions o = small_count_options();
  o.window_size = 100;
  o.minimum_calls = 100;
  CircuitBreaker b = make(clock, o);
  const std::vector<std::pair<ErrorCode, bool>> cases = {
      {ErrorCode::kUnavailable, true},       {ErrorCode::kOutcomeUnknown, true},
      {ErrorCode::kDeadlineExceeded, true},  {ErrorCode::kProtocol, true},
      {ErrorCode::kBusy, false},             {ErrorCode::kAborted, false},
      {ErrorCode::kInvalidArgument, false},  {ErrorCode::kFailedPrecondition, false},
      {ErrorCode::kCircuitOpen, false},      {ErrorCode::kBulkheadFull, false},
      {ErrorCode::kRateLimited, false},      {ErrorCode::kNotFound, false},
      {ErrorCode::kAlreadyExists, false},
  };
  std::uint64_t expected_failures = 0;
  for (const auto& [code, counts] : cases) {
    b.on_error(acquire(b), Error{code, "x"});
    if (counts) ++expected_failures;
    EXPECT_EQ(b.metrics().failed_calls, expected_failures) << to_string(code);
    EXPECT_EQ(b.metrics().buffered_calls, expected_failures) << "ignored is not recorded";
  }
}

TEST(CircuitBreaker, CustomClassifierButLocalRefusalsAreAlwaysIgnored) {
  ManualClock clock;
  CircuitBreakerOptions o = small_count_options();
  o.window_size = 10;
  o.minimum_calls = 10;
  o.classify_error = [](const Error& e) {
    if (e.code == ErrorCode::kUnavailable) return OutcomeKind::kSuccess;
    return OutcomeKind::kFailure;
  };
  CircuitBreaker b = make(clock, o);
  b.on_error(acquire(b), Error{ErrorCode::kBusy, "x"});
  b.on_error(acquire(b), Error{ErrorCode::kUnavailable, "x"});
  b.on_error(acquire(b), Error{ErrorCode::kCircuitOpen, "x"});
  b.on_error(acquire(b), Error{ErrorCode::kRateLimited, "x"});
  const CircuitMetrics m = b.metrics();
  EXPECT_EQ(m.buffered_calls, 2u);
  EXPECT_EQ(m.failed_calls, 1u);
}

TEST(CircuitBreaker, ClassificationByResult) {
  ManualClock clock;
  CircuitBreakerOptions o = small_count_options();
  o.window_size = 10;
  o.minimum_calls = 10;
  CircuitBreaker b = make(clock, o);
  const auto is_503 = [](int status) { return status == 503; };
  b.on_result(acquire(b), Result<int>(503), is_503);
  b.on_result(acquire(b), Result<int>(200), is_503);
  b.on_result(acquire(b), Result<int>(503));  // no predicate: any value is a success
  b.on_result(acquire(b), Result<int>(unavailable("down")), is_503);
  b.on_result(acquire(b), Result<void>(Ok{}));
  b.on_result_failure(acquire(b));
  const CircuitMetrics m = b.metrics();
  EXPECT_EQ(m.buffered_calls, 6u);
  EXPECT_EQ(m.failed_calls, 3u);
}

// ---------------------------------------------------------------------------------------------
// DISABLED, FORCED_OPEN, close, reset, events

TEST(CircuitBreaker, DisabledPermitsEverythingAndRecordsNothing) {
  ManualClock clock;
  CircuitBreakerOptions o = small_count_options();
  o.slow_call_duration = seconds(1);
  EventLog log;
  o.listener = log.listener();
  CircuitBreaker b = make(clock, o);
  succeed(b);
  b.disable();
  log.events.clear();
  const int reads = clock.reads;
  for (int i = 0; i < 20; ++i) fail(b);
  EXPECT_EQ(b.state(), CircuitState::kDisabled);
  EXPECT_EQ(b.metrics().buffered_calls, 1u) << "the window is frozen";
  EXPECT_TRUE(log.events.empty()) << "nothing published for disabled calls";
  EXPECT_EQ(clock.reads, reads) << "nothing timed";
  b.close();
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  EXPECT_EQ(b.metrics().buffered_calls, 0u);
}

TEST(CircuitBreaker, ForcedOpenRefusesWhateverTheTime) {
  ManualClock clock;
  CircuitBreaker b = make(clock, small_count_options());
  Permit before = acquire(b);
  b.force_open();
  for (int i = 0; i < 3; ++i) {
    clock.advance(hours(1));
    Result<Permit> r = b.try_acquire();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("forced_open"), std::string::npos);
  }
  b.on_error(std::move(before), unavailable("x"));  // stale: nothing happens
  EXPECT_EQ(b.state(), CircuitState::kForcedOpen);
  EXPECT_EQ(b.metrics().not_permitted_calls, 3u);
  b.close();
  EXPECT_EQ(b.metrics().not_permitted_calls, 3u) << "close() keeps the counter";
  b.force_open();
  b.reset();
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  EXPECT_EQ(b.metrics().not_permitted_calls, 0u) << "reset() zeroes it";
}

TEST(CircuitBreaker, EventsForEveryChangeRejectionAndOutcome) {
  ManualClock clock;
  CircuitBreakerOptions o = small_count_options();
  o.permitted_calls_in_half_open = 1;
  EventLog log;
  o.listener = log.listener();
  CircuitBreaker b = make(clock, o);
  EventLog second;
  b.subscribe(second.listener());
  std::string name_seen;
  b.subscribe([&name_seen](const CircuitEvent& e) { name_seen = std::string(e.breaker); });

  b.on_error(acquire(b), Error{ErrorCode::kBusy, "x"});
  trip(b);
  EXPECT_FALSE(b.try_acquire().ok());
  clock.advance(seconds(10));
  { Permit abandoned = acquire(b); }
  succeed(b);
  b.reset();
  using K = CircuitEventKind;
  const std::vector<K> expected = {K::kIgnored, K::kFailure,     K::kFailure,      K::kFailure,
                                   K::kFailure, K::kStateChanged, K::kNotPermitted, K::kStateChanged,
                                   K::kAbandoned, K::kSuccess,    K::kStateChanged, K::kReset};
  EXPECT_EQ(log.kinds(), expected);
  EXPECT_EQ(second.kinds(), expected);
  using S = CircuitState;
  const std::vector<std::pair<S, S>> changes = {
      {S::kClosed, S::kOpen}, {S::kOpen, S::kHalfOpen}, {S::kHalfOpen, S::kClosed}};
  EXPECT_EQ(log.changes(), changes);
  EXPECT_EQ(name_seen, "payments");
}

TEST(CircuitBreaker, SurvivesAMoveWithPermitsOutstanding) {
  ManualClock clock;
  std::optional<CircuitBreaker> first(make(clock, small_count_options()));
  Permit p = acquire(*first);
  CircuitBreaker moved = std::move(*first);
  first.reset();
  moved.on_error(std::move(p), unavailable("x"));
  EXPECT_EQ(moved.metrics().failed_calls, 1u);
}

}  // namespace
}  // namespace faultline::resilience
