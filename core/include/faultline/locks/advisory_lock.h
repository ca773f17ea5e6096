// AdvisoryLock: a named lock held by a database session (PostgreSQL advisory locks), with
// fencing tokens from the database.
//
// What it promises
//   - acquire() returns a Lease when this lock's session holds the advisory lock for
//     advisory_lock_id(name_space, key), with a fresh fencing token from the database's
//     counter for that key. With `wait` > 0 it waits up to `wait` for the lock (blocking form);
//     with `wait` == 0 it tries once (try form).
//   - There is no ttl: the lock is held until release() or until the session ends. The session
//     ends when its connection drops, and then the *server* has already released the lock while
//     the holder may not know yet. held() turns false once the session is known lost; check it,
//     but know that a check cannot see a drop that happened after it: only a resource that
//     checks fencing tokens is safe against that (scenario pg-advisory/connection-drop).
//   - A lost session is replaced by a new one at the next acquire().
//
// Errors: kInvalidArgument from create(); kBusy when another session held the lock throughout;
// kUnavailable / kOutcomeUnknown from the store. Nothing stays held after an error: if taking
// the token fails after the lock was taken, the lock is unlocked; and whenever a lock or unlock
// call's outcome is unknown (the server may hold the lock for this session, possibly twice),
// the session is closed, which the server answers by releasing all of its locks. The next
// acquire() opens a new session.
//
// Ownership: borrows the store. Owns its session. Thread-safety: one executor, one coroutine at
// a time (a session is one connection).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "faultline/locks/advisory_lock_id.h"
#include "faultline/locks/lease_lock.h"
#include "faultline/locks/session_lock_store.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::locks {

struct AdvisoryLockOptions {
  // Separates applications sharing one database; part of the lock id. Non-empty.
  std::string name_space = "faultline";
  // How long acquire() waits for a held lock; zero means try once. Range [0, 1h].
  Duration wait = std::chrono::seconds(1);
  // Bound on each round trip (and on opening a session). Range (0, 1h].
  Duration call_timeout = std::chrono::milliseconds(500);

  [[nodiscard]] Result<void> validate() const;
};

class AdvisoryLock {
 public:
  [[nodiscard]] static Result<AdvisoryLock> create(SessionLockStore& store, std::string key,
                                                   AdvisoryLockOptions options);

  Task<Result<Lease>> acquire();
  Task<Result<void>> release(const Lease& lease);
  // False once this lock's session is known to have ended (its locks are gone).
  [[nodiscard]] bool held() const { return session_ != nullptr && !session_->lost() && holding_; }
  [[nodiscard]] AdvisoryLockId id() const noexcept { return id_; }

 private:
  AdvisoryLock(SessionLockStore& store, std::string key, AdvisoryLockId id,
               AdvisoryLockOptions options)
      : store_(&store), key_(std::move(key)), id_(id), options_(std::move(options)) {}

  // Takes the lock on the current session: Ok, kBusy, or the session's error.
  Task<Result<void>> take();
  // Closes the session (releasing everything it holds on the server) and forgets it.
  Task<void> end_session();

  SessionLockStore* store_;
  std::string key_;
  AdvisoryLockId id_;
  AdvisoryLockOptions options_;
  std::unique_ptr<LockSession> session_;
  bool holding_ = false;
};

}  // namespace faultline::locks
