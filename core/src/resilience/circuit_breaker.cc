#include "faultline/resilience/circuit_breaker.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "faultline/duration_text.h"
#include "faultline/validate.h"

namespace faultline::resilience {
namespace {

// The window's own options: its size, or its duration and buckets, and the minimum number of
// calls it judges.
Result<void> validate_window(const CircuitBreakerOptions& o) {
  if (o.window_kind == WindowKind::kCountBased) {
    if (auto r = check_range("window_size", o.window_size, 1, CountWindow::kMaxSize); !r) return r;
    return check_range("minimum_calls", o.minimum_calls, 1, o.window_size,
                       "at most window_size for a count-based window: more could never be "
                       "buffered");
  }
  if (auto r = check_positive("window_duration", o.window_duration, TimeWindow::kMaxDuration); !r) {
    return r;
  }
  const std::int64_t max_buckets =
      std::min<std::int64_t>(TimeWindow::kMaxBuckets, o.window_duration.count());
  if (auto r = check_range("window_buckets", o.window_buckets, 1, max_buckets,
                           "at most 1000, each bucket at least 1ns of window_duration");
      !r) {
    return r;
  }
  return check_range("minimum_calls", o.minimum_calls, 1, CircuitBreakerOptions::kMaxMinimumCalls);
}

// How long the circuit stays open, and how long half-open waits for its probes.
Result<void> validate_waits(const CircuitBreakerOptions& o) {
  if (auto r = check_positive("wait_in_open", o.wait_in_open, CircuitBreakerOptions::kMaxOpenWait);
      !r) {
    return r;
  }
  if (auto r = check_real_range("wait_multiplier", o.wait_multiplier, 1.0,
                                CircuitBreakerOptions::kMaxWaitMultiplier);
      !r) {
    return r;
  }
  if (o.max_wait_in_open < o.wait_in_open ||
      o.max_wait_in_open > CircuitBreakerOptions::kMaxOpenWait) {
    return field_error("max_wait_in_open", duration_text(o.max_wait_in_open),
                       "must be in [wait_in_open=" + duration_text(o.wait_in_open) + ", " +
                           duration_text(CircuitBreakerOptions::kMaxOpenWait) + "]");
  }
  return check_positive("max_wait_in_half_open", o.max_wait_in_half_open, Duration::max(),
                        "Duration::max() waits for the probes forever");
}

}  // namespace

Result<void> CircuitBreakerOptions::validate() const {
  if (auto r = check_size("name", name.size(), 1, kMaxNameLength, "characters"); !r) return r;
  if (auto r = validate_window(*this); !r) return r;
  if (auto r =
          check_real_positive("failure_rate_threshold", failure_rate_threshold, 100.0, "percent");
      !r) {
    return r;
  }
  if (auto r = check_real_positive("slow_call_rate_threshold", slow_call_rate_threshold, 100.0,
                                   "percent");
      !r) {
    return r;
  }
  if (auto r = check_positive("slow_call_duration", slow_call_duration, Duration::max(),
                              "Duration::max() turns slow-call detection off");
      !r) {
    return r;
  }
  if (auto r = check_range("permitted_calls_in_half_open", permitted_calls_in_half_open, 1,
                           kMaxHalfOpenCalls);
      !r) {
    return r;
  }
  return validate_waits(*this);
}

Result<CircuitBreaker> CircuitBreaker::create(Clock& clock, CircuitBreakerOptions options) {
  if (auto r = options.validate(); !r) return std::move(r).error();
  // Both windows exist so that the hot path needs no indirection; the unused one is minimal.
  const bool count_based = options.window_kind == WindowKind::kCountBased;
  Result<CountWindow> count = CountWindow::create(count_based ? options.window_size : 1);
  Result<TimeWindow> time = TimeWindow::create(
      count_based ? Duration(1) : options.window_duration, count_based ? 1 : options.window_buckets);
  // validate() checked the same ranges.
  assert(count.ok() && time.ok());
  return CircuitBreaker(std::make_unique<detail::BreakerCore>(
      clock, std::move(options), std::move(count).value(), std::move(time).value()));
}

void Permit::abandon() noexcept { core_->abandon(*this); }

namespace detail {

BreakerCore::BreakerCore(const Clock& clock, CircuitBreakerOptions options, CountWindow count,
                         TimeWindow time)
    : clock_(&clock), options_(std::move(options)), count_(std::move(count)),
      time_(std::move(time)), timed_(options_.slow_call_duration != Duration::max()),
      open_wait_(options_.wait_in_open) {
  if (options_.listener) listeners_.push_back(std::move(options_.listener));
  options_.listener = nullptr;  // held in listeners_ only
  update_fast_path();
}

void BreakerCore::update_fast_path() noexcept {
  fast_closed_ = state_ == CircuitState::kClosed && !timed_ &&
                 options_.window_kind == WindowKind::kCountBased && listeners_.empty();
}

void BreakerCore::emit(CircuitEventKind kind, CircuitState from, Duration elapsed, bool slow,
                       const Error* error) {
  if (listeners_.empty()) return;
  const CircuitEvent event{kind, options_.name, from, state_, elapsed, slow, error};
  notifying_ = true;
  for (const CircuitListener& listener : listeners_) listener(event);
  notifying_ = false;
}

Result<Permit> BreakerCore::issue(TimePoint started) {
  ++outstanding_;
  return Permit(this, episode_, started);
}

Error BreakerCore::refuse(TimePoint now) {
  ++not_permitted_;
  emit(CircuitEventKind::kNotPermitted, state_);
  std::string message = "circuit breaker '" + options_.name + "' is " +
                        std::string(to_string(state_));
  if (state_ == CircuitState::kOpen) {
    message += "; probes allowed in " + duration_text(opened_at_ + open_wait_ - now);
  } else if (state_ == CircuitState::kHalfOpen) {
    message += "; all " + std::to_string(options_.permitted_calls_in_half_open) +
               " probes are taken";
  }
  return Error{ErrorCode::kCircuitOpen, std::move(message)};
}

Result<Permit> BreakerCore::try_acquire_slow() {
  assert(!notifying_ && "a listener called back into its breaker");
  switch (state_) {
    case CircuitState::kClosed:
      return issue(timed_ ? clock_->now() : TimePoint{});
    case CircuitState::kDisabled:
      return issue(TimePoint{});
    case CircuitState::kForcedOpen:
      return refuse(TimePoint{});
    case CircuitState::kOpen: {
      const TimePoint now = clock_->now();
      // A clock stepped backwards makes the difference negative: the wait only lengthens.
      if (now - opened_at_ < open_wait_) return refuse(now);
      transition(CircuitState::kHalfOpen, now);
      return acquire_probe(now);
    }
    case CircuitState::kHalfOpen: {
      const bool need_now = timed_ || options_.max_wait_in_half_open != Duration::max();
      return acquire_probe(need_now ? clock_->now() : TimePoint{});
    }
  }
  assert(false && "unknown state");
  return refuse(TimePoint{});
}

Result<Permit> BreakerCore::acquire_probe(TimePoint now) {
  assert(state_ == CircuitState::kHalfOpen);
  if (options_.max_wait_in_half_open != Duration::max() &&
      now - half_open_since_ >= options_.max_wait_in_half_open) {
    // The probes did not all report in time: treat the episode as failed.
    transition(CircuitState::kOpen, now);
    return refuse(now);
  }
  // Slots are counted per episode, and every permit of this episode is a probe: a permit from
  // CLOSED reported now is stale and frees nothing, so the bound cannot be exceeded.
  if (probes_in_flight_ + probes_recorded_ >= options_.permitted_calls_in_half_open) {
    return refuse(now);
  }
  ++probes_in_flight_;
  return issue(timed_ ? now : TimePoint{});
}

void BreakerCore::report(Permit& permit, OutcomeKind kind, const Error* error) {
  assert(!notifying_ && "a listener called back into its breaker");
  assert(outstanding_ > 0);
  permit.core_ = nullptr;
  --outstanding_;

  if (permit.episode_ != episode_) {
    emit(CircuitEventKind::kStale, state_, Duration::zero(), false, error);
    return;
  }
  // Permits are only issued in CLOSED, HALF_OPEN and DISABLED, and any state change starts a
  // new episode: so the state is one of those three here.
  assert(state_ == CircuitState::kClosed || state_ == CircuitState::kHalfOpen ||
         state_ == CircuitState::kDisabled);
  if (state_ == CircuitState::kDisabled) return;

  TimePoint now{};
  bool have_now = false;
  Duration elapsed = Duration::zero();
  bool slow = false;
  if (timed_) {
    now = clock_->now();
    have_now = true;
    elapsed = now - permit.started_;
    slow = elapsed >= options_.slow_call_duration;
  }
  const bool half_open = state_ == CircuitState::kHalfOpen;

  if (kind == OutcomeKind::kIgnored) {
    if (half_open) {
      assert(probes_in_flight_ > 0);
      --probes_in_flight_;  // the slot goes back: this outcome said nothing about health
    }
    emit(CircuitEventKind::kIgnored, state_, elapsed, slow, error);
    return;
  }
  const bool failed = kind == OutcomeKind::kFailure;
  const CircuitEventKind event = failed ? CircuitEventKind::kFailure : CircuitEventKind::kSuccess;

  if (!half_open) {
    bool open = false;
    if (options_.window_kind == WindowKind::kCountBased) {
      count_.record(failed, slow);
      open = trips(count_.totals());
    } else {
      if (!have_now) {
        now = clock_->now();
        have_now = true;
      }
      time_.record(now, failed, slow);
      open = trips(time_.totals());
    }
    emit(event, state_, elapsed, slow, error);
    if (open) transition(CircuitState::kOpen, have_now ? now : clock_->now());
    return;
  }

  assert(probes_in_flight_ > 0);
  --probes_in_flight_;
  ++probes_recorded_;
  probe_failures_ += failed ? 1 : 0;
  probe_slow_ += slow ? 1 : 0;
  emit(event, state_, elapsed, slow, error);
  if (probes_recorded_ < options_.permitted_calls_in_half_open) return;

  // Every probe of the episode has reported (none can be in flight: slots are per episode).
  assert(probes_in_flight_ == 0);
  const WindowTotals probes{probes_recorded_, probe_failures_, probe_slow_};
  const auto calls = static_cast<double>(probes.calls);
  const bool reopen =
      static_cast<double>(probes.failures) * 100.0 >= options_.failure_rate_threshold * calls ||
      static_cast<double>(probes.slow) * 100.0 >= options_.slow_call_rate_threshold * calls;
  if (reopen) {
    transition(CircuitState::kOpen, have_now ? now : clock_->now());
  } else {
    transition(CircuitState::kClosed, now);
  }
}

void BreakerCore::open_from_closed() { transition(CircuitState::kOpen, clock_->now()); }

void BreakerCore::abandon(Permit& permit) noexcept {
  assert(outstanding_ > 0);
  permit.core_ = nullptr;
  --outstanding_;
  const bool current = permit.episode_ == episode_;
  if (current && state_ == CircuitState::kDisabled) return;
  if (current && state_ == CircuitState::kHalfOpen) {
    assert(probes_in_flight_ > 0);
    --probes_in_flight_;
  }
  emit(CircuitEventKind::kAbandoned, state_);
}

void BreakerCore::transition(CircuitState to, TimePoint now) {
  assert(!notifying_ && "a listener called back into its breaker");
  const CircuitState from = state_;
  state_ = to;
  ++episode_;  // every outstanding permit is now stale
  probes_in_flight_ = 0;
  probes_recorded_ = 0;
  probe_failures_ = 0;
  probe_slow_ = 0;
  switch (to) {
    case CircuitState::kClosed:
      count_.clear();
      time_.clear();
      open_wait_ = options_.wait_in_open;
      break;
    case CircuitState::kOpen:
      opened_at_ = now;
      if (from == CircuitState::kHalfOpen) {
        // Reopening: the dependency is still unwell, so wait longer (up to the max). Computed in
        // double, compared before converting back, so the product cannot overflow.
        const double grown = static_cast<double>(open_wait_.count()) * options_.wait_multiplier;
        open_wait_ = grown >= static_cast<double>(options_.max_wait_in_open.count())
                         ? options_.max_wait_in_open
                         : Duration(static_cast<std::int64_t>(grown));
      } else {
        open_wait_ = options_.wait_in_open;
      }
      break;
    case CircuitState::kHalfOpen:
      half_open_since_ = now;
      break;
    case CircuitState::kDisabled:
    case CircuitState::kForcedOpen:
      break;
  }
  update_fast_path();
  emit(CircuitEventKind::kStateChanged, from);
}

void BreakerCore::disable() {
  if (state_ != CircuitState::kDisabled) transition(CircuitState::kDisabled, TimePoint{});
}

void BreakerCore::force_open() {
  if (state_ != CircuitState::kForcedOpen) transition(CircuitState::kForcedOpen, TimePoint{});
}

void BreakerCore::close() {
  if (state_ != CircuitState::kClosed) transition(CircuitState::kClosed, TimePoint{});
}

void BreakerCore::reset() {
  const CircuitState from = state_;
  if (from == CircuitState::kClosed) {
    // transition() would emit CLOSED -> CLOSED; a reset of a closed breaker is only a reset.
    assert(!notifying_ && "a listener called back into its breaker");
    ++episode_;
    count_.clear();
    time_.clear();
    open_wait_ = options_.wait_in_open;
  } else {
    transition(CircuitState::kClosed, TimePoint{});
  }
  not_permitted_ = 0;
  emit(CircuitEventKind::kReset, from);
}

void BreakerCore::subscribe(CircuitListener listener) {
  assert(!notifying_ && "a listener called back into its breaker");
  if (listener) listeners_.push_back(std::move(listener));
  update_fast_path();
}

CircuitMetrics BreakerCore::metrics() const {
  CircuitMetrics m;
  m.state = state_;
  WindowTotals t;
  if (state_ == CircuitState::kHalfOpen) {
    t = WindowTotals{probes_recorded_, probe_failures_, probe_slow_};
  } else if (options_.window_kind == WindowKind::kCountBased) {
    t = count_.totals();
  } else {
    t = time_.totals_at(clock_->now());
  }
  m.buffered_calls = t.calls;
  m.failed_calls = t.failures;
  m.slow_calls = t.slow;
  if (t.calls > 0) {
    m.failure_rate = static_cast<double>(t.failures) * 100.0 / static_cast<double>(t.calls);
    m.slow_call_rate = static_cast<double>(t.slow) * 100.0 / static_cast<double>(t.calls);
  }
  m.not_permitted_calls = not_permitted_;
  m.half_open_in_flight = probes_in_flight_;
  m.open_wait = open_wait_;
  return m;
}

}  // namespace detail
}  // namespace faultline::resilience
