#include "inventory.h"

#include <algorithm>
#include <utility>

namespace inventory {

using faultline::Error;
using faultline::locks::Lease;
using faultline::locks::LeaseLock;
using faultline::resilience::CallContext;
using faultline::resilience::Retry;

namespace {

// An already finished call, for an attempt refused before anything is sent.
Task<Result<void>> refused(Error error) { co_return error; }

}  // namespace

Result<InventoryService> InventoryService::create(faultline::locks::LockStore& locks,
                                                  StockStore& stock, Payments& payments,
                                                  faultline::Clock& clock,
                                                  faultline::Random& random,
                                                  InventoryOptions options) {
  if (auto valid = options.lock.validate(); !valid) return std::move(valid).error();
  if (options.call_timeout <= Duration::zero()) {
    return faultline::invalid_argument("call_timeout: must be positive");
  }
  if (options.price_cents <= 0) return faultline::invalid_argument("price_cents: must be positive");
  auto stock_retry = Retry::create(clock, random, options.stock_retry);
  if (!stock_retry) return std::move(stock_retry).error();
  auto charge_retry = Retry::create(clock, random, options.charge_retry);
  if (!charge_retry) return std::move(charge_retry).error();
  return InventoryService(locks, stock, payments, clock, random, std::move(options),
                          std::move(stock_retry).value(), std::move(charge_retry).value());
}

InventoryService::InventoryService(faultline::locks::LockStore& locks, StockStore& stock,
                                   Payments& payments, faultline::Clock& clock,
                                   faultline::Random& random, InventoryOptions options,
                                   Retry stock_retry, Retry charge_retry)
    : locks_(&locks),
      stock_(&stock),
      payments_(&payments),
      clock_(&clock),
      random_(&random),
      options_(std::move(options)),
      stock_retry_(std::move(stock_retry)),
      charge_retry_(std::move(charge_retry)) {}

Task<Result<Receipt>> InventoryService::reserve(std::string sku, std::string customer,
                                                std::string reservation) {
  auto lock = LeaseLock::create(*locks_, *clock_, *random_, "inventory:" + sku, options_.lock);
  if (!lock) co_return std::move(lock).error();
  auto acquiring = lock->acquire();
  Result<Lease> lease = co_await std::move(acquiring);
  if (!lease) co_return std::move(lease).error();
  auto work = while_locked(*lease, std::move(sku), std::move(customer), std::move(reservation));
  Result<Receipt> receipt = co_await std::move(work);
  // Best effort: a release that fails leaves the lock to expire at its ttl.
  auto releasing = lock->release(*lease);
  (void)co_await std::move(releasing);
  co_return receipt;
}

Task<Result<Receipt>> InventoryService::while_locked(Lease lease, std::string sku,
                                                     std::string customer,
                                                     std::string reservation) {
  auto taking = take_unit(std::move(lease), std::move(sku));
  Result<std::int64_t> left = co_await std::move(taking);
  if (!left) co_return std::move(left).error();
  auto charging = charge(std::move(customer), reservation);
  Result<std::string> charged = co_await std::move(charging);
  if (!charged) co_return std::move(charged).error();
  co_return Receipt{std::move(reservation), std::move(charged).value(), *left};
}

Task<Result<std::int64_t>> InventoryService::take_unit(Lease lease, std::string sku) {
  auto reading = stock_->read(sku, options_.call_timeout);
  Result<std::int64_t> units = co_await std::move(reading);
  if (!units) co_return std::move(units).error();
  if (*units <= 0) co_return faultline::failed_precondition("sold out: " + sku);
  const std::int64_t left = *units - 1;
  // Every attempt first checks the lease: past valid_until another holder may be writing.
  auto write = [this, &lease, &sku, left](const CallContext& context) -> Task<Result<void>> {
    if (clock_->now() >= lease.valid_until) {
      return refused(faultline::failed_precondition("the lease on " + lease.key +
                                                    " ran out before the stock was written"));
    }
    const Duration timeout = std::min(options_.call_timeout, context.remaining(clock_->now()));
    return stock_->write(sku, left, timeout);
  };
  auto writing = stock_retry_.execute<void>(write);
  Result<void> written = co_await std::move(writing);
  if (!written) co_return std::move(written).error();
  co_return left;
}

Task<Result<std::string>> InventoryService::charge(std::string customer, std::string reservation) {
  Charge request{std::move(customer), reservation, options_.price_cents,
                 options_.idempotency_key ? reservation : std::string()};
  auto attempt = [this, &request](const CallContext& context) {
    const Duration timeout = std::min(options_.call_timeout, context.remaining(clock_->now()));
    return payments_->charge(request, timeout);
  };
  auto charging = charge_retry_.execute<std::string>(attempt);
  co_return co_await std::move(charging);
}

}  // namespace inventory
