#include "faultline/locks/advisory_lock.h"

#include <string>
#include <utility>
#include "faultline/validate.h"

namespace faultline::locks {

Result<void> AdvisoryLockOptions::validate() const {
  if (name_space.empty()) return invalid_argument("name_space: must not be empty");
  if (auto r = check_range("wait", wait, Duration::zero(), std::chrono::hours(1)); !r) return r;
  return validate_timeout(call_timeout, "call_timeout", std::chrono::hours(1));
}

Result<AdvisoryLock> AdvisoryLock::create(SessionLockStore& store, std::string key,
                                          AdvisoryLockOptions options) {
  if (auto r = options.validate(); !r) return std::move(r).error();
  Result<AdvisoryLockId> id = advisory_lock_id(options.name_space, key);
  if (!id) return std::move(id).error();
  return AdvisoryLock(store, std::move(key), *id, std::move(options));
}

Task<void> AdvisoryLock::end_session() {
  // Ending the session is the one way to be sure the server holds nothing of ours: every hold
  // of every lock of this session goes with it, however many times a request was applied.
  holding_ = false;
  std::unique_ptr<LockSession> session = std::move(session_);
  if (session != nullptr) co_await session->close(options_.call_timeout);
}

Task<Result<Lease>> AdvisoryLock::acquire() {
  if (session_ == nullptr || session_->lost()) {
    holding_ = false;
    Result<std::unique_ptr<LockSession>> opened =
        co_await store_->open_session(options_.call_timeout);
    if (!opened) co_return std::move(opened).error();
    session_ = std::move(opened).value();
  }
  Result<void> locked = co_await take();
  if (!locked) {
    // A lock call whose outcome is unknown may have taken the lock (session_lock_store.h): keeping
    // the session would keep that hold, and the next acquire() would re-enter it.
    if (locked.error().may_have_happened()) co_await end_session();
    co_return std::move(locked).error();
  }
  holding_ = true;
  Result<FencingToken> token = co_await session_->next_fencing_token(key_, options_.call_timeout);
  if (!token) {
    Result<bool> unlocked = co_await session_->unlock(id_, options_.call_timeout);
    if (unlocked.ok() && *unlocked) {
      holding_ = false;
    } else {
      co_await end_session();
    }
    co_return std::move(token).error();
  }
  // No ttl: the lease lasts as long as the session, which held() reports.
  co_return Lease{key_, std::string(), *token, TimePoint{}, TimePoint::max()};
}

Task<Result<void>> AdvisoryLock::take() {
  if (options_.wait > Duration::zero()) co_return co_await session_->lock(id_, options_.wait);
  Result<bool> taken = co_await session_->try_lock(id_, options_.call_timeout);
  if (!taken) co_return std::move(taken).error();
  if (!*taken) {
    co_return Error{ErrorCode::kBusy, "advisory lock '" + key_ + "' is held by another session"};
  }
  co_return Ok{};
}

Task<Result<void>> AdvisoryLock::release(const Lease& lease) {
  if (lease.key != key_) {
    co_return invalid_argument("lease: belongs to lock '" + lease.key + "', not '" + key_ + "'");
  }
  if (session_ == nullptr) co_return failed_precondition("advisory lock '" + key_ + "' not held");
  holding_ = false;
  Result<bool> unlocked = co_await session_->unlock(id_, options_.call_timeout);
  if (!unlocked) {
    // The unlock may not have happened: only ending the session surely frees the lock.
    if (unlocked.error().may_have_happened()) co_await end_session();
    co_return std::move(unlocked).error();
  }
  if (!*unlocked) {
    co_return failed_precondition("advisory lock '" + key_ +
                                  "' was not held by this session (it ended)");
  }
  co_return Ok{};
}

}  // namespace faultline::locks
