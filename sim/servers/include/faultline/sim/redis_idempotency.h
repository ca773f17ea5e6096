// RedisIdempotency: the idempotency-record command module of the simulated Redis server, and
// SimIdempotencyStore, the IdempotencyStore a simulated client reaches it through.
//
// A record is a hash under record_key(id) (faultline/idempotency/idempotency_store.h) with the
// fields the real scripts write (faultline/backends/redis/idempotency_scripts.h): fp, state
// (in_progress | completed), point, data, owner, lease_until, created, expires, response; times
// in whole milliseconds of the node's wall clock. Each operation is one node step (atomic, as a
// Lua script is). Expiry is judged from `expires` and `lease_until`; the hash also carries a
// PEXPIRE of the retention, as a safety net, so reap has nothing left to do on Redis.
//
// Arguments are assumed valid here (SimIdempotencyStore validates them first, as the real store
// does). Thread-safety: none. Ownership: borrows the node, which must outlive it.
#pragma once

#include <string_view>

#include "faultline/idempotency/idempotency_store.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_node.h"

namespace faultline::sim {

class RedisIdempotency {
 public:
  explicit RedisIdempotency(RedisNode& node) : node_(node) {}

  [[nodiscard]] idempotency::BeginReply begin(idempotency::RequestId id,
                                              std::string_view fingerprint, std::string_view owner,
                                              Duration lease, Duration retention);
  [[nodiscard]] bool checkpoint(idempotency::RequestId id, std::string_view owner,
                                std::string_view point, std::string_view data, Duration lease);
  [[nodiscard]] bool complete(idempotency::RequestId id, std::string_view owner,
                              std::string_view response);
  [[nodiscard]] bool release(idempotency::RequestId id, std::string_view owner);
  // SCAN over record names (MATCH idem:*) from `cursor`, `limit` names examined; the cursor is
  // the last name examined (the real backend's is SCAN's own).
  [[nodiscard]] idempotency::AbandonedPage abandoned(std::string_view cursor, std::size_t limit);

 private:
  RedisNode& node_;
};

class SimIdempotencyStore final : public idempotency::IdempotencyStore {
 public:
  SimIdempotencyStore(Network& network, Process& client, RedisNode& node)
      : network_(network), client_(client), node_(node) {}

  Task<Result<idempotency::BeginReply>> begin(idempotency::RequestId id,
                                              std::string_view fingerprint, std::string_view owner,
                                              Duration lease, Duration retention,
                                              Duration timeout) override;
  Task<Result<bool>> checkpoint(idempotency::RequestId id, std::string_view owner,
                                std::string_view point, std::string_view data, Duration lease,
                                Duration timeout) override;
  Task<Result<bool>> complete(idempotency::RequestId id, std::string_view owner,
                              std::string_view response, Duration timeout) override;
  Task<Result<bool>> release(idempotency::RequestId id, std::string_view owner,
                             Duration timeout) override;
  // Records expire by their TTL on Redis: nothing to delete (after a validation of `limit`).
  Task<Result<std::size_t>> reap(std::size_t limit, Duration timeout) override;
  Task<Result<idempotency::AbandonedPage>> abandoned(std::string_view cursor, std::size_t limit,
                                                     Duration timeout) override;

 private:
  Network& network_;
  Process& client_;
  RedisNode& node_;
};

}  // namespace faultline::sim
