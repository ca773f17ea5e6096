#include "scenarios/idempotency/sim_queue.h"

#include <algorithm>
#include <utility>

#include "faultline/sim/rpc.h"

namespace faultline::scenarios {

void SimQueue::publish(std::string message_id) {
  entries_.push_back(Entry{Delivery{next_receipt_++, std::move(message_id)}, host_.clock().now()});
}

std::optional<Delivery> SimQueue::receive() {
  const TimePoint now = host_.clock().now();
  for (Entry& entry : entries_) {
    if (entry.visible_at > now) continue;
    entry.visible_at = now + visibility_;
    return entry.delivery;
  }
  return std::nullopt;
}

void SimQueue::ack(std::uint64_t receipt) {
  std::erase_if(entries_, [receipt](const Entry& e) { return e.delivery.receipt == receipt; });
}

Task<Result<std::optional<Delivery>>> receive_from(sim::Network& network, sim::Process& client,
                                                   SimQueue& queue, Duration timeout) {
  SimQueue* q = &queue;
  auto op = [q]() { return Result<std::optional<Delivery>>(q->receive()); };
  auto reply = sim::call<std::optional<Delivery>>(network, client, queue.host(), timeout,
                                                  std::move(op));
  co_return co_await std::move(reply);
}

Task<Result<bool>> ack_to(sim::Network& network, sim::Process& client, SimQueue& queue,
                          std::uint64_t receipt, Duration timeout) {
  SimQueue* q = &queue;
  auto op = [q, receipt]() {
    q->ack(receipt);
    return Result<bool>(true);
  };
  auto reply = sim::call<bool>(network, client, queue.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

}  // namespace faultline::scenarios
