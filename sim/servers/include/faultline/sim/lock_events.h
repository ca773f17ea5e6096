// LockEvent and LockObserver: what a simulated lock server grants and takes back, told as the
// server sees it, for renderings (a replay's timeline draws each grant on the server's lane).
//
// Contract of every server that takes an observer (RedisNode::set_lock_observer,
// PgNode::set_lock_observer):
//   - unset (the default), it costs one test of an empty std::function per lock step and builds
//     nothing;
//   - set, it is called synchronously inside the server's atomic step, after the step changed
//     its data, with views valid only during the call (copy what outlives it). It must not
//     schedule events, draw randomness, send messages or write the World's trace or a History's
//     operations or notes: observing a run never changes it (its trace hash stays the same);
//   - it is told only what changed: a refused acquire, a release by a non-owner or an extend of a
//     missing key are not events.
// Thread-safety: none (a run's World is single-threaded).
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "faultline/locks/lock_store.h"
#include "faultline/sim/world.h"

namespace faultline::sim {

class RedisKeyspace;

struct LockEvent {
  enum class Kind {
    kGranted,   // `key` is now held by `owner` (it was free, or its previous hold had ended)
    kExtended,  // the holder's expiry moved (an extend, or a re-acquire by the same owner)
    kReleased,  // the hold ended before its expiry: a release, a DEL, a session's end
    // Redis only: a crash replaced the node's data (restart without persistence, failover to a
    // replica, restart from an AOF missing its tail); `data` is what the node holds now, and a
    // hold that is not there has ended (RedisLocks::peek_holder reads one).
    kDataReplaced,
  };
  Kind kind = Kind::kGranted;
  std::string_view key;    // Redis: the lock's key; PostgreSQL: the advisory lock id, in decimal
  std::string_view owner;  // Redis: the owner string; PostgreSQL: the session's client's name
  // Redis: the token stored with the lock; PostgreSQL: the session id (no token there).
  locks::FencingToken token = 0;
  WallTime at{};  // the node's wall clock at the step (Redis: whole ms, as its keys see it)
  // kGranted, kExtended on Redis: the key's expiry on the same clock (the key is gone once the
  // clock passes it). Unset: held until released (PostgreSQL).
  std::optional<WallTime> expires_at;
  const RedisKeyspace* data = nullptr;  // kDataReplaced only
};

using LockObserver = std::function<void(const LockEvent&)>;

}  // namespace faultline::sim
