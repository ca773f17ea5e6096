// Clock: time as one process sees it, and the only way pattern code may wait.
//
// Contract
//   - now() is this process's steady clock: it never decreases, in production
//     (a monotonic clock: CLOCK_MONOTONIC) and in the simulator alike. It may run fast or
//     slow (drift) and jump forward (as a monotonic clock does across a VM pause or a suspend),
//     never backwards: an NTP or operator step of the machine's wall clock back does not move
//     it. Readings are process-local: in the simulator processes are skewed against each other,
//     so patterns must not compare readings taken by different processes.
//   - This is not the wall clock. A server that expires data by wall-clock time (Redis expires
//     keys by its own real-time clock) keeps that clock for itself, and it may step either way;
//     the simulator models it per process (sim::ProcessClock::wall_now()). Patterns never read a
//     wall clock.
//   - sleep_for(d) completes after at least `d` has passed on this clock; d <= 0 completes
//     without waiting (an event due now in the simulator; a post to the coroutine's executor in
//     production, so the coroutine resumes only while that executor runs). In the simulator a
//     paused process does not wake until it is resumed, however long its sleep. It returns a
//     Sleep, an Asio asynchronous operation: `co_await clock.sleep_for(d)` in a Task runs it
//     without a coroutine frame of its own (a sleep is the simulator's most common event).
//     A Sleep also converts to a Task<void>, for code that needs one (block_on, co_spawn).
//   - A Clock implements start_sleep(d, wake): call `wake` once, on its executor, at least `d`
//     later (SleepHandler says how); never before start_sleep returns.
//   - Durations are std::chrono types; there are no raw integers of time in this API.
//
// Ownership: the world (production runtime or simulator) owns the Clock; patterns hold a
// reference that must not outlive it.
// Thread-safety: call from the executor the clock belongs to.
#pragma once

#include <boost/asio/async_result.hpp>

#include <chrono>

#include "faultline/sleep_handler.h"
#include "faultline/task.h"

namespace faultline {

// The clock type of every process-local time point. Its epoch is arbitrary (the start of the
// process in production, the start of the run in the simulator); only differences mean anything.
struct LocalClock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<LocalClock, duration>;
  // Never decreases (see the contract above); false only because a reading may jump forward
  // and run at a drifted rate, which std::chrono's "steady" (constant tick rate) excludes.
  static constexpr bool is_steady = false;
};

using Duration = std::chrono::nanoseconds;
using TimePoint = LocalClock::time_point;

// t + d, saturating at the time point type's max(): a Duration::max() timeout means "no
// deadline" and must not wrap into the past. For any std::chrono time point.
template <class TimePointT, class Rep, class Period>
[[nodiscard]] constexpr TimePointT add_saturating(TimePointT t,
                                                  std::chrono::duration<Rep, Period> d) noexcept {
  using D = typename TimePointT::duration;
  const auto delta = d >= std::chrono::duration<Rep, Period>::zero() &&
                             d > std::chrono::duration_cast<std::chrono::duration<Rep, Period>>(
                                     D::max()) / 2
                         ? D::max()
                         : std::chrono::duration_cast<D>(d);
  if (delta > D::zero() && t > TimePointT::max() - delta) return TimePointT::max();
  if (delta < D::zero() && t < TimePointT::min() - delta) return TimePointT::min();
  return t + delta;
}

class Clock;

// One sleep on a Clock, not yet started: co_await it (in a Task) to start it and wait for it.
// Holds a reference to the Clock, which must outlive the sleep.
class [[nodiscard]] Sleep {
 public:
  Sleep(Clock& clock, Duration duration) noexcept : clock_(&clock), duration_(duration) {}

  // The asynchronous operation Asio's co_await starts (signature void()).
  template <boost::asio::completion_token_for<void()> CompletionToken>
  auto operator()(CompletionToken&& token) const;

  // The same sleep as a Task of its own, for code that needs a Task rather than an awaitable.
  operator Task<void>() const { return as_task(*this); }  // NOLINT: implicit by design

 private:
  static Task<void> as_task(Sleep sleep);

  Clock* clock_;
  Duration duration_;
};

class Clock {
 public:
  virtual ~Clock() = default;

  // This process's current reading of time.
  [[nodiscard]] virtual TimePoint now() const = 0;

  // Completes once `duration` has elapsed on this clock: `co_await clock.sleep_for(d)`.
  Sleep sleep_for(Duration duration) noexcept { return Sleep(*this, duration); }

 protected:
  // Starts a sleep: `wake` is to be called once, at least `duration` later, on its executor
  // (see the contract above). A duration <= 0 ends at once: post `wake`, or queue it as due now.
  virtual void start_sleep(Duration duration, SleepHandler wake) = 0;

 private:
  friend class Sleep;
};

template <boost::asio::completion_token_for<void()> CompletionToken>
auto Sleep::operator()(CompletionToken&& token) const {
  return boost::asio::async_initiate<CompletionToken, void()>(
      [](auto handler, Clock* clock, Duration duration) {
        clock->start_sleep(duration, SleepHandler(std::move(handler)));
      },
      token, clock_, duration_);
}

inline Task<void> Sleep::as_task(Sleep sleep) { co_await std::move(sleep); }

}  // namespace faultline
