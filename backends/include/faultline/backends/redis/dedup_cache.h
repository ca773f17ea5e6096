// RedisDedupCache: the fast path of consumer dedup (idempotency::DedupCache) on Redis, over a
// borrowed Connection (shared with the other families' stores; see connection.h):
//   seen(id)          EXISTS dedup:<len>:<consumer>:<message id>            -> true when 1
//   mark(id, window)  SET    dedup:<len>:<consumer>:<message id> 1 NX PX <window ms>
// A hint, never the authority: ConsumerDedup marks only after the ledger committed and treats
// any error here as a miss. Redis may lose markers (a restart without persistence, eviction, a
// failover): the ledger catches what it forgets.
//
// Errors: kInvalidArgument naming the field before anything is sent (validate_message; window:
// whole milliseconds in [1ms, 30 days]; timeout > 0); then as Connection::command()
// (kUnavailable, kOutcomeUnknown; a server error reply is kUnavailable).
// Ownership: borrows the connection, which must outlive the cache and every call.
// Thread-safety: as Connection (its io_context's thread).
#pragma once

#include "faultline/backends/redis/connection.h"
#include "faultline/idempotency/consumer_dedup.h"

namespace faultline::backends::redis {

class RedisDedupCache final : public idempotency::DedupCache {
 public:
  explicit RedisDedupCache(Connection& connection) : connection_(connection) {}

  Task<Result<bool>> seen(idempotency::MessageId id, Duration timeout) override;
  Task<Result<void>> mark(idempotency::MessageId id, Duration window, Duration timeout) override;

 private:
  Connection& connection_;
};

}  // namespace faultline::backends::redis
