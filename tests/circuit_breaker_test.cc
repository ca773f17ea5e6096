// faultline::resilience::CircuitBreaker and its sliding windows.
//
// Most tests drive the breaker by hand on a ManualClock (a faultline::Clock whose reading only
// moves when the test says so, and which counts its reads, so the "no clock read on the hot path"
// promise is checked too). execute() is tested inside a sim::World, on a process's virtual clock.
// The state-machine property at the end checks the breaker against a naive model (deques of
// outcomes, probe slots derived from the permits held) under generated sequences of acquires,
// outcomes, clock advances and forced transitions.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "faultline/resilience/circuit_breaker.h"
#include "faultline/resilience/sliding_window.h"
#include "faultline/sim/world.h"
#include "tests/sim_run.h"

namespace faultline::resilience {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

class ManualClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override {
    ++reads;
    return now_;
  }
  Task<void> sleep_for(Duration duration) override {
    now_ += std::max(duration, Duration::zero());
    co_return;
  }
  void advance(Duration d) { now_ += d; }

  mutable int reads = 0;

 private:
  TimePoint now_{seconds(1000) + milliseconds(123)};  // not aligned on any bucket width
};

CircuitBreakerOptions small_count_options() {
  CircuitBreakerOptions o;
  o.name = "payments";
  o.window_size = 4;
  o.minimum_calls = 4;
  o.failure_rate_threshold = 50;
  o.permitted_calls_in_half_open = 2;
  o.wait_in_open = seconds(10);
  return o;
}

CircuitBreaker make(Clock& clock, CircuitBreakerOptions options) {
  Result<CircuitBreaker> b = CircuitBreaker::create(clock, std::move(options));
  if (!b.ok()) throw std::runtime_error(b.error().to_string());
  return std::move(b).value();
}

Permit acquire(CircuitBreaker& b) {
  Result<Permit> p = b.try_acquire();
  if (!p.ok()) throw std::runtime_error("refused: " + p.error().to_string());
  return std::move(p).value();
}

void succeed(CircuitBreaker& b) { b.on_success(acquire(b)); }
void fail(CircuitBreaker& b) { b.on_error(acquire(b), unavailable("down")); }

// Trips a small_count_options() breaker: four failures.
void trip(CircuitBreaker& b) {
  for (int i = 0; i < 4; ++i) fail(b);
  ASSERT_EQ(b.state(), CircuitState::kOpen);
}

struct EventLog {
  std::vector<CircuitEvent> events;  // string_view/pointer fields are dangling: kinds/states only
  CircuitListener listener() {
    return [this](const CircuitEvent& e) { events.push_back(e); };
  }
  [[nodiscard]] std::vector<CircuitEventKind> kinds() const {
    std::vector<CircuitEventKind> out;
    for (const auto& e : events) out.push_back(e.kind);
    return out;
  }
  [[nodiscard]] std::vector<std::pair<CircuitState, CircuitState>> changes() const {
    std::vector<std::pair<CircuitState, CircuitState>> out;
    for (const auto& e : events) {
      if (e.kind == CircuitEventKind::kStateChanged) out.emplace_back(e.from, e.to);
    }
    return out;
  }
};

// ---------------------------------------------------------------------------------------------
// Sliding windows

TEST(CountWindow, KeepsTheLastNCallsWithRunningTotals) {
  CountWindow w = std::move(CountWindow::create(3)).value();
  w.record(true, false);
  w.record(false, true);
  EXPECT_EQ(w.totals(), (WindowTotals{2, 1, 1}));
  w.record(true, true);
  EXPECT_EQ(w.totals(), (WindowTotals{3, 2, 2}));
  w.record(false, false);  // evicts the first (failed)
  EXPECT_EQ(w.totals(), (WindowTotals{3, 1, 2}));
  w.record(false, false);  // evicts the slow success
  EXPECT_EQ(w.totals(), (WindowTotals{3, 1, 1}));
  w.record(false, false);  // evicts the slow failure
  EXPECT_EQ(w.totals(), (WindowTotals{3, 0, 0}));
}

TEST(CountWindow, ClearForgetsEverythingWithoutZeroingTheRing) {
  CountWindow w = std::move(CountWindow::create(2)).value();
  w.record(true, true);
  w.record(true, true);
  w.clear();
  EXPECT_EQ(w.totals(), (WindowTotals{}));
  // The ring still holds the old entries; they must not be "evicted" from the new totals.
  w.record(false, false);
  w.record(false, false);
  EXPECT_EQ(w.totals(), (WindowTotals{2, 0, 0}));
  w.record(true, false);
  EXPECT_EQ(w.totals(), (WindowTotals{2, 1, 0}));
}

TEST(CountWindow, RejectsSizesOutOfRange) {
  EXPECT_FALSE(CountWindow::create(0).ok());
  EXPECT_FALSE(CountWindow::create(CountWindow::kMaxSize + 1).ok());
  EXPECT_TRUE(CountWindow::create(CountWindow::kMaxSize).ok());
}

TEST(TimeWindow, ACallExpiresWhenItsBucketLeavesTheRing) {
  TimeWindow w = std::move(TimeWindow::create(seconds(3), 3)).value();
  ASSERT_EQ(w.bucket_width(), seconds(1));
  const TimePoint t0{seconds(100)};
  w.record(t0 + milliseconds(500), true, false);  // bucket [100s, 101s)
  w.record(t0 + milliseconds(1500), false, true);  // bucket [101s, 102s)
  EXPECT_EQ(w.totals_at(t0 + milliseconds(2999)), (WindowTotals{2, 1, 1}));
  EXPECT_EQ(w.totals_at(t0 + seconds(3)), (WindowTotals{1, 0, 1}));  // first bucket gone
  EXPECT_EQ(w.totals_at(t0 + seconds(4)), (WindowTotals{}));
  // totals_at() did not change the window; advance() does the same arithmetic.
  EXPECT_EQ(w.totals(), (WindowTotals{2, 1, 1}));
  w.advance(t0 + seconds(3));
  EXPECT_EQ(w.totals(), (WindowTotals{1, 0, 1}));
  w.record(t0 + seconds(3), true, false);
  EXPECT_EQ(w.totals(), (WindowTotals{2, 1, 1}));
}

TEST(TimeWindow, AJumpLongerThanTheWindowClearsIt) {
  TimeWindow w = std::move(TimeWindow::create(seconds(10), 10)).value();
  const TimePoint t0{seconds(50)};
  for (int i = 0; i < 10; ++i) w.record(t0 + seconds(i), i % 2 == 0, false);
  EXPECT_EQ(w.totals(), (WindowTotals{10, 5, 0}));
  w.record(t0 + hours(1000), false, false);
  EXPECT_EQ(w.totals(), (WindowTotals{1, 0, 0}));
}

TEST(TimeWindow, TimeGoingBackwardsRecordsIntoTheNewestBucket) {
  TimeWindow w = std::move(TimeWindow::create(seconds(2), 2)).value();
  const TimePoint t0{seconds(10)};
  w.record(t0, false, false);
  w.record(t0 - seconds(30), true, false);  // a clock stepped back: counted as "now"
  EXPECT_EQ(w.totals(), (WindowTotals{2, 1, 0}));
  EXPECT_EQ(w.totals_at(t0 + seconds(1)), (WindowTotals{2, 1, 0}));
  EXPECT_EQ(w.totals_at(t0 + seconds(2)), (WindowTotals{}));
}

TEST(TimeWindow, NegativeReadingsUseFloorDivision) {
  TimeWindow w = std::move(TimeWindow::create(seconds(2), 2)).value();
  w.record(TimePoint{milliseconds(-1500)}, true, false);  // bucket [-2s, -1s)
  EXPECT_EQ(w.totals_at(TimePoint{milliseconds(-1)}), (WindowTotals{1, 1, 0}));
  EXPECT_EQ(w.totals_at(TimePoint{milliseconds(0)}), (WindowTotals{}));
}

TEST(TimeWindow, WidthIsRoundedUpAndBucketsAreBounded) {
  EXPECT_EQ(std::move(TimeWindow::create(nanoseconds(10), 3)).value().bucket_width(),
            nanoseconds(4));
  EXPECT_FALSE(TimeWindow::create(nanoseconds(2), 3).ok());
  EXPECT_FALSE(TimeWindow::create(seconds(1), 0).ok());
  EXPECT_FALSE(TimeWindow::create(seconds(1), TimeWindow::kMaxBuckets + 1).ok());
  EXPECT_FALSE(TimeWindow::create(Duration::zero(), 1).ok());
  EXPECT_FALSE(TimeWindow::create(hours(25), 1).ok());
}

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

// ---------------------------------------------------------------------------------------------
// Configuration errors

TEST(CircuitBreaker, RejectsBadConfigurationNamingTheField) {
  using Mutate = void (*)(CircuitBreakerOptions&);
  struct Case {
    const char* field;
    Mutate mutate;
  };
  const Case cases[] = {
      {"name", [](CircuitBreakerOptions& o) { o.name = ""; }},
      {"name", [](CircuitBreakerOptions& o) { o.name = std::string(300, 'x'); }},
      {"window_size", [](CircuitBreakerOptions& o) { o.window_size = 0; }},
      {"window_size",
       [](CircuitBreakerOptions& o) { o.window_size = CountWindow::kMaxSize + 1; }},
      {"minimum_calls", [](CircuitBreakerOptions& o) { o.minimum_calls = 0; }},
      {"minimum_calls", [](CircuitBreakerOptions& o) { o.minimum_calls = 101; }},
      {"window_duration",
       [](CircuitBreakerOptions& o) {
         o.window_kind = WindowKind::kTimeBased;
         o.window_duration = Duration::zero();
       }},
      {"window_duration",
       [](CircuitBreakerOptions& o) {
         o.window_kind = WindowKind::kTimeBased;
         o.window_duration = -seconds(1);
       }},
      {"window_duration",
       [](CircuitBreakerOptions& o) {
         o.window_kind = WindowKind::kTimeBased;
         o.window_duration = hours(25);
       }},
      {"window_buckets",
       [](CircuitBreakerOptions& o) {
         o.window_kind = WindowKind::kTimeBased;
         o.window_buckets = 0;
       }},
      {"window_buckets",
       [](CircuitBreakerOptions& o) {
         o.window_kind = WindowKind::kTimeBased;
         o.window_buckets = 1001;
       }},
      {"minimum_calls",
       [](CircuitBreakerOptions& o) {
         o.window_kind = WindowKind::kTimeBased;
         o.minimum_calls = 0;
       }},
      {"failure_rate_threshold", [](CircuitBreakerOptions& o) { o.failure_rate_threshold = 0; }},
      {"failure_rate_threshold",
       [](CircuitBreakerOptions& o) { o.failure_rate_threshold = 100.5; }},
      {"failure_rate_threshold",
       [](CircuitBreakerOptions& o) { o.failure_rate_threshold = std::nan(""); }},
      {"slow_call_rate_threshold",
       [](CircuitBreakerOptions& o) { o.slow_call_rate_threshold = -1; }},
      {"slow_call_duration",
       [](CircuitBreakerOptions& o) { o.slow_call_duration = Duration::zero(); }},
      {"slow_call_duration",
       [](CircuitBreakerOptions& o) { o.slow_call_duration = -milliseconds(1); }},
      {"permitted_calls_in_half_open",
       [](CircuitBreakerOptions& o) { o.permitted_calls_in_half_open = 0; }},
      {"permitted_calls_in_half_open",
       [](CircuitBreakerOptions& o) { o.permitted_calls_in_half_open = 1001; }},
      {"wait_in_open", [](CircuitBreakerOptions& o) { o.wait_in_open = Duration::zero(); }},
      {"wait_in_open", [](CircuitBreakerOptions& o) { o.wait_in_open = -seconds(1); }},
      {"wait_in_open", [](CircuitBreakerOptions& o) { o.wait_in_open = hours(25); }},
      {"wait_multiplier", [](CircuitBreakerOptions& o) { o.wait_multiplier = 0.5; }},
      {"wait_multiplier", [](CircuitBreakerOptions& o) { o.wait_multiplier = 101; }},
      {"max_wait_in_open",
       [](CircuitBreakerOptions& o) { o.max_wait_in_open = o.wait_in_open - nanoseconds(1); }},
      {"max_wait_in_open", [](CircuitBreakerOptions& o) { o.max_wait_in_open = hours(25); }},
      {"max_wait_in_half_open",
       [](CircuitBreakerOptions& o) { o.max_wait_in_half_open = Duration::zero(); }},
  };
  ManualClock clock;
  ASSERT_TRUE(CircuitBreaker::create(clock, CircuitBreakerOptions{}).ok());
  for (const Case& c : cases) {
    CircuitBreakerOptions o;
    c.mutate(o);
    Result<CircuitBreaker> b = CircuitBreaker::create(clock, std::move(o));
    ASSERT_FALSE(b.ok()) << c.field;
    EXPECT_EQ(b.error().code, ErrorCode::kInvalidArgument) << c.field;
    EXPECT_EQ(b.error().message.rfind(std::string(c.field) + ":", 0), 0u)
        << "expected the message to start with '" << c.field << ":', got: " << b.error().message;
    EXPECT_NE(b.error().message.find("must"), std::string::npos) << b.error().message;
  }
}

// ---------------------------------------------------------------------------------------------
// execute(), on a simulated process's clock

TEST(CircuitBreakerExecute, RunsReportsAndRefusesWithoutCalling) {
  sim::World world(7);
  sim::Process& client = world.add_process("client");
  CircuitBreakerOptions o = small_count_options();
  o.window_size = 2;
  o.minimum_calls = 2;
  o.failure_rate_threshold = 100;
  o.slow_call_rate_threshold = 100;
  o.slow_call_duration = seconds(1);
  std::optional<CircuitBreaker> holder(make(client.clock(), o));
  CircuitBreaker* b = &*holder;
  int calls = 0;
  sim::ProcessClock& clock = client.clock();
  // An lvalue op: referenced by execute().
  auto slow_ok = [&]() -> Task<Result<int>> {
    ++calls;
    co_await clock.sleep_for(seconds(2));
    co_return 7;
  };
  auto run = [&](Task<Result<int>> t) { return testing::run_on(world, client, std::move(t)); };
  Result<int> r1 = run(b->execute<int>(slow_ok));
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(*r1, 7);
  EXPECT_EQ(b->metrics().slow_calls, 1u);

  // An rvalue op with a non-trivial capture, moved into the coroutine; the breaker handle is
  // moved while the call is suspended.
  std::string reason = "backend says 503";
  Task<Result<int>> pending = b->execute<int>(
      [reason, &clock, &calls]() -> Task<Result<int>> {
        ++calls;
        co_await clock.sleep_for(milliseconds(1500));
        co_return Error{ErrorCode::kUnavailable, reason};
      });
  std::optional<Result<int>> r2;
  client.spawn([](Task<Result<int>> t, std::optional<Result<int>>* out) -> Task<void> {
    Result<int> r = co_await std::move(t);
    out->emplace(std::move(r));
  }(std::move(pending), &r2));
  while (calls < 2 && world.step()) {
  }
  ASSERT_EQ(calls, 2) << "the call is now suspended in its sleep";
  CircuitBreaker moved = std::move(*holder);
  holder.reset();
  b = &moved;
  while (!r2 && world.step()) {
  }
  ASSERT_TRUE(r2.has_value());
  ASSERT_FALSE(r2->ok());
  EXPECT_EQ(r2->error().message, "backend says 503");
  EXPECT_EQ(b->state(), CircuitState::kOpen);  // two slow calls

  Result<int> r3 = run(b->execute<int>(slow_ok));
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().code, ErrorCode::kCircuitOpen);
  EXPECT_EQ(calls, 2) << "a refused execute() never calls op";
}

TEST(CircuitBreakerExecute, ResultPredicateCountsValuesAsFailures) {
  sim::World world(8);
  sim::Process& client = world.add_process("client");
  CircuitBreakerOptions o = small_count_options();
  o.window_size = 2;
  o.minimum_calls = 2;
  o.failure_rate_threshold = 100;
  CircuitBreaker b = make(client.clock(), o);
  auto http = []() -> Task<Result<int>> { co_return 503; };
  const auto is_503 = [](int status) { return status == 503; };
  for (int i = 0; i < 2; ++i) {
    Result<int> r = testing::run_on(world, client, b.execute<int>(http, is_503));
    ASSERT_TRUE(r.ok()) << "the value still reaches the caller";
    EXPECT_EQ(*r, 503);
  }
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

// ---------------------------------------------------------------------------------------------
// State-machine property: the breaker against a naive model.

enum class Outcome { kSuccess, kUnavailable, kBusy, kLocalRefusal, kCallerError, kResultFailure };

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kSuccess: return "success";
    case Outcome::kUnavailable: return "unavailable";
    case Outcome::kBusy: return "busy";
    case Outcome::kLocalRefusal: return "circuit_open";
    case Outcome::kCallerError: return "invalid_argument";
    case Outcome::kResultFailure: return "result_failure";
  }
  return "?";
}

// What the header documents, written out by hand: unavailable and a failed result count as
// failures; busy, local refusals and caller errors are ignored.
enum class Judged { kSuccess, kFailure, kIgnored };
Judged judge(Outcome o) {
  switch (o) {
    case Outcome::kSuccess: return Judged::kSuccess;
    case Outcome::kUnavailable:
    case Outcome::kResultFailure: return Judged::kFailure;
    default: return Judged::kIgnored;
  }
}

struct ModelEntry {
  bool failed;
  bool slow;
  std::int64_t slice;  // time-based windows: which bucket-width slice of time it fell in
};
struct ModelPermit {
  std::uint64_t episode;
  TimePoint started;
};

struct Model {
  CircuitBreakerOptions options;
  int failure_pct = 50;  // the same thresholds as integers: exact arithmetic in the model
  int slow_pct = 100;
  bool listen = false;

  TimePoint now{};
  CircuitState state = CircuitState::kClosed;
  std::uint64_t episode = 0;
  std::deque<ModelEntry> window;       // recorded while CLOSED (oldest first)
  std::vector<ModelPermit> permits;    // held by the test, in order of issue
  std::vector<ModelEntry> probes;      // recorded in this HALF_OPEN episode
  TimePoint opened_at{};
  TimePoint half_open_since{};
  Duration wait{};
  std::uint64_t not_permitted = 0;
  int state_changes = 0;

  [[nodiscard]] bool timed() const { return options.slow_call_duration != Duration::max(); }
  [[nodiscard]] bool count_based() const {
    return options.window_kind == WindowKind::kCountBased;
  }
  [[nodiscard]] std::int64_t slice(TimePoint t) const {
    const std::int64_t buckets = options.window_buckets;
    const std::int64_t width = (options.window_duration.count() + buckets - 1) / buckets;
    const std::int64_t n = t.time_since_epoch().count();
    return n >= 0 ? n / width : -((-n + width - 1) / width);
  }
  [[nodiscard]] bool live(const ModelEntry& e) const {
    return count_based() || slice(now) - e.slice < options.window_buckets;
  }
  // Probes are not in a time window: only the closed window's entries expire.
  [[nodiscard]] WindowTotals totals_of(const auto& entries, bool expire) const {
    WindowTotals t;
    for (const ModelEntry& e : entries) {
      if (expire && !live(e)) continue;
      ++t.calls;
      t.failures += e.failed ? 1 : 0;
      t.slow += e.slow ? 1 : 0;
    }
    return t;
  }
  [[nodiscard]] bool over(const WindowTotals& t) const {
    return t.failures * 100 >= static_cast<std::uint64_t>(failure_pct) * t.calls ||
           t.slow * 100 >= static_cast<std::uint64_t>(slow_pct) * t.calls;
  }
  [[nodiscard]] std::uint32_t probes_in_flight() const {
    if (state != CircuitState::kHalfOpen) return 0;
    return static_cast<std::uint32_t>(std::count_if(
        permits.begin(), permits.end(), [&](const ModelPermit& p) { return p.episode == episode; }));
  }

  void enter(CircuitState to) {
    const CircuitState from = state;
    state = to;
    ++episode;
    ++state_changes;
    probes.clear();
    if (to == CircuitState::kClosed) {
      window.clear();
      wait = options.wait_in_open;
    } else if (to == CircuitState::kOpen) {
      opened_at = now;
      if (from == CircuitState::kHalfOpen) {
        const double grown = static_cast<double>(wait.count()) * options.wait_multiplier;
        wait = grown >= static_cast<double>(options.max_wait_in_open.count())
                   ? options.max_wait_in_open
                   : Duration(static_cast<std::int64_t>(grown));
      } else {
        wait = options.wait_in_open;
      }
    } else if (to == CircuitState::kHalfOpen) {
      half_open_since = now;
    }
  }

  // True when permitted (and then a permit is held).
  bool acquire() {
    if (state == CircuitState::kOpen && now - opened_at >= wait) enter(CircuitState::kHalfOpen);
    if (state == CircuitState::kHalfOpen && options.max_wait_in_half_open != Duration::max() &&
        now - half_open_since >= options.max_wait_in_half_open) {
      enter(CircuitState::kOpen);
    }
    bool ok = false;
    switch (state) {
      case CircuitState::kClosed:
      case CircuitState::kDisabled: ok = true; break;
      case CircuitState::kHalfOpen:
        ok = probes_in_flight() + probes.size() < options.permitted_calls_in_half_open;
        break;
      case CircuitState::kOpen:
      case CircuitState::kForcedOpen: ok = false; break;
    }
    if (ok) {
      permits.push_back({episode, now});
    } else {
      ++not_permitted;
    }
    return ok;
  }

  void report(std::size_t index, Outcome outcome) {
    const ModelPermit p = permits.at(index);
    permits.erase(permits.begin() + static_cast<std::ptrdiff_t>(index));
    if (p.episode != episode || state == CircuitState::kDisabled) return;
    const Judged j = judge(outcome);
    if (j == Judged::kIgnored) return;  // a half-open slot frees itself: the permit is gone
    const ModelEntry e{j == Judged::kFailure,
                       timed() && now - p.started >= options.slow_call_duration, slice(now)};
    if (state == CircuitState::kClosed) {
      window.push_back(e);
      if (count_based() && window.size() > options.window_size) window.pop_front();
      while (!window.empty() && !live(window.front())) window.pop_front();
      const WindowTotals t = totals_of(window, true);
      if (t.calls >= options.minimum_calls && over(t)) enter(CircuitState::kOpen);
    } else {
      probes.push_back(e);
      if (probes.size() == options.permitted_calls_in_half_open) {
        enter(over(totals_of(probes, false)) ? CircuitState::kOpen : CircuitState::kClosed);
      }
    }
  }

  void abandon(std::size_t index) {
    permits.erase(permits.begin() + static_cast<std::ptrdiff_t>(index));
  }

  void reset() {
    if (state == CircuitState::kClosed) {
      ++episode;
      window.clear();
      wait = options.wait_in_open;
    } else {
      enter(CircuitState::kClosed);
    }
    not_permitted = 0;
  }

  [[nodiscard]] CircuitMetrics metrics() const {
    CircuitMetrics m;
    m.state = state;
    const WindowTotals t =
        state == CircuitState::kHalfOpen ? totals_of(probes, false) : totals_of(window, true);
    m.buffered_calls = t.calls;
    m.failed_calls = t.failures;
    m.slow_calls = t.slow;
    m.not_permitted_calls = not_permitted;
    m.half_open_in_flight = probes_in_flight();
    m.open_wait = wait;
    return m;
  }
};

struct HeldPermit {
  Permit permit;
  CircuitState issued_in;
  int generation;  // the test's own count of episodes when it was issued
};

struct Sut {
  ManualClock clock;
  std::optional<CircuitBreaker> breaker;  // declared before `held`: destroyed after it
  std::vector<HeldPermit> held;
  int state_changes = 0;  // from kStateChanged events (when listening)
  int generation = 0;     // bumped whenever the test sees the state change, or resets
  bool saw_half_open = false;  // coverage, reported by RC_CLASSIFY
  bool saw_reclose = false;    // HALF_OPEN -> CLOSED
  bool saw_reopen = false;     // HALF_OPEN -> OPEN

  // Runs a breaker operation and tracks episodes from the outside: each operation makes at most
  // one state change (or is a reset).
  template <class F>
  auto observe(F&& f, bool is_reset = false) {
    const CircuitState before = breaker->state();
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      seen(before, is_reset);
    } else {
      auto r = f();
      seen(before, is_reset);
      return r;
    }
  }
  void seen(CircuitState before, bool is_reset) {
    const CircuitState after = breaker->state();
    if (is_reset || after != before) ++generation;
    saw_half_open = saw_half_open || after == CircuitState::kHalfOpen;
    if (before == CircuitState::kHalfOpen && after == CircuitState::kClosed && !is_reset) {
      saw_reclose = true;
    }
    saw_reopen = saw_reopen || (before == CircuitState::kHalfOpen && after == CircuitState::kOpen);
  }
};

void check_same(const Model& m, Sut& s) {
  CircuitBreaker& b = *s.breaker;
  const CircuitMetrics got = b.metrics();
  const CircuitMetrics want = m.metrics();
  RC_ASSERT(to_string(got.state) == to_string(want.state));
  RC_ASSERT(got.buffered_calls == want.buffered_calls);
  RC_ASSERT(got.failed_calls == want.failed_calls);
  RC_ASSERT(got.slow_calls == want.slow_calls);
  RC_ASSERT(got.not_permitted_calls == want.not_permitted_calls);
  RC_ASSERT(got.half_open_in_flight == want.half_open_in_flight);
  RC_ASSERT(got.open_wait == want.open_wait);
  if (got.buffered_calls > 0) {
    RC_ASSERT(got.failure_rate == static_cast<double>(got.failed_calls) * 100.0 /
                                      static_cast<double>(got.buffered_calls));
  }
  RC_ASSERT(s.held.size() == m.permits.size());
  // The safety property, counted from the permits the test holds: never more probes of the
  // current half-open episode outstanding than permitted.
  std::uint32_t live_probes = 0;
  for (const HeldPermit& h : s.held) {
    if (h.issued_in == CircuitState::kHalfOpen && h.generation == s.generation) ++live_probes;
  }
  if (b.state() != CircuitState::kHalfOpen) live_probes = 0;
  RC_ASSERT(live_probes <= m.options.permitted_calls_in_half_open);
  RC_ASSERT(live_probes == got.half_open_in_flight);
  if (m.listen) RC_ASSERT(s.state_changes == m.state_changes);
}

using BreakerCommand = rc::state::Command<Model, Sut>;

struct Acquire final : BreakerCommand {
  void apply(Model& m) const override { m.acquire(); }
  void run(const Model& m0, Sut& s) const override {
    Model m = m0;
    const bool want = m.acquire();
    Result<Permit> got = s.observe([&] { return s.breaker->try_acquire(); });
    RC_ASSERT(got.ok() == want);
    if (got.ok()) {
      s.held.push_back({std::move(got).value(), s.breaker->state(), s.generation});
    } else {
      RC_ASSERT(got.error().code == ErrorCode::kCircuitOpen);
      RC_ASSERT(got.error().message.find("'" + m.options.name + "'") != std::string::npos);
    }
    check_same(m, s);
  }
  void show(std::ostream& os) const override { os << "acquire"; }
};

struct Report final : BreakerCommand {
  std::size_t index;
  Outcome outcome;
  Duration took;  // the clock advances this much before the report

  explicit Report(const Model& m)
      : index(*rc::gen::inRange<std::size_t>(0, std::max<std::size_t>(m.permits.size(), 1))),
        outcome(*rc::gen::element(Outcome::kSuccess, Outcome::kSuccess, Outcome::kUnavailable,
                                  Outcome::kUnavailable, Outcome::kBusy, Outcome::kLocalRefusal,
                                  Outcome::kCallerError, Outcome::kResultFailure)),
        took(milliseconds(*rc::gen::element(0, 0, 50, 300, 900, 1500))) {}

  void checkPreconditions(const Model& m) const override {
    RC_PRE(index < m.permits.size());
  }
  void apply(Model& m) const override {
    m.now += took;
    m.report(index, outcome);
  }
  void run(const Model& m0, Sut& s) const override {
    Model m = m0;
    apply(m);
    s.clock.advance(took);
    Permit p = std::move(s.held.at(index).permit);
    s.held.erase(s.held.begin() + static_cast<std::ptrdiff_t>(index));
    s.observe([&] {
      CircuitBreaker& b = *s.breaker;
      switch (outcome) {
        case Outcome::kSuccess: b.on_success(std::move(p)); break;
        case Outcome::kUnavailable: b.on_error(std::move(p), unavailable("down")); break;
        case Outcome::kBusy: b.on_error(std::move(p), Error{ErrorCode::kBusy, "busy"}); break;
        case Outcome::kLocalRefusal:
          b.on_error(std::move(p), Error{ErrorCode::kCircuitOpen, "inner breaker"});
          break;
        case Outcome::kCallerError: b.on_error(std::move(p), invalid_argument("bad")); break;
        case Outcome::kResultFailure: b.on_result_failure(std::move(p)); break;
      }
    });
    RC_ASSERT(!p.valid());
    check_same(m, s);
  }
  void show(std::ostream& os) const override {
    os << "report #" << index << " " << outcome_name(outcome) << " after "
       << std::chrono::duration_cast<milliseconds>(took).count() << "ms";
  }
};

struct Abandon final : BreakerCommand {
  std::size_t index;
  explicit Abandon(const Model& m)
      : index(*rc::gen::inRange<std::size_t>(0, std::max<std::size_t>(m.permits.size(), 1))) {}
  void checkPreconditions(const Model& m) const override {
    RC_PRE(index < m.permits.size());
  }
  void apply(Model& m) const override { m.abandon(index); }
  void run(const Model& m0, Sut& s) const override {
    Model m = m0;
    apply(m);
    s.observe([&] {
      Permit dropped = std::move(s.held.at(index).permit);
      s.held.erase(s.held.begin() + static_cast<std::ptrdiff_t>(index));
    });  // `dropped` is destroyed unreported inside
    check_same(m, s);
  }
  void show(std::ostream& os) const override { os << "abandon #" << index; }
};

struct Advance final : BreakerCommand {
  Duration by = milliseconds(*rc::gen::element(1, 100, 500, 999, 1000, 1500, 3000, 10'000,
                                               3'600'000));
  void apply(Model& m) const override { m.now += by; }
  void run(const Model& m0, Sut& s) const override {
    Model m = m0;
    apply(m);
    s.clock.advance(by);
    check_same(m, s);
  }
  void show(std::ostream& os) const override {
    os << "advance " << std::chrono::duration_cast<milliseconds>(by).count() << "ms";
  }
};

enum class Forced { kDisable, kForceOpen, kClose, kReset };

struct Force final : BreakerCommand {
  Forced what = *rc::gen::element(Forced::kDisable, Forced::kForceOpen, Forced::kClose,
                                  Forced::kReset);
  void apply(Model& m) const override {
    switch (what) {
      case Forced::kDisable:
        if (m.state != CircuitState::kDisabled) m.enter(CircuitState::kDisabled);
        break;
      case Forced::kForceOpen:
        if (m.state != CircuitState::kForcedOpen) m.enter(CircuitState::kForcedOpen);
        break;
      case Forced::kClose:
        if (m.state != CircuitState::kClosed) m.enter(CircuitState::kClosed);
        break;
      case Forced::kReset: m.reset(); break;
    }
  }
  void run(const Model& m0, Sut& s) const override {
    Model m = m0;
    apply(m);
    CircuitBreaker& b = *s.breaker;
    switch (what) {
      case Forced::kDisable: s.observe([&] { b.disable(); }); break;
      case Forced::kForceOpen: s.observe([&] { b.force_open(); }); break;
      case Forced::kClose: s.observe([&] { b.close(); }); break;
      case Forced::kReset: s.observe([&] { b.reset(); }, true); break;
    }
    check_same(m, s);
  }
  void show(std::ostream& os) const override {
    const char* names[] = {"disable", "force_open", "close", "reset"};
    os << names[static_cast<int>(what)];
  }
};

Model generate_model() {
  Model m;
  CircuitBreakerOptions& o = m.options;
  o.name = "prop";
  o.window_kind = *rc::gen::element(WindowKind::kCountBased, WindowKind::kTimeBased);
  o.window_size = *rc::gen::inRange<std::uint32_t>(1, 7);
  o.window_duration = milliseconds(*rc::gen::inRange(1, 6000));
  o.window_buckets = *rc::gen::inRange<std::uint32_t>(1, 5);
  o.minimum_calls = o.window_kind == WindowKind::kCountBased
                        ? *rc::gen::inRange<std::uint32_t>(1, o.window_size + 1)
                        : *rc::gen::inRange<std::uint32_t>(1, 7);
  // Round thresholds often, so rates land exactly on them (>= versus >).
  const auto percent = rc::gen::oneOf(rc::gen::element(25, 50, 75, 100), rc::gen::inRange(1, 101));
  m.failure_pct = *percent;
  m.slow_pct = *percent;
  o.failure_rate_threshold = m.failure_pct;
  o.slow_call_rate_threshold = m.slow_pct;
  // Slow-call detection off half the time, and no listener three times in four: those are the
  // configurations that take the inline fast path.
  o.slow_call_duration = *rc::gen::element(Duration::max(), Duration::max(),
                                           Duration(milliseconds(300)), Duration(seconds(1)));
  o.permitted_calls_in_half_open = *rc::gen::inRange<std::uint32_t>(1, 4);
  o.wait_in_open = milliseconds(*rc::gen::inRange(1, 4) * 1000);
  o.wait_multiplier = *rc::gen::element(1.0, 1.5, 2.0, 3.0);
  o.max_wait_in_open = o.wait_in_open * *rc::gen::inRange(1, 5);
  o.max_wait_in_half_open =
      *rc::gen::element(Duration::max(), Duration(seconds(2)), Duration(seconds(5)));
  m.listen = *rc::gen::element(false, false, false, true);
  m.wait = o.wait_in_open;
  return m;
}

RC_GTEST_PROP(CircuitBreakerModel, BehavesLikeTheModel, ()) {
  Model initial = generate_model();
  Sut sut;
  initial.now = sut.clock.now();
  CircuitBreakerOptions o = initial.options;
  if (initial.listen) {
    o.listener = [&sut](const CircuitEvent& e) {
      if (e.kind == CircuitEventKind::kStateChanged) ++sut.state_changes;
    };
  }
  sut.breaker.emplace(make(sut.clock, std::move(o)));
  // Sequences up to ~4x the default length: a breaker needs a few dozen steps to go round its
  // states more than once.
  const auto commands = *rc::gen::scale(
      4.0, rc::state::gen::commands(
               initial, rc::state::gen::execOneOfWithArgs<Acquire, Acquire, Acquire, Acquire,
                                                          Report, Report, Report, Report, Abandon,
                                                          Advance, Advance, Force>()));
  rc::state::runAll(commands, initial, sut);
  RC_CLASSIFY(sut.saw_half_open, "half_open");
  RC_CLASSIFY(sut.saw_reclose, "half_open->closed");
  RC_CLASSIFY(sut.saw_reopen, "half_open->open");
  sut.held.clear();
}

}  // namespace
}  // namespace faultline::resilience
