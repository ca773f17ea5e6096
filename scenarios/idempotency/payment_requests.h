// The idempotent-request scenarios: payment requests that API instances run through
// IdempotentExecutor, charging a simulated card processor, while the instances crash, replies
// are lost and the processor has outages.
//
// Claims (must hold):
//   idempotency/payments-retry         instances retrying through lost replies, timeouts,
//                                      partitions, pauses, crashes, Redis restarts and processor
//                                      outages: each logical request is charged exactly once,
//                                      succeeds, and every success its clients saw carries the
//                                      same response, naming the charge the processor made;
//   idempotency/crash-between-phases   instances killed between phases (a restarted one gives
//                                      up what it had begun), a processor without idempotency
//                                      keys, duplicates arriving at two instances at once, and a
//                                      completer finishing abandoned requests: each request is
//                                      charged exactly once and completes.
// Hazards (must be found), each one mistake away from a claim:
//   idempotency/fresh-key-per-retry    a new random key on every retry: a double charge;
//   idempotency/stored-transient-error the processor's 503 stored as the final response: a
//                                      request that can never succeed;
//   idempotency/check-then-set         begin as a read, then a blind write: two executions;
//   idempotency/no-recovery-points     a store that keeps no recovery points: a resumed request
//                                      charges again.
// The verdict is read from the processor's ledger, from what the clients were answered and from
// the final responses the Redis node holds (payment_invariants.h), never from the executor.
#pragma once

#include <memory>
#include <vector>

#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

void add_payment_request_scenarios(std::vector<std::unique_ptr<Scenario>>& all);

}  // namespace faultline::scenarios
