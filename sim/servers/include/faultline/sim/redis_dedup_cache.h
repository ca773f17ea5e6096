// SimDedupCache: the fast path of consumer dedup (idempotency::DedupCache) on a simulated Redis
// node, the twin of faultline::backends::redis::RedisDedupCache: seen() is EXISTS
// dedup_key(id), mark() is SET dedup_key(id) 1 NX PX window, each one step on the node
// (RedisStrings). A node that restarts without persistence forgets every marker: that is what
// the cache is allowed to do.
//
// Errors: kInvalidArgument before anything is sent (validate_message, a window that is not
// whole milliseconds in [1ms, 30 days], validate_timeout); then as sim::call (kUnavailable,
// kOutcomeUnknown when no reply came in time).
// Ownership: borrows the network, the client and the node. Thread-safety: none.
#pragma once

#include "faultline/idempotency/consumer_dedup.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_node.h"

namespace faultline::sim {

class SimDedupCache final : public idempotency::DedupCache {
 public:
  SimDedupCache(Network& network, Process& client, RedisNode& node)
      : network_(network), client_(client), node_(node) {}

  Task<Result<bool>> seen(idempotency::MessageId id, Duration timeout) override;
  Task<Result<void>> mark(idempotency::MessageId id, Duration window, Duration timeout) override;

 private:
  Network& network_;
  Process& client_;
  RedisNode& node_;
};

}  // namespace faultline::sim
