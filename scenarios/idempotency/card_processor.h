// CardProcessor: the foreign service the payment scenarios charge, a model on its own host.
//
// It keeps the ledger of every charge as it applied it, which is what the scenarios judge
// (exactly one charge per logical request), never what the payment service believes. Two
// kinds, as in the world:
//   keyed     a Stripe-like processor: a charge carrying an idempotency key it has seen
//             returns the first charge's id and charges nothing;
//   unkeyed   a legacy acquirer: every request that arrives is a charge.
// During an outage of its host (a plan's outage fault) it answers 503 (kUnavailable) and
// applies nothing. Every applied charge is an operation of the "processor" process in the
// History, so a replay's witness shows it.
//
// Thread-safety: none; one World. Ownership: borrows the network, host and history.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "faultline/result.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "faultline/task.h"

namespace faultline::scenarios {

struct ChargeRequest {
  std::string request;  // the logical request it is for ("client-1/3"): the ledger's label
  std::string key;      // the downstream idempotency key; empty: none
};

class CardProcessor {
 public:
  struct Entry {
    std::string charge_id;  // "ch-1", "ch-2", ... in the order applied
    std::string request;
    std::size_t operation = 0;  // in the History
  };

  CardProcessor(sim::Network& network, sim::Process& host, sim::History& history, bool keyed);

  // One request, as the processor handles it: one atomic step on its host.
  Result<std::string> handle(const ChargeRequest& charge);

  [[nodiscard]] const std::vector<Entry>& ledger() const noexcept { return ledger_; }
  [[nodiscard]] sim::Process& host() noexcept { return host_; }

 private:
  sim::Network& network_;
  sim::Process& host_;
  sim::History& history_;
  bool keyed_;
  std::map<std::string, std::string> by_key_;  // idempotency key -> charge id
  std::vector<Entry> ledger_;
};

// A charge from `self` over the simulated network, recorded as a "charge" operation of `self`.
Task<Result<std::string>> charge(sim::Network& network, sim::Process& self,
                                 CardProcessor& processor, sim::History& history,
                                 ChargeRequest request, Duration timeout);

}  // namespace faultline::scenarios
