// CircuitBreaker: stop calling a dependency that is failing (or slow), and probe it carefully
// before trusting it again.
//
// States
//   CLOSED       every call is permitted; its outcome goes into a sliding window (the last N calls,
//                or the calls of the last D). Once the window holds at least `minimum_calls`,
//                every recorded outcome re-evaluates it: a failure rate >= failure_rate_threshold
//                or a slow-call rate >= slow_call_rate_threshold opens the breaker.
//   OPEN         every call is refused (kCircuitOpen) until the open wait has passed. The switch
//                to HALF_OPEN is lazy: the first try_acquire() after the wait makes it (there are
//                no timers: deterministic, and free while nobody asks).
//   HALF_OPEN    never more than `permitted_calls_in_half_open` probes in flight, however callers
//                interleave; once that many probes have been recorded, their failure and slow
//                rates decide: OPEN again (with a wait grown by wait_multiplier, up to
//                max_wait_in_open) or CLOSED (with an empty window and the base wait). A probe
//                classified as ignored, or whose Permit is destroyed unreported, gives its slot
//                back, so a dependency that answers every probe with an ignored error keeps the
//                breaker HALF_OPEN, letting N calls through at a time: set max_wait_in_half_open
//                (off by default) to reopen it at the first try_acquire() after that long.
//   DISABLED     every call is permitted; no call is timed, recorded or published (state changes
//                still are).
//   FORCED_OPEN  every call is refused.
//   Explicit transitions: disable(), force_open(), close() (to CLOSED, empty window, base wait),
//   reset() (close() even when already CLOSED, and zero the not-permitted counter).
//
// Episodes and stale permits: every state change starts a new episode, and a Permit carries the
// episode it was issued in. An outcome reported on a Permit of an earlier episode is ignored
// (published as kStale): a slow call that started before the breaker opened must neither count
// against the probes of the next HALF_OPEN nor tip a freshly closed window.
//
// Classification
//   on_error(): local refusals (kCircuitOpen, kBulkheadFull, kRateLimited) are always ignored:
//   our own protection said no and the dependency was never asked (call.h). Every other error is
//   classified by options.classify_error, or by default_breaker_outcome() when that is empty.
//   on_result_failure(): a value the caller deems a failure (an HTTP 503 body); the on_result()
//   and execute() overloads taking a predicate do this for you.
//   Slow: a permitted call whose outcome arrives slow_call_duration or more after try_acquire()
//   returned is slow (a slow failure is both). Ignored outcomes are never recorded.
//
// Cost: in CLOSED with a count-based window and slow-call detection off (the default), a permit
// costs no clock read, no allocation and no virtual call; timing adds two clock reads per call
// (acquire and report), a time-based window one (at report). Refusals build an error message.
// Listeners cost nothing when there are none.
//
// Units: durations are faultline::Duration on the Clock passed to create(); rates and thresholds
// are percentages in (0, 100].
// Errors: create() returns kInvalidArgument naming the offending field and its allowed range;
// try_acquire() returns kCircuitOpen naming the breaker and its state when it refuses.
// Ownership: borrows the clock, which must outlive the breaker. Permits point at the breaker's
// internal state (which a move does not relocate): every Permit must be reported or destroyed
// before the breaker is destroyed (asserted).
// Thread-safety: none. One executor calls everything, including the listeners, which must not
// call back into the breaker (asserted) nor throw.
#pragma once

#include <cassert>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "faultline/clock.h"
#include "faultline/resilience/call.h"
#include "faultline/resilience/sliding_window.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::resilience {

enum class CircuitState : std::uint8_t { kClosed, kOpen, kHalfOpen, kDisabled, kForcedOpen };

[[nodiscard]] constexpr std::string_view to_string(CircuitState state) noexcept {
  switch (state) {
    case CircuitState::kClosed: return "closed";
    case CircuitState::kOpen: return "open";
    case CircuitState::kHalfOpen: return "half_open";
    case CircuitState::kDisabled: return "disabled";
    case CircuitState::kForcedOpen: return "forced_open";
  }
  return "?";
}

enum class WindowKind : std::uint8_t {
  kCountBased,  // the last window_size recorded calls
  kTimeBased,   // the calls recorded in the last window_duration (see sliding_window.h)
};

enum class CircuitEventKind : std::uint8_t {
  kStateChanged,  // from -> to
  kReset,         // reset() was called (after a kStateChanged if the state changed)
  kNotPermitted,  // try_acquire() refused
  kSuccess,       // recorded as a success
  kFailure,       // recorded as a failure (error is null for on_result_failure)
  kIgnored,       // classified as ignored: not recorded; a half-open slot was given back
  kStale,         // reported on a permit of an earlier episode: discarded
  kAbandoned,     // a permit was destroyed unreported: nothing recorded, its slot given back
};

[[nodiscard]] constexpr std::string_view to_string(CircuitEventKind kind) noexcept {
  switch (kind) {
    case CircuitEventKind::kStateChanged: return "state_changed";
    case CircuitEventKind::kReset: return "reset";
    case CircuitEventKind::kNotPermitted: return "not_permitted";
    case CircuitEventKind::kSuccess: return "success";
    case CircuitEventKind::kFailure: return "failure";
    case CircuitEventKind::kIgnored: return "ignored";
    case CircuitEventKind::kStale: return "stale";
    case CircuitEventKind::kAbandoned: return "abandoned";
  }
  return "?";
}

// Valid only during the listener call: copy what you keep.
struct CircuitEvent {
  CircuitEventKind kind;
  std::string_view breaker;  // the breaker's name
  CircuitState from;         // kStateChanged/kReset: the state before; otherwise == to
  CircuitState to;           // the state after the event
  // Outcome events with slow-call detection on: how long the call took, and whether that was
  // slow. Zero / false otherwise.
  Duration elapsed = Duration::zero();
  bool slow = false;
  const Error* error = nullptr;  // the error reported to on_error(), if any
};

using CircuitListener = std::function<void(const CircuitEvent&)>;
using ErrorClassifier = std::function<OutcomeKind(const Error&)>;

struct CircuitBreakerOptions {
  static constexpr std::size_t kMaxNameLength = 256;
  static constexpr std::uint32_t kMaxMinimumCalls = 1'000'000;
  static constexpr std::uint32_t kMaxHalfOpenCalls = 1000;
  static constexpr Duration kMaxOpenWait = std::chrono::hours(24);
  static constexpr double kMaxWaitMultiplier = 100.0;

  // Names the breaker in error messages and events. Length [1, kMaxNameLength].
  std::string name = "circuit-breaker";

  WindowKind window_kind = WindowKind::kCountBased;
  // Count-based: how many recent calls are judged. [1, CountWindow::kMaxSize].
  std::uint32_t window_size = 100;
  // Time-based: how far back calls are judged, and in how many buckets the window moves
  // (coarser buckets are cheaper; a call expires within one bucket width of window_duration).
  // window_duration in (0, 24h]; window_buckets in [1, min(1000, window_duration in ns)].
  Duration window_duration = std::chrono::seconds(60);
  std::uint32_t window_buckets = 60;
  // Rates are not evaluated until the window holds this many calls.
  // [1, window_size] (count-based) or [1, kMaxMinimumCalls] (time-based).
  std::uint32_t minimum_calls = 100;

  // Percent of recorded calls. Open at or above. (0, 100].
  double failure_rate_threshold = 50.0;
  double slow_call_rate_threshold = 100.0;
  // A call taking this long or longer is slow. > 0; Duration::max() turns slow-call detection
  // (and its two clock reads per call) off.
  Duration slow_call_duration = Duration::max();

  // Probes per HALF_OPEN episode. [1, kMaxHalfOpenCalls].
  std::uint32_t permitted_calls_in_half_open = 10;
  // The first wait in OPEN. (0, kMaxOpenWait].
  Duration wait_in_open = std::chrono::seconds(60);
  // Each reopening from HALF_OPEN multiplies the wait, up to max_wait_in_open; closing resets it.
  // wait_multiplier in [1, kMaxWaitMultiplier]; max_wait_in_open in [wait_in_open, kMaxOpenWait].
  double wait_multiplier = 1.0;
  Duration max_wait_in_open = kMaxOpenWait;
  // HALF_OPEN lasting this long reopens the breaker (probes that never report). > 0;
  // Duration::max() (the default) waits for the probes forever.
  Duration max_wait_in_half_open = Duration::max();

  // Error classification; empty means default_breaker_outcome(error.code). Never consulted for
  // local refusals (always ignored).
  ErrorClassifier classify_error{};
  // Receives every event. More can be added with CircuitBreaker::subscribe().
  CircuitListener listener{};

  // Ok, or kInvalidArgument naming the first offending field and its allowed range.
  [[nodiscard]] Result<void> validate() const;
};

struct CircuitMetrics {
  CircuitState state = CircuitState::kClosed;
  // Over the buffered calls: the closed window (as of now for a time-based window; it keeps the
  // calls that opened the breaker while OPEN), or the probes recorded so far while HALF_OPEN.
  // Percentages; 0 when nothing is buffered.
  double failure_rate = 0.0;
  double slow_call_rate = 0.0;
  std::uint64_t buffered_calls = 0;
  std::uint64_t failed_calls = 0;
  std::uint64_t slow_calls = 0;
  std::uint64_t not_permitted_calls = 0;  // since creation or the last reset()
  std::uint32_t half_open_in_flight = 0;  // probes permitted and not yet reported
  Duration open_wait{};                   // the wait of the current (or last) OPEN episode
};

namespace detail {
class BreakerCore;
}

// The right to make one call. Report it exactly once (on_success / on_error /
// on_result_failure / on_result), or destroy it unreported: then nothing is recorded and a
// half-open slot it held is given back (a cancelled coroutine is not evidence either way).
class [[nodiscard]] Permit {
 public:
  Permit(Permit&& other) noexcept
      : core_(std::exchange(other.core_, nullptr)), episode_(other.episode_),
        started_(other.started_) {}
  Permit& operator=(Permit&& other) noexcept {
    if (this != &other) {
      if (core_ != nullptr) abandon();
      core_ = std::exchange(other.core_, nullptr);
      episode_ = other.episode_;
      started_ = other.started_;
    }
    return *this;
  }
  Permit(const Permit&) = delete;
  Permit& operator=(const Permit&) = delete;
  ~Permit() {
    if (core_ != nullptr) abandon();
  }

  // False once reported (or moved from).
  [[nodiscard]] bool valid() const noexcept { return core_ != nullptr; }

 private:
  friend class detail::BreakerCore;
  Permit(detail::BreakerCore* core, std::uint64_t episode, TimePoint started) noexcept
      : core_(core), episode_(episode), started_(started) {}
  void abandon() noexcept;

  detail::BreakerCore* core_;
  std::uint64_t episode_;
  TimePoint started_;  // only read when slow-call detection is on
};

namespace detail {

// The breaker's state, kept at a fixed address so that Permits and suspended execute() calls
// survive a move of the CircuitBreaker handle.
class BreakerCore {
 public:
  BreakerCore(const Clock& clock, CircuitBreakerOptions options, CountWindow count,
              TimeWindow time);
  BreakerCore(const BreakerCore&) = delete;
  BreakerCore& operator=(const BreakerCore&) = delete;
  ~BreakerCore() { assert(outstanding_ == 0 && "a Permit outlived its CircuitBreaker"); }

  [[nodiscard]] Result<Permit> try_acquire() {
    if (state_ == CircuitState::kClosed) [[likely]] {
      ++outstanding_;
      return Permit(this, episode_, timed_ ? clock_->now() : TimePoint{});
    }
    return try_acquire_slow();
  }

  void on_success(Permit&& permit) {
    assert(permit.core_ == this && "permit reported twice or to another breaker");
    if (fast_closed_ && permit.episode_ == episode_) [[likely]] {
      permit.core_ = nullptr;
      --outstanding_;
      count_.record(false, false);
      // A success can still open: it may be the call that reaches minimum_calls.
      if (trips(count_.totals())) [[unlikely]] open_from_closed();
      return;
    }
    report(permit, OutcomeKind::kSuccess, nullptr);
  }

  void on_error(Permit&& permit, const Error& error) {
    assert(permit.core_ == this && "permit reported twice or to another breaker");
    report(permit, classify(error), &error);
  }

  void on_result_failure(Permit&& permit) {
    assert(permit.core_ == this && "permit reported twice or to another breaker");
    report(permit, OutcomeKind::kFailure, nullptr);
  }

  void abandon(Permit& permit) noexcept;

  void disable();
  void force_open();
  void close();
  void reset();
  void subscribe(CircuitListener listener);

  [[nodiscard]] CircuitState state() const noexcept { return state_; }
  [[nodiscard]] CircuitMetrics metrics() const;
  [[nodiscard]] const CircuitBreakerOptions& options() const noexcept { return options_; }

 private:
  [[nodiscard]] OutcomeKind classify(const Error& error) const {
    if (is_local_refusal(error.code)) return OutcomeKind::kIgnored;
    if (options_.classify_error) return options_.classify_error(error);
    return default_breaker_outcome(error.code);
  }
  [[nodiscard]] bool trips(const WindowTotals& t) const noexcept {
    const auto calls = static_cast<double>(t.calls);
    return t.calls >= options_.minimum_calls &&
           (static_cast<double>(t.failures) * 100.0 >= options_.failure_rate_threshold * calls ||
            static_cast<double>(t.slow) * 100.0 >= options_.slow_call_rate_threshold * calls);
  }

  Result<Permit> try_acquire_slow();
  Result<Permit> acquire_probe(TimePoint now);
  Result<Permit> issue(TimePoint started);
  Error refuse(TimePoint now);
  void report(Permit& permit, OutcomeKind kind, const Error* error);
  void open_from_closed();
  void transition(CircuitState to, TimePoint now);
  void emit(CircuitEventKind kind, CircuitState from, Duration elapsed = Duration::zero(),
            bool slow = false, const Error* error = nullptr);
  void update_fast_path() noexcept;

  const Clock* clock_;
  CircuitBreakerOptions options_;
  CountWindow count_;  // used when window_kind == kCountBased
  TimeWindow time_;    // used when window_kind == kTimeBased
  std::vector<CircuitListener> listeners_;

  CircuitState state_ = CircuitState::kClosed;
  bool timed_;                // slow-call detection on: time every call
  bool fast_closed_ = false;  // CLOSED, count-based, untimed, no listener: on_success inline
  bool notifying_ = false;    // inside a listener (re-entry is a bug)
  std::uint64_t episode_ = 0;
  std::uint64_t outstanding_ = 0;  // permits issued and neither reported nor destroyed
  std::uint64_t not_permitted_ = 0;

  TimePoint opened_at_{};     // OPEN: when it opened
  Duration open_wait_;        // OPEN: how long it stays open
  TimePoint half_open_since_{};
  std::uint32_t probes_in_flight_ = 0;  // HALF_OPEN episode: permitted, not yet reported
  std::uint32_t probes_recorded_ = 0;   // HALF_OPEN episode: recorded success or failure
  std::uint32_t probe_failures_ = 0;
  std::uint32_t probe_slow_ = 0;
};

// Judges every value a success.
using resilience::NoValueIsFailure;

}  // namespace detail

class CircuitBreaker {
 public:
  // Validates the options (kInvalidArgument names the field and its range).
  [[nodiscard]] static Result<CircuitBreaker> create(Clock& clock, CircuitBreakerOptions options);

  CircuitBreaker(CircuitBreaker&&) noexcept = default;
  CircuitBreaker& operator=(CircuitBreaker&&) noexcept = default;
  ~CircuitBreaker() = default;

  // A permit, or kCircuitOpen naming the breaker and its state.
  [[nodiscard]] Result<Permit> try_acquire() { return core_->try_acquire(); }
  void on_success(Permit&& permit) { core_->on_success(std::move(permit)); }
  void on_error(Permit&& permit, const Error& error) {
    core_->on_error(std::move(permit), error);
  }
  // The call returned a value the caller deems a failure.
  void on_result_failure(Permit&& permit) { core_->on_result_failure(std::move(permit)); }

  // Reports a Result: a value is a success, an error goes to on_error().
  template <class T>
  void on_result(Permit&& permit, const Result<T>& result) {
    report_result(*core_, std::move(permit), result, detail::NoValueIsFailure{});
  }
  // As above, but a value for which is_failure(value) is true counts as a failure.
  template <class T, class IsFailure>
  void on_result(Permit&& permit, const Result<T>& result, IsFailure&& is_failure) {
    report_result(*core_, std::move(permit), result, is_failure);
  }

  // Runs op() (which returns Task<Result<T>>) under the breaker: kCircuitOpen without calling
  // it when refused, otherwise its result, reported. If op throws, or the coroutine is destroyed
  // while suspended, the permit is abandoned (nothing recorded). An lvalue op is referenced (it
  // must outlive the call), an rvalue op is moved into the coroutine.
  template <class T, class F>
  Task<Result<T>> execute(F&& op) {
    return run<T, F, detail::NoValueIsFailure>(core_.get(), std::forward<F>(op), {});
  }
  template <class T, class F, class IsFailure>
  Task<Result<T>> execute(F&& op, IsFailure is_failure) {
    return run<T, F, IsFailure>(core_.get(), std::forward<F>(op), std::move(is_failure));
  }

  // Explicit transitions (each starts a new episode: outstanding permits become stale).
  void disable() { core_->disable(); }
  void force_open() { core_->force_open(); }
  void close() { core_->close(); }
  void reset() { core_->reset(); }

  // Adds a listener for every later event.
  void subscribe(CircuitListener listener) { core_->subscribe(std::move(listener)); }

  [[nodiscard]] CircuitState state() const noexcept { return core_->state(); }
  // Reads the clock for a time-based window.
  [[nodiscard]] CircuitMetrics metrics() const { return core_->metrics(); }
  [[nodiscard]] const std::string& name() const noexcept { return core_->options().name; }
  [[nodiscard]] const CircuitBreakerOptions& options() const noexcept {
    return core_->options();
  }

 private:
  explicit CircuitBreaker(std::unique_ptr<detail::BreakerCore> core) : core_(std::move(core)) {}

  template <class T, class IsFailure>
  static void report_result(detail::BreakerCore& core, Permit&& permit, const Result<T>& result,
                            IsFailure&& is_failure) {
    if (!result.ok()) {
      core.on_error(std::move(permit), result.error());
      return;
    }
    if constexpr (!std::is_void_v<T>) {
      if (is_failure(result.value())) {
        core.on_result_failure(std::move(permit));
        return;
      }
    }
    core.on_success(std::move(permit));
  }

  // F is an lvalue reference type (op referenced) or a plain type (op moved into the frame).
  template <class T, class F, class IsFailure>
  static Task<Result<T>> run(detail::BreakerCore* core, F op, IsFailure is_failure) {
    Result<Permit> permit = core->try_acquire();
    if (!permit.ok()) co_return std::move(permit).error();
    Task<Result<T>> pending = op();
    Result<T> result = co_await std::move(pending);
    report_result(*core, std::move(permit).value(), result, is_failure);
    co_return result;
  }

  std::unique_ptr<detail::BreakerCore> core_;  // never null, except in a moved-from breaker
};

}  // namespace faultline::resilience
