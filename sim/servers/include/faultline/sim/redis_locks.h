// RedisLocks: the lease-lock command module of the simulated Redis server, and SimLockStore, a
// LockStore for one client process talking to it over the simulated network.
//
// Each operation is one atomic step on the node (RedisNode::step) with exactly the semantics of
// the Lua scripts in backends/redis (lock_scripts.h; the conformance suite runs one suite over
// both): a lock is a hash {owner, token} under its key with a PEXPIRE, and its fencing counter a
// string under fence_key(key). Expiry, persistence, replication and crash are the node's.
//
// Observing: every grant, extension and release is told to the node's lock observer, if one is
// set (RedisNode::set_lock_observer, lock_events.h); a refused or no-op call tells nothing.
//
// Arguments are assumed valid here (SimLockStore validates them first, as the real store does).
// Thread-safety: none. Ownership: borrows the node, which must outlive it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "faultline/locks/lock_store.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_node.h"

namespace faultline::sim {

class RedisLocks {
 public:
  explicit RedisLocks(RedisNode& node) : node_(node) {}

  [[nodiscard]] locks::AcquireReply acquire(std::string_view key, std::string_view owner,
                                            Duration ttl);
  [[nodiscard]] bool release(std::string_view key, std::string_view owner);
  [[nodiscard]] bool extend(std::string_view key, std::string_view owner, Duration ttl);
  // INCR of a fencing counter (the counter's own name, e.g. fence_key(key)).
  [[nodiscard]] locks::FencingToken incr(std::string_view counter);
  // DEL: removes `key` whoever holds it. Not a LockStore operation on purpose (release must
  // check the owner); here for the scenario that shows why.
  [[nodiscard]] bool remove(std::string_view key);
  // Who holds `key` now, or "" (for checkers and tests).
  [[nodiscard]] std::string holder(std::string_view key);

  // The lock under `key` as `data` holds it, without a step and blind to expiry (compare
  // `expires_at` with the clock), or nullopt when there is no lock hash: for a lock observer
  // told of LockEvent::kDataReplaced (lock_events.h).
  struct Holder {
    std::string owner;
    locks::FencingToken token = 0;
    std::optional<WallTime> expires_at;
  };
  [[nodiscard]] static std::optional<Holder> peek_holder(const RedisKeyspace& data,
                                                         std::string_view key);

 private:
  RedisNode& node_;
};

class SimLockStore final : public locks::LockStore {
 public:
  SimLockStore(Network& network, Process& client, RedisNode& node)
      : network_(network), client_(client), node_(node) {}

  Task<Result<locks::AcquireReply>> acquire(std::string_view key, std::string_view owner,
                                            Duration ttl, Duration timeout) override;
  Task<Result<bool>> release(std::string_view key, std::string_view owner,
                             Duration timeout) override;
  Task<Result<bool>> extend(std::string_view key, std::string_view owner, Duration ttl,
                            Duration timeout) override;
  Task<Result<locks::FencingToken>> next_fencing_token(std::string_view key,
                                                       Duration timeout) override;

 private:
  Network& network_;
  Process& client_;
  RedisNode& node_;
};

}  // namespace faultline::sim
