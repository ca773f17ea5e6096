// AsioClock: the production Clock, a steady clock read by now() and Asio timers for sleeping.
//
// Contract
//   - now() reads std::chrono::steady_clock and returns it as a faultline::TimePoint
//     (nanoseconds since the steady clock's arbitrary epoch, usually boot). It never goes
//     backwards and never jumps with wall-clock changes (NTP steps, DST), which is what a lease
//     holder needs: it compares readings of its own clock only.
//   - sleep_for(d) suspends the calling coroutine on a boost::asio::steady_timer bound to the
//     coroutine's own executor, and resumes at least `d` later; d <= 0 resumes it through its
//     executor at once, with no timer. If the timer is cancelled (the executor shuts down, or the
//     coroutine is cancelled through its cancellation slot), the sleep ends early; it never throws.
//
// Ownership: stateless; one instance may serve any number of coroutines and executors.
// Thread-safety: both functions may be called from any thread.
#pragma once

#include "faultline/clock.h"
#include "faultline/task.h"

namespace faultline::backends {

class AsioClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override;

 protected:
  void start_sleep(Duration duration, SleepHandler wake) override;
};

}  // namespace faultline::backends
