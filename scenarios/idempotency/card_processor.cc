#include "scenarios/idempotency/card_processor.h"

#include <fmt/format.h>

#include <utility>

#include "faultline/sim/rpc.h"

namespace faultline::scenarios {

CardProcessor::CardProcessor(sim::Network& network, sim::Process& host, sim::History& history,
                             bool keyed)
    : network_(network), host_(host), history_(history), keyed_(keyed) {}

Result<std::string> CardProcessor::handle(const ChargeRequest& charge) {
  if (network_.outage(host_.id())) return unavailable("503: the processor is in an outage");
  if (keyed_ && !charge.key.empty()) {
    if (auto seen = by_key_.find(charge.key); seen != by_key_.end()) return seen->second;
  }
  std::string id = fmt::format("ch-{}", ledger_.size() + 1);
  const std::size_t op = history_.invoke(host_.id(), "charge-applied", charge.request);
  history_.complete(op, sim::OpStatus::kOk, id);
  if (keyed_ && !charge.key.empty()) by_key_.emplace(charge.key, id);
  ledger_.push_back(Entry{id, charge.request, op});
  return id;
}

Task<Result<std::string>> charge(sim::Network& network, sim::Process& self,
                                 CardProcessor& processor, sim::History& history,
                                 ChargeRequest request, Duration timeout) {
  const std::size_t op = history.invoke(self.id(), "charge", request.request);
  CardProcessor* server = &processor;
  auto handle = [server, request = std::move(request)] { return server->handle(request); };
  // Bound first: g++ 12 mishandles non-trivial temporaries inside a co_await operand.
  auto call = sim::call<std::string>(network, self, server->host(), timeout, std::move(handle));
  Result<std::string> result = co_await std::move(call);
  if (result) {
    history.complete(op, sim::OpStatus::kOk, result.value());
  } else {
    history.complete(op, result.error().may_have_happened() ? sim::OpStatus::kUnknown
                                                            : sim::OpStatus::kFail,
                     result.error().to_string());
  }
  co_return result;
}

}  // namespace faultline::scenarios
