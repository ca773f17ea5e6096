// Inventory: a small service of a user's own, built on faultline's patterns, written against
// the abstract Clock, Random and stores only, so the same code runs in production (a Redis
// LockStore and real clients behind the ports) and under the simulator (inventory_sim.h).
//
// reserve(sku, customer, reservation) sells one unit of `sku`:
//   1. takes a LeaseLock on the item ("inventory:<sku>");
//   2. reads the stock; at zero, refuses ("sold out");
//   3. writes stock - 1 (an absolute write, retried while the lease is still believed valid:
//      writing the same value twice is writing it once);
//   4. charges the customer through a Retry, the reservation id as the idempotency key;
//   5. releases the lock.
// The unit is taken before the charge, so a charge never lands without a unit behind it: a
// charge that fails (or whose outcome stays unknown) leaves the unit reserved, unpaid, for a
// reconciliation job to settle. Selling a unit twice is the one thing the service must never
// do; leaving one unsold is allowed.
//
// Contract of reserve():
//   ok(Receipt)           the unit is taken and the payments service accepted the charge.
//   kFailedPrecondition   sold out, or the lease ran out before the stock was written: no charge.
//   kBusy, kUnavailable, kOutcomeUnknown from the lock or the stock: no charge was made (a write
//                         whose outcome is unknown may have taken the unit: never sold twice).
//   the charge's error    the unit stays taken; kOutcomeUnknown: the customer may be charged.
//                         With `idempotency_key`, a repeated charge of the same reservation is
//                         charged once by the payments service; without it, every attempt that
//                         arrives is a new charge (the hazard the inventory/no-key scenario finds).
//
// What it cannot promise: that the stock write lands while the lease holds, if the process is
// paused past its lease or its write is delayed past it (no fencing on the stock). The
// simulator's claim is scoped accordingly (scenarios.cc).
//
// Ownership: borrows the stores, the clock and the random, which must outlive it. A reserve()
// call refers to the service until it finishes: keep it alive and in place meanwhile.
// Thread-safety: none; one executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "faultline/clock.h"
#include "faultline/locks/lease_lock.h"
#include "faultline/locks/lock_store.h"
#include "faultline/random.h"
#include "faultline/resilience/retry.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace inventory {

using faultline::Duration;
using faultline::Result;
using faultline::Task;
using faultline::TimePoint;

// Where the stock lives (a Redis string per SKU in production and in the simulator).
class StockStore {
 public:
  virtual ~StockStore() = default;
  // The units of `sku` in stock (0 when the store has no record of it). Errors: kUnavailable
  // (not read), kOutcomeUnknown (no reply within `timeout`).
  virtual Task<Result<std::int64_t>> read(std::string sku, Duration timeout) = 0;
  // Sets the stock of `sku` to `units`: absolute, so applying it twice is applying it once.
  // Errors: kUnavailable (not written), kOutcomeUnknown (may have been written).
  virtual Task<Result<void>> write(std::string sku, std::int64_t units, Duration timeout) = 0;
};

struct Charge {
  std::string customer;
  std::string reservation;  // the charge's description, shown on the customer's statement
  std::int64_t amount_cents = 0;
  std::string idempotency_key;  // empty: none, every request that arrives is a new charge
};

// The downstream payments service.
class Payments {
 public:
  virtual ~Payments() = default;
  // The charge's id. Errors: kUnavailable (not charged: a 503, refused), kOutcomeUnknown (no
  // reply within `timeout`: may have been charged).
  virtual Task<Result<std::string>> charge(Charge charge, Duration timeout) = 0;
};

struct InventoryOptions {
  // The item's lock: long enough for read + write; waits out a lock left by a crashed holder.
  faultline::locks::LeaseLockOptions lock{.ttl = std::chrono::seconds(15),
                                          .call_timeout = std::chrono::milliseconds(100),
                                          .max_attempts = 30};
  Duration call_timeout = std::chrono::milliseconds(100);  // one stock or payments call
  faultline::resilience::RetryOptions stock_retry{
      .max_attempts = 3,
      .backoff = {faultline::resilience::BackoffStrategy::kFullJitter,
                  std::chrono::milliseconds(10), std::chrono::milliseconds(100)},
      .idempotent = true};  // an absolute write
  // The charge is retried after a timeout too (idempotent): safe only with the key below.
  faultline::resilience::RetryOptions charge_retry{
      .max_attempts = 5,
      .max_total = std::chrono::seconds(10),
      .backoff = {faultline::resilience::BackoffStrategy::kFullJitter,
                  std::chrono::milliseconds(50), std::chrono::seconds(1)},
      .idempotent = true};
  bool idempotency_key = true;  // send the reservation id as the charge's idempotency key
  std::int64_t price_cents = 1999;
};

struct Receipt {
  std::string reservation;
  std::string charge_id;
  std::int64_t units_left = 0;  // the stock this reservation wrote
};

class InventoryService {
 public:
  // kInvalidArgument naming the bad option.
  [[nodiscard]] static Result<InventoryService> create(faultline::locks::LockStore& locks,
                                                       StockStore& stock, Payments& payments,
                                                       faultline::Clock& clock,
                                                       faultline::Random& random,
                                                       InventoryOptions options);

  // Sells one unit of `sku` to `customer` under the reservation id `reservation` (unique per
  // purchase). See the contract above.
  Task<Result<Receipt>> reserve(std::string sku, std::string customer, std::string reservation);

 private:
  InventoryService(faultline::locks::LockStore& locks, StockStore& stock, Payments& payments,
                   faultline::Clock& clock, faultline::Random& random, InventoryOptions options,
                   faultline::resilience::Retry stock_retry,
                   faultline::resilience::Retry charge_retry);

  Task<Result<Receipt>> while_locked(faultline::locks::Lease lease, std::string sku,
                                     std::string customer, std::string reservation);
  // Steps 2-3: the stock left after taking one unit.
  Task<Result<std::int64_t>> take_unit(faultline::locks::Lease lease, std::string sku);
  Task<Result<std::string>> charge(std::string customer, std::string reservation);

  faultline::locks::LockStore* locks_;
  StockStore* stock_;
  Payments* payments_;
  faultline::Clock* clock_;
  faultline::Random* random_;
  InventoryOptions options_;
  faultline::resilience::Retry stock_retry_;
  faultline::resilience::Retry charge_retry_;
};

}  // namespace inventory
