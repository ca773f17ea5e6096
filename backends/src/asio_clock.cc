#include "faultline/backends/asio_clock.h"

#include <chrono>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace faultline::backends {

TimePoint AsioClock::now() const {
  // steady_clock, not system_clock: a lease is measured on a clock that NTP cannot step.
  return TimePoint(std::chrono::duration_cast<Duration>(
      std::chrono::steady_clock::now().time_since_epoch()));
}

Task<void> AsioClock::sleep_for(Duration duration) {
  if (duration <= Duration::zero()) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, duration);
  // A cancelled sleep just ends early; the caller re-reads now() if it cares how long it slept.
  boost::system::error_code ignored;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
}

}  // namespace faultline::backends
