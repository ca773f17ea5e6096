// SessionLockStore: locks that belong to a session, as PostgreSQL advisory locks do.
//
// A session is one connection to the lock server. A session lock has no ttl: it is held until
// it is unlocked or until the session ends, and a session ends when its connection is lost
// (a network fault, a server restart, a killed backend). That is the hazard of this kind of
// lock: the holder may not learn that its lock is gone until its next call on the session.
// LockSession::lost() is how a holder observes it without making a call; every call on a lost
// session fails with kUnavailable.
//
// Lock ids are 64-bit integers (PostgreSQL's advisory lock key space); AdvisoryLockId maps
// string keys onto it with a namespace (see advisory_lock_id.h).
//
// Fencing tokens come from the server too (a counter per key, shared by every session), so a
// resource can refuse a holder whose session, and with it its lock, has died.
//
// Errors as in lock_store.h: every call takes a timeout; kUnavailable means it did not happen,
// kOutcomeUnknown that it may have (a lock call whose outcome is unknown may hold the lock: the
// only safe recovery is to end the session, which releases it).
//
// Thread-safety: a session is used by one coroutine at a time (it is one connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "faultline/clock.h"
#include "faultline/locks/lock_store.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::locks {

using AdvisoryLockId = std::int64_t;

class LockSession {
 public:
  virtual ~LockSession() = default;

  // Takes `id` if no other session holds it; true when this session now holds it. Re-entrant:
  // a session may take a lock it holds (and must then unlock it as many times).
  virtual Task<Result<bool>> try_lock(AdvisoryLockId id, Duration timeout) = 0;
  // Waits for `id` until it is taken (Ok) or `timeout` runs out: kBusy if the lock was still
  // held by another session then, nothing having been taken.
  virtual Task<Result<void>> lock(AdvisoryLockId id, Duration timeout) = 0;
  // Releases one hold of `id`; false when this session did not hold it.
  virtual Task<Result<bool>> unlock(AdvisoryLockId id, Duration timeout) = 0;
  // The next fencing token of `key` (strictly increasing across every session).
  virtual Task<Result<FencingToken>> next_fencing_token(std::string_view key,
                                                        Duration timeout) = 0;
  // True once the session has ended: every lock it held is gone.
  [[nodiscard]] virtual bool lost() const = 0;
  // Ends the session, releasing its locks on the server (best effort; a lost one already is).
  virtual Task<void> close(Duration timeout) = 0;
};

class SessionLockStore {
 public:
  virtual ~SessionLockStore() = default;
  // Opens a new session (a connection of its own).
  virtual Task<Result<std::unique_ptr<LockSession>>> open_session(Duration timeout) = 0;
};

// What lock(id, timeout) asks of the server, shared by the real backend (PgLockSession) and the
// simulated one (SimLockSession), so that both answer alike:
// the server waits lock_timeout = the timeout less a margin for the round trip (a quarter of
// it, at most 500ms), in whole milliseconds and at least 1ms (lock_timeout = 0 means "forever"),
// so that its answer arrives before the caller's deadline.
[[nodiscard]] std::chrono::milliseconds server_lock_wait(Duration timeout);
// lock()'s kBusy when that wait ran out with the lock still held (SQLSTATE 55P03).
[[nodiscard]] Error lock_wait_ran_out(AdvisoryLockId id, std::chrono::milliseconds waited);

}  // namespace faultline::locks
