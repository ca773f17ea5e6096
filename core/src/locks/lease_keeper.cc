#include "faultline/locks/lease_keeper.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include "faultline/duration_text.h"
#include "faultline/validate.h"

namespace faultline::locks {

Task<Result<std::shared_ptr<LeaseKeeper>>> LeaseKeeper::start(Clock& clock, Lease lease,
                                                              Extend extend,
                                                              LeaseKeeperOptions options) {
  const Duration span = lease.valid_until - lease.acquired_at;
  if (options.renew_every <= Duration::zero() || options.renew_every >= span) {
    co_return field_error("renew_every", duration_text(options.renew_every),
                          "must be in (0, the lease's validity)");
  }
  if (!extend) co_return invalid_argument("extend: must be set");
  auto keeper = std::make_shared<LeaseKeeper>(clock, std::move(lease), std::move(extend),
                                              std::move(options));
  auto executor = co_await boost::asio::this_coro::executor;
  boost::asio::co_spawn(executor, renew_loop(keeper), boost::asio::detached);
  boost::asio::co_spawn(executor, validity_watch(keeper), boost::asio::detached);
  co_return keeper;
}

void LeaseKeeper::lose(Error error) {
  if (lost_ || stopped_) return;
  lost_ = true;
  why_ = error.to_string();
  if (options_.on_lost) options_.on_lost(error);
  signal_.emit(boost::asio::cancellation_type::terminal);
}

Task<void> LeaseKeeper::renew_loop(std::shared_ptr<LeaseKeeper> self) {
  while (!self->stopped_ && !self->lost_) {
    co_await self->clock_.sleep_for(self->options_.renew_every);
    if (self->stopped_ || self->lost_) co_return;  // never extend what we may no longer own
    if (self->clock_.now() >= self->lease_.valid_until) {
      self->lose(failed_precondition("lease of '" + self->lease_.key +
                                     "' ran out before it could be extended"));
      co_return;
    }
    Result<Lease> extended = co_await self->extend_(self->lease_);
    if (self->stopped_ || self->lost_) co_return;
    if (!extended) {
      self->lose(std::move(extended).error());
      co_return;
    }
    self->lease_ = std::move(extended).value();
    ++self->extensions_;
  }
}

Task<void> LeaseKeeper::validity_watch(std::shared_ptr<LeaseKeeper> self) {
  // Sleeps until the current validity ends; if no extension moved it meanwhile, the lease is
  // lost, however long a pending extension may still take.
  while (!self->stopped_ && !self->lost_) {
    const TimePoint until = self->lease_.valid_until;
    co_await self->clock_.sleep_for(until - self->clock_.now());
    if (self->stopped_ || self->lost_) co_return;
    if (self->lease_.valid_until <= until && self->clock_.now() >= until) {
      self->lose(failed_precondition("lease of '" + self->lease_.key +
                                     "' ran out: no extension succeeded in time"));
      co_return;
    }
  }
}

}  // namespace faultline::locks
