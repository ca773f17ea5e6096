#include "faultline/backends/asio_clock.h"

#include <chrono>
#include <memory>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/steady_timer.hpp>

namespace faultline::backends {

TimePoint AsioClock::now() const {
  // steady_clock, not system_clock: a lease is measured on a clock that NTP cannot step.
  return TimePoint(std::chrono::duration_cast<Duration>(
      std::chrono::steady_clock::now().time_since_epoch()));
}

void AsioClock::start_sleep(Duration duration, SleepHandler wake) {
  if (duration <= Duration::zero()) {
    std::move(wake).post();
    return;
  }
  auto timer = std::make_unique<boost::asio::steady_timer>(wake.executor(), duration);
  boost::asio::steady_timer& waiting = *timer;
  boost::asio::cancellation_slot slot = wake.cancellation_slot();
  // The timer lives in its own handler, until the sleep ends. A cancelled sleep just ends
  // early; the caller re-reads now() if it cares how long it slept.
  waiting.async_wait(boost::asio::bind_cancellation_slot(
      slot, [timer = std::move(timer),
             wake = std::move(wake)](const boost::system::error_code&) mutable { wake(); }));
}

}  // namespace faultline::backends
