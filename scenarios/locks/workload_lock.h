// The lock as the lock scenarios' workload sees it (lock_scenario.cc): acquire, release, and
// optionally extend, over any lock kind, plus the "release without an owner check"
// anti-pattern. Internal to scenarios/locks.
//
// Each call returns what the underlying lock returns; the adapters own their lock. The
// anti-pattern's release borrows the network, client process and node, which must outlive it.
// Thread-safety: none (one World).
#pragma once

#include <memory>
#include <utility>

#include "faultline/locks/lease_lock.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/rpc.h"
#include "faultline/sim/world.h"
#include "faultline/task.h"

namespace faultline::scenarios {

// The two operations the workload needs from any lock kind.
class WorkloadLock {
 public:
  virtual ~WorkloadLock() = default;
  virtual Task<Result<locks::Lease>> acquire() = 0;
  virtual Task<Result<void>> release(const locks::Lease& lease) = 0;
  // For a LeaseKeeper; kFailedPrecondition from a lock that cannot extend.
  virtual Task<Result<locks::Lease>> extend(const locks::Lease& lease) {
    (void)lease;
    co_return failed_precondition("this lock kind cannot extend a lease");
  }
  // What the holder can know, without a call, about whether it still holds the lock (beyond
  // the lease's valid_until): a session lock knows once its session is known lost.
  [[nodiscard]] virtual bool still_held() const { return true; }
};

template <class Lock>
class LockAdapter final : public WorkloadLock {
 public:
  explicit LockAdapter(Lock lock) : lock_(std::move(lock)) {}
  Task<Result<locks::Lease>> acquire() override { return lock_.acquire(); }
  Task<Result<void>> release(const locks::Lease& lease) override { return lock_.release(lease); }
  Task<Result<locks::Lease>> extend(const locks::Lease& lease) override {
    if constexpr (requires { lock_.extend(lease); }) {
      return lock_.extend(lease);
    } else {
      return WorkloadLock::extend(lease);
    }
  }
  [[nodiscard]] bool still_held() const override {
    if constexpr (requires { lock_.held(); }) {
      return lock_.held();
    } else {
      return true;
    }
  }

 private:
  Lock lock_;
};

// The anti-pattern "release without an owner check": a plain DEL of the key, whoever holds it.
class UncheckedReleaseLock final : public WorkloadLock {
 public:
  UncheckedReleaseLock(locks::LeaseLock lock, sim::Network& network, sim::Process& client,
                       sim::RedisNode& node)
      : lock_(std::move(lock)), network_(network), client_(client), node_(node) {}
  Task<Result<locks::Lease>> acquire() override { return lock_.acquire(); }
  Task<Result<void>> release(const locks::Lease& lease) override {
    sim::RedisNode* node = &node_;
    auto op = [node, key = lease.key]() {
      return Result<bool>(sim::RedisLocks(*node).remove(key));
    };
    auto reply = sim::call<bool>(network_, client_, node_.host(), lock_.options().call_timeout,
                                 std::move(op));
    Result<bool> removed = co_await std::move(reply);
    if (!removed) co_return std::move(removed).error();
    co_return Ok{};
  }

 private:
  locks::LeaseLock lock_;
  sim::Network& network_;
  sim::Process& client_;
  sim::RedisNode& node_;
};

}  // namespace faultline::scenarios
