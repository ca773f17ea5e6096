// The breaker state machine: CLOSED -> OPEN -> HALF_OPEN -> CLOSED / OPEN.
#include "tests/resilience/circuit_breaker/breaker_support.h"

namespace faultline::resilience {
namespace {

// ---------------------------------------------------------------------------------------------
// CLOSED -> OPEN

TEST(CircuitBreaker, OpensWhenTheFailureRateReachesTheThreshold) {
  ManualClock clock;
  CircuitBreaker b = make(clock, small_count_options());
  succeed(b);
  fail(b);
  succeed(b);
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  EXPECT_EQ(b.metrics().buffered_calls, 3u);
  fail(b);  // 2 of 4 = 50%
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  const CircuitMetrics m = b.metrics();
  EXPECT_EQ(m.buffered_calls, 4u);
  EXPECT_EQ(m.failed_calls, 2u);
  EXPECT_DOUBLE_EQ(m.failure_rate, 50.0);
}

TEST(CircuitBreaker, MinimumCallsDelaysTheVerdictAndASuccessCanOpenIt) {
  ManualClock clock;
  CircuitBreakerOptions o = small_count_options();
  o.window_size = 10;
  o.minimum_calls = 5;
  CircuitBreaker b = make(clock, o);
  for (int i = 0; i < 4; ++i) fail(b);
  EXPECT_EQ(b.state(), CircuitState::kClosed);  // 100% failures, but only 4 calls
  succeed(b);  // the fifth call: 4 of 5 = 80%
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

TEST(CircuitBreaker, CountWindowForgetsOldCalls) {
  ManualClock clock;
  CircuitBreaker b = make(clock, small_count_options());
  for (int i = 0; i < 6; ++i) succeed(b);
  fail(b);
  EXPECT_EQ(b.state(), CircuitState::kClosed);  // 1 of 4
  fail(b);  // the window is {S, S, F, F}: 50% (it would be 25% over all eight calls)
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

TEST(CircuitBreaker, TimeWindowForgetsOldCalls) {
  ManualClock clock;
  CircuitBreakerOptions o = small_count_options();
  o.window_kind = WindowKind::kTimeBased;
  o.window_duration = seconds(10);
  o.window_buckets = 10;
  o.minimum_calls = 2;
  o.failure_rate_threshold = 100;
  CircuitBreaker b = make(clock, o);
  fail(b);
  clock.advance(seconds(11));
  EXPECT_EQ(b.metrics().buffered_calls, 0u);  // metrics() sees the expiry too
  fail(b);
  EXPECT_EQ(b.state(), CircuitState::kClosed);  // the first failure has expired
  clock.advance(seconds(5));
  fail(b);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_EQ(b.metrics().buffered_calls, 2u);
}

TEST(CircuitBreaker, SlowCallsOpenItThroughTheSlowRate) {
  ManualClock clock;
  CircuitBreakerOptions o = small_count_options();
  o.window_size = 2;
  o.minimum_calls = 2;
  o.failure_rate_threshold = 100;
  o.slow_call_rate_threshold = 50;
  o.slow_call_duration = seconds(1);
  EventLog log;
  o.listener = log.listener();
  CircuitBreaker b = make(clock, o);

  Permit fast = acquire(b);
  clock.advance(milliseconds(999));
  b.on_success(std::move(fast));
  EXPECT_EQ(b.metrics().slow_calls, 0u);
  Permit slow = acquire(b);
  clock.advance(seconds(1));  // exactly the threshold: slow
  b.on_success(std::move(slow));
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  const CircuitMetrics m = b.metrics();
  EXPECT_EQ(m.slow_calls, 1u);
  EXPECT_EQ(m.failed_calls, 0u);
  EXPECT_DOUBLE_EQ(m.slow_call_rate, 50.0);
  ASSERT_GE(log.events.size(), 2u);
  EXPECT_EQ(log.events[0].kind, CircuitEventKind::kSuccess);
  EXPECT_EQ(log.events[0].elapsed, milliseconds(999));
  EXPECT_FALSE(log.events[0].slow);
  EXPECT_EQ(log.events[1].kind, CircuitEventKind::kSuccess);
  EXPECT_EQ(log.events[1].elapsed, seconds(1));
  EXPECT_TRUE(log.events[1].slow);
}

TEST(CircuitBreaker, ASlowFailureCountsBothWays) {
  ManualClock clock;
  CircuitBreakerOptions o = small_count_options();
  o.slow_call_duration = milliseconds(10);
  CircuitBreaker b = make(clock, o);
  Permit p = acquire(b);
  clock.advance(milliseconds(20));
  b.on_error(std::move(p), outcome_unknown("timeout"));
  const CircuitMetrics m = b.metrics();
  EXPECT_EQ(m.failed_calls, 1u);
  EXPECT_EQ(m.slow_calls, 1u);
}

TEST(CircuitBreaker, ClockReadsOnlyWhereTheFeaturesNeedThem) {
  {
    ManualClock clock;
    CircuitBreaker b = make(clock, small_count_options());
    for (int i = 0; i < 1000; ++i) succeed(b);
    EXPECT_EQ(clock.reads, 0) << "count-based, slow calls off: no clock read at all";
  }
  {
    ManualClock clock;
    CircuitBreakerOptions o = small_count_options();
    o.slow_call_duration = seconds(1);
    CircuitBreaker b = make(clock, o);
    for (int i = 0; i < 10; ++i) succeed(b);
    EXPECT_EQ(clock.reads, 20) << "timing: one read at acquire, one at report";
  }
  {
    ManualClock clock;
    CircuitBreakerOptions o = small_count_options();
    o.window_kind = WindowKind::kTimeBased;
    CircuitBreaker b = make(clock, o);
    for (int i = 0; i < 10; ++i) succeed(b);
    EXPECT_EQ(clock.reads, 10) << "time-based window: one read when recording";
  }
}

// ---------------------------------------------------------------------------------------------
// OPEN -> HALF_OPEN -> CLOSED / OPEN

TEST(CircuitBreaker, OpenRefusesUntilTheWaitThenLetsProbesThroughLazily) {
  ManualClock clock;
  CircuitBreaker b = make(clock, small_count_options());
  trip(b);
  clock.advance(seconds(10) - nanoseconds(1));
  Result<Permit> refused = b.try_acquire();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kCircuitOpen);
  EXPECT_NE(refused.error().message.find("'payments'"), std::string::npos);
  EXPECT_NE(refused.error().message.find("is open"), std::string::npos);
  EXPECT_NE(refused.error().message.find("1ns"), std::string::npos);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_EQ(b.metrics().not_permitted_calls, 1u);

  clock.advance(nanoseconds(1));
  EXPECT_EQ(b.state(), CircuitState::kOpen) << "no timers: nothing happens until someone asks";
  Permit p1 = acquire(b);
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  Permit p2 = acquire(b);
  Result<Permit> third = b.try_acquire();
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.error().message.find("half_open"), std::string::npos);
  EXPECT_EQ(b.metrics().half_open_in_flight, 2u);

  b.on_success(std::move(p1));
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  b.on_success(std::move(p2));
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  EXPECT_EQ(b.metrics().buffered_calls, 0u) << "closing starts an empty window";
}

TEST(CircuitBreaker, HalfOpenReopensWhenProbesFail) {
  ManualClock clock;
  CircuitBreaker b = make(clock, small_count_options());
  trip(b);
  clock.advance(seconds(10));
  Permit p1 = acquire(b);
  Permit p2 = acquire(b);
  b.on_success(std::move(p1));
  b.on_error(std::move(p2), unavailable("still down"));  // 1 of 2 = 50%
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_FALSE(b.try_acquire().ok());
}

TEST(CircuitBreaker, HalfOpenSlotsArePerEpisodeNotJustConcurrent) {
  ManualClock clock;
  CircuitBreaker b = make(clock, small_count_options());
  trip(b);
  clock.advance(seconds(10));
  Permit p1 = acquire(b);
  Permit p2 = acquire(b);
  b.on_success(std::move(p1));
  // One probe in flight, one recorded: both slots of this episode are used.
  EXPECT_FALSE(b.try_acquire().ok());
  EXPECT_EQ(b.metrics().half_open_in_flight, 1u);
  EXPECT_EQ(b.metrics().buffered_calls, 1u);
  b.on_success(std::move(p2));
  EXPECT_EQ(b.state(), CircuitState::kClosed);
}

TEST(CircuitBreaker, IgnoredAndAbandonedProbesGiveTheirSlotBack) {
  ManualClock clock;
  CircuitBreaker b = make(clock, small_count_options());
  trip(b);
  clock.advance(seconds(10));
  Permit p1 = acquire(b);
  {
    Permit p2 = acquire(b);
    EXPECT_FALSE(b.try_acquire().ok());
  }  // destroyed unreported
  EXPECT_EQ(b.metrics().half_open_in_flight, 1u);
  Permit p3 = acquire(b);
  b.on_error(std::move(p3), failed_precondition("bad request"));  // ignored
  EXPECT_EQ(b.metrics().half_open_in_flight, 1u);
  EXPECT_EQ(b.metrics().buffered_calls, 0u);
  Permit p4 = acquire(b);
  b.on_success(std::move(p1));
  b.on_success(std::move(p4));
  EXPECT_EQ(b.state(), CircuitState::kClosed);
}

TEST(CircuitBreaker, AnAbandonedClosedPermitRecordsNothing) {
  ManualClock clock;
  CircuitBreaker b = make(clock, small_count_options());
  for (int i = 0; i < 3; ++i) {
    Permit p = acquire(b);
  }
  EXPECT_EQ(b.metrics().buffered_calls, 0u);
}

TEST(CircuitBreaker, StalePermitsAreIgnored) {
  ManualClock clock;
  CircuitBreakerOptions o = small_count_options();
  o.slow_call_duration = seconds(1);
  o.slow_call_rate_threshold = 50;
  EventLog log;
  o.listener = log.listener();
  CircuitBreaker b = make(clock, o);
  Permit from_closed = acquire(b);  // a slow call that starts while CLOSED
  trip(b);
  clock.advance(seconds(10));
  Permit probe = acquire(b);
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  // The old call ends, slow and failed: it must not count against this episode's probes...
  b.on_error(std::move(from_closed), unavailable("late"));
  EXPECT_EQ(log.events.back().kind, CircuitEventKind::kStale);
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  EXPECT_EQ(b.metrics().buffered_calls, 0u);
  EXPECT_EQ(b.metrics().half_open_in_flight, 1u);
  // ...nor free a probe slot.
  Permit probe2 = acquire(b);
  EXPECT_FALSE(b.try_acquire().ok());
  b.on_success(std::move(probe));
  b.on_success(std::move(probe2));
  ASSERT_EQ(b.state(), CircuitState::kClosed);

  // A permit from the half-open episode, reported after closing, is not in the new window.
  b.force_open();
  b.close();
  Permit closed = acquire(b);
  b.reset();  // a new episode without a state change
  b.on_error(std::move(closed), unavailable("late"));
  EXPECT_EQ(b.metrics().buffered_calls, 0u);
}

TEST(CircuitBreaker, MaxWaitInHalfOpenReopensWhenProbesHang) {
  ManualClock clock;
  CircuitBreakerOptions o = small_count_options();
  o.max_wait_in_half_open = seconds(30);
  o.wait_multiplier = 2;
  o.max_wait_in_open = seconds(100);
  CircuitBreaker b = make(clock, o);
  trip(b);
  clock.advance(seconds(10));
  Permit hung1 = acquire(b);
  Permit hung2 = acquire(b);
  clock.advance(seconds(30) - nanoseconds(1));
  EXPECT_FALSE(b.try_acquire().ok());
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  clock.advance(nanoseconds(1));
  EXPECT_FALSE(b.try_acquire().ok());
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_EQ(b.metrics().open_wait, seconds(20)) << "a timed-out half-open is a reopening";
  b.on_success(std::move(hung1));  // stale
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

TEST(CircuitBreaker, OpenWaitGrowsOnReopeningAndResetsOnClosing) {
  ManualClock clock;
  CircuitBreakerOptions o = small_count_options();
  o.permitted_calls_in_half_open = 1;
  o.wait_multiplier = 2;
  o.max_wait_in_open = seconds(35);
  CircuitBreaker b = make(clock, o);
  trip(b);
  // Each round: the wait holds to the nanosecond, then one probe fails.
  for (const Duration wait : {seconds(10), seconds(20), seconds(35), seconds(35)}) {
    EXPECT_EQ(b.metrics().open_wait, wait);
    clock.advance(wait - nanoseconds(1));
    EXPECT_FALSE(b.try_acquire().ok());
    clock.advance(nanoseconds(1));
    fail(b);
    ASSERT_EQ(b.state(), CircuitState::kOpen);
  }
  clock.advance(seconds(35));
  succeed(b);
  ASSERT_EQ(b.state(), CircuitState::kClosed);
  trip(b);
  EXPECT_EQ(b.metrics().open_wait, seconds(10));
  clock.advance(seconds(10));
  EXPECT_TRUE(b.try_acquire().ok());
}

}  // namespace
}  // namespace faultline::resilience
