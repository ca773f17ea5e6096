// LeaseKeeper: keeps a lease alive while its holder works (a "watchdog"), and tells the holder
// at once when it cannot.
//
// What it promises
//   - While running, it extends the lease every `renew_every` (on the holder's clock) through
//     the `extend` function it was given (LeaseLock::extend, Redlock::extend, ...).
//   - The lease is *lost* the moment either an extension fails (not the owner any more, or the
//     store unreachable past its deadline) or the lease's valid_until passes without a
//     successful extension, whichever comes first: the validity is watched by its own timer, so
//     a hung extension cannot delay the news. Then, once and immediately: lost() turns true,
//     why() says what happened, the on_lost callback runs, and the cancellation signal emits
//     `terminal`, so operations bound to slot() are cancelled.
//   - After it is lost or stopped it never extends again: a lock it may no longer own must not be
//     revived.
//
// What it cannot promise: that the holder notices in time. A holder paused (GC, a stopped VM)
// past its validity sees lost() only when it runs again, after someone else may have taken the
// lock. Fencing tokens, not keepers, make a lock safe.
//
// Usage:  auto keeper = LeaseKeeper::start(clock, lease, extend, {.renew_every = ttl / 3});
//         ... critical section, checking keeper->lost() before each step ...
//         keeper->stop();
//
// Ownership: start() returns a shared handle; the coroutines it spawns keep the state alive
// until they end, so dropping the handle early is safe. Borrows the clock, which must outlive
// the lease. Thread-safety: one executor.
#pragma once

#include <boost/asio/cancellation_signal.hpp>

#include <functional>
#include <memory>
#include <string>

#include "faultline/clock.h"
#include "faultline/locks/lease_lock.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::locks {

struct LeaseKeeperOptions {
  // How often to extend. Range (0, ttl): a third of the ttl leaves two chances before expiry.
  Duration renew_every = std::chrono::seconds(10);
  // Called once, at once, when the lease is lost (not when stopped).
  std::function<void(const Error&)> on_lost;
};

class LeaseKeeper {
 public:
  using Extend = std::function<Task<Result<Lease>>(const Lease&)>;

  // Starts keeping `lease` on the current executor. kInvalidArgument if renew_every is not in
  // (0, valid_until - acquired_at).
  [[nodiscard]] static Task<Result<std::shared_ptr<LeaseKeeper>>> start(
      Clock& clock, Lease lease, Extend extend, LeaseKeeperOptions options);

  // Stops extending. The lease stays valid until its current valid_until.
  void stop() noexcept { stopped_ = true; }
  [[nodiscard]] bool lost() const noexcept { return lost_; }
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }
  // Why the lease was lost; empty while it is not.
  [[nodiscard]] const std::string& why() const noexcept { return why_; }
  // The latest extended lease.
  [[nodiscard]] const Lease& lease() const noexcept { return lease_; }
  [[nodiscard]] int extensions() const noexcept { return extensions_; }
  // Emits terminal cancellation when the lease is lost.
  [[nodiscard]] boost::asio::cancellation_slot slot() noexcept { return signal_.slot(); }

  LeaseKeeper(Clock& clock, Lease lease, Extend extend, LeaseKeeperOptions options)
      : clock_(clock), lease_(std::move(lease)), extend_(std::move(extend)),
        options_(std::move(options)) {}

 private:
  static Task<void> renew_loop(std::shared_ptr<LeaseKeeper> self);
  static Task<void> validity_watch(std::shared_ptr<LeaseKeeper> self);
  void lose(Error error);

  Clock& clock_;
  Lease lease_;
  Extend extend_;
  LeaseKeeperOptions options_;
  boost::asio::cancellation_signal signal_;
  bool stopped_ = false;
  bool lost_ = false;
  std::string why_;
  int extensions_ = 0;
};

}  // namespace faultline::locks
