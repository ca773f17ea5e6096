// The consumer dedup scenarios: a queue delivering at least once (duplicate publishes,
// redeliveries after a visibility timeout), two consumers that crash, a Redis cache that
// restarts without persistence, and the effect (a counter per message) on a PostgreSQL node.
//
//   idempotency/consumer-dedup   (holds)   ConsumerDedup with the durable ledger: every message's
//                                          effect is applied exactly once.
//   idempotency/redis-only-dedup (hazard)  the same consumer with the ledger's record switched
//                                          off (the cache alone decides): after the cache loses
//                                          its data, or when two deliveries race, a message is
//                                          applied twice. Must be found.
// The invariant reads the effects table on the PostgreSQL node and nothing else.
#pragma once

#include <memory>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

enum class DedupVariant { kLedger, kRedisOnly };

[[nodiscard]] std::unique_ptr<Scenario> consumer_dedup_scenario(DedupVariant variant);

}  // namespace faultline::scenarios
