// LockStore: the atomic operations a lease lock needs from its server.
//
// Each operation is one atomic step on its backend (a Lua script in Redis, a model step in the
// simulator), so no interleaving of clients can observe half of one. The operation set is the
// contract: the conformance suite (tests/lock_store_conformance_test.cc) runs the same property
// tests against every implementation, so the simulator's model cannot drift from real Redis.
//
// Terms
//   key    the lock's name; non-empty, at most kMaxKeyBytes.
//   owner  the holder's secret token (see random_token); non-empty, at most kMaxOwnerBytes.
//   ttl    how long the server keeps the lock without an extension, measured on the server's own
//          clock; in (0, kMaxTtl].
//   token  a fencing token: strictly increasing per key across every successful acquisition
//          (as long as the server keeps its state; a server that forgets its data on restart may
//          issue smaller tokens again, which a fenced resource then rejects).
//
// Errors: every call takes a `timeout` bounding the whole round trip. kUnavailable means the
// operation did not happen; kOutcomeUnknown means it may have happened. Bad arguments give
// kInvalidArgument before anything is sent.
//
// Thread-safety: an instance is used from one executor; concurrent calls on one instance are
// allowed only where the implementation says so.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::locks {

using FencingToken = std::uint64_t;

inline constexpr std::size_t kMaxKeyBytes = 512;
inline constexpr std::size_t kMaxOwnerBytes = 128;
inline constexpr std::chrono::milliseconds kMinTtl{1};
inline constexpr std::chrono::hours kMaxTtl{24};

// The outcome of acquire: the token when this owner now holds the lock, nothing when another does.
struct AcquireReply {
  bool acquired = false;
  FencingToken token = 0;  // meaningful only when acquired
};

class LockStore {
 public:
  virtual ~LockStore() = default;

  // Takes `key` for `owner` for `ttl` if it is free, issuing the next fencing token. If `owner`
  // already holds it (a retry after an unknown outcome), refreshes the ttl and returns the same
  // token: acquire is idempotent for one owner, which makes retrying it safe.
  virtual Task<Result<AcquireReply>> acquire(std::string_view key, std::string_view owner,
                                             Duration ttl, Duration timeout) = 0;

  // Deletes `key` only if `owner` holds it. Returns whether it did.
  virtual Task<Result<bool>> release(std::string_view key, std::string_view owner,
                                     Duration timeout) = 0;

  // Resets the ttl of `key` to `ttl` only if `owner` holds it. Returns whether it did.
  virtual Task<Result<bool>> extend(std::string_view key, std::string_view owner, Duration ttl,
                                    Duration timeout) = 0;

  // Issues the next fencing token of `key` without taking the lock (for callers that hold
  // exclusion by other means). Shares the counter with acquire.
  virtual Task<Result<FencingToken>> next_fencing_token(std::string_view key,
                                                        Duration timeout) = 0;
};

// Checks the arguments every implementation must reject alike. Returns kInvalidArgument naming
// the field, or Ok. (The timeout check is faultline::validate_timeout, shared by every remote
// call in the library.)
[[nodiscard]] Result<void> validate_key(std::string_view key);
[[nodiscard]] Result<void> validate_owner(std::string_view owner);
[[nodiscard]] Result<void> validate_ttl(Duration ttl);
// All of a request's arguments at once, in the order key, owner, ttl, timeout; absent ones
// (nullopt) are not checked. Every implementation calls this before sending anything.
[[nodiscard]] Result<void> validate_request(std::string_view key,
                                            std::optional<std::string_view> owner,
                                            std::optional<Duration> ttl, Duration timeout);

// Where a key's fencing counter lives, in every backend. Chosen so that in a Redis Cluster the
// counter hashes to the lock key's slot (a script touching both would otherwise fail with
// CROSSSLOT): a key with a hash tag keeps it ("{orders}:lock" -> "{orders}:lock:fence"); any other
// key becomes the tag ("orders" -> "{orders}:fence"). validate_key() rejects the keys for which
// neither works (a '}' outside any hash tag).
[[nodiscard]] std::string fence_key(std::string_view key);

}  // namespace faultline::locks
