// SimDedupLedger: the durable side of consumer dedup (faultline/idempotency/consumer_dedup.h)
// on the simulated PostgreSQL server, the twin of faultline::backends::postgres::PgDedupLedger.
//
// apply_once(id, effect, timeout) runs, as one transaction on the node (PgNode::transaction:
// all or nothing, durable once committed):
//   INSERT INTO faultline_processed (key, processed_at) ... ON CONFLICT DO NOTHING
//   -- not inserted: nothing changes, the effect is not run -> false (a duplicate)
//   effect(database)  -- the consumer's writes, in the same transaction
//   COMMIT            -> true
// An error from the effect rolls the record back with it and is returned: the message is not
// recorded, so its redelivery runs the effect again. Rows are keyed by dedup_key(id), with the
// node's wall clock in ms as processed_at.
//
// The request travels on one connection: a duplicate the simulated network makes is applied
// once (as TCP would). Errors: kInvalidArgument (validate_message, validate_timeout) before
// anything is sent; kUnavailable (the node refused or was down); kOutcomeUnknown (no reply in
// time: the transaction may have committed).
//
// Ownership: borrows the network, the client process and the node, which outlive every call;
// the effect is copied into the request. Thread-safety: none (the simulator's one thread).
#pragma once

#include <functional>
#include <string_view>

#include "faultline/idempotency/consumer_dedup.h"
#include "faultline/sim/network.h"
#include "faultline/sim/pg_node.h"

namespace faultline::sim {

inline constexpr std::string_view kProcessedTable = "faultline_processed";

class SimDedupLedger {
 public:
  // Runs inside the ledger's transaction on the node; an Error rolls everything back.
  using Effect = std::function<Result<void>(PgDatabase&)>;

  SimDedupLedger(Network& network, Process& client, PgNode& node)
      : network_(network), client_(client), node_(node) {}

  Task<Result<bool>> apply_once(idempotency::MessageId id, const Effect& effect,
                                Duration timeout);

  // The node-side step (for tests and checkers that act on the node directly).
  [[nodiscard]] static Result<bool> apply_on_node(PgNode& node, ProcessId client,
                                                  idempotency::MessageId id, const Effect& effect);

 private:
  Network& network_;
  Process& client_;
  PgNode& node_;
};

}  // namespace faultline::sim
