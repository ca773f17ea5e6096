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
//   - sleep_for(d) completes after at least `d` has passed on this clock (d <= 0 completes at
//     once). In the simulator a paused process does not wake until it is resumed, however long
//     its sleep.
//   - Durations are std::chrono types; there are no raw integers of time in this API.
//
// Ownership: the world (production runtime or simulator) owns the Clock; patterns hold a
// reference that must not outlive it.
// Thread-safety: call from the executor the clock belongs to.
#pragma once

#include <chrono>

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

class Clock {
 public:
  virtual ~Clock() = default;

  // This process's current reading of time.
  [[nodiscard]] virtual TimePoint now() const = 0;

  // Completes once `duration` has elapsed on this clock.
  virtual Task<void> sleep_for(Duration duration) = 0;
};

}  // namespace faultline
