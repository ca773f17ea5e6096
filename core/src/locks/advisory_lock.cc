#include "faultline/locks/advisory_lock.h"

#include <string>
#include <utility>

namespace faultline::locks {

Result<void> AdvisoryLockOptions::validate() const {
  if (name_space.empty()) return invalid_argument("name_space: must not be empty");
  if (wait < Duration::zero() || wait > std::chrono::hours(1)) {
    return invalid_argument("wait: " + std::to_string(wait.count()) + "ns; must be in [0, 1h]");
  }
  if (call_timeout <= Duration::zero() || call_timeout > std::chrono::hours(1)) {
    return invalid_argument("call_timeout: " + std::to_string(call_timeout.count()) +
                            "ns; must be in (0, 1h]");
  }
  return Ok{};
}

Result<AdvisoryLock> AdvisoryLock::create(SessionLockStore& store, std::string key,
                                          AdvisoryLockOptions options) {
  if (auto r = options.validate(); !r) return std::move(r).error();
  Result<AdvisoryLockId> id = advisory_lock_id(options.name_space, key);
  if (!id) return std::move(id).error();
  return AdvisoryLock(store, std::move(key), *id, std::move(options));
}

Task<Result<Lease>> AdvisoryLock::acquire() {
  if (session_ == nullptr || session_->lost()) {
    holding_ = false;
    Result<std::unique_ptr<LockSession>> opened =
        co_await store_->open_session(options_.call_timeout);
    if (!opened) co_return std::move(opened).error();
    session_ = std::move(opened).value();
  }
  if (options_.wait > Duration::zero()) {
    Result<void> locked = co_await session_->lock(id_, options_.wait);
    if (!locked) co_return std::move(locked).error();
  } else {
    Result<bool> taken = co_await session_->try_lock(id_, options_.call_timeout);
    if (!taken) co_return std::move(taken).error();
    if (!*taken) {
      co_return Error{ErrorCode::kBusy, "advisory lock '" + key_ + "' is held by another session"};
    }
  }
  holding_ = true;
  Result<FencingToken> token = co_await session_->next_fencing_token(key_, options_.call_timeout);
  if (!token) {
    (void)co_await session_->unlock(id_, options_.call_timeout);
    holding_ = false;
    co_return std::move(token).error();
  }
  // No ttl: the lease lasts as long as the session, which held() reports.
  co_return Lease{key_, std::string(), *token, TimePoint{}, TimePoint::max()};
}

Task<Result<void>> AdvisoryLock::release(const Lease& lease) {
  if (lease.key != key_) {
    co_return invalid_argument("lease: belongs to lock '" + lease.key + "', not '" + key_ + "'");
  }
  if (session_ == nullptr) co_return failed_precondition("advisory lock '" + key_ + "' not held");
  holding_ = false;
  Result<bool> unlocked = co_await session_->unlock(id_, options_.call_timeout);
  if (!unlocked) co_return std::move(unlocked).error();
  if (!*unlocked) {
    co_return failed_precondition("advisory lock '" + key_ +
                                  "' was not held by this session (it ended)");
  }
  co_return Ok{};
}

}  // namespace faultline::locks
