// The consumer dedup conformance suite's view of a backend: a cache and a ledger, and an effect
// that counts how often each message was applied, in the ledger's own database.
//
// One suite (consumer_dedup_conformance_test.cc) holds the simulated pair (SimDedupCache on a
// RedisNode, SimDedupLedger on a PgNode) and the real one (RedisDedupCache on redis-server,
// PgDedupLedger on PostgreSQL) to the same properties. Each backend provides
// make_consumer_dedup_harness() in its own translation unit.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "faultline/idempotency/consumer_dedup.h"
#include "faultline/task.h"

namespace faultline::testing {

class ConsumerDedupHarness {
 public:
  virtual ~ConsumerDedupHarness() = default;
  // Clients 0..kClients-1 each have their own cache and ledger connections.
  static constexpr int kClients = 4;
  // ConsumerDedup<Ledger>::process as `client`, with `cache` (the client's own, or another: a
  // cache that is down; null: none). The effect adds 1 to the message's count in the ledger's
  // database, then fails (kUnavailable "effect failed") when `fail_effect`.
  virtual Task<Result<idempotency::DedupReply>> process(int client, idempotency::DedupCache* cache,
                                                        idempotency::MessageId id,
                                                        bool fail_effect, Duration timeout) = 0;
  virtual idempotency::DedupCache& cache(int client) = 0;
  // How often `id`'s effect committed, read from the database.
  virtual Task<Result<int>> effects(idempotency::MessageId id) = 0;
  // The cache loses `id`'s marker (a restart without persistence, an eviction).
  virtual Task<void> forget(idempotency::MessageId id) = 0;
  virtual void run(std::function<Task<void>()> body) = 0;
  // A message id no other test has used.
  virtual std::string unique_id() = 0;
  virtual std::string name() const = 0;
};

// Null when the backend is not available (the suite then skips with the reason).
std::unique_ptr<ConsumerDedupHarness> make_consumer_dedup_harness(std::string& why_not);

}  // namespace faultline::testing
