// SimQueue: an at-least-once message queue for the idempotency scenarios (SQS-like): receive()
// hands out the oldest visible entry and hides it for a visibility timeout; ack() deletes it;
// an entry not acked in time becomes visible again (a redelivery). The producer may enqueue one
// message id several times (a duplicate publish). The queue itself never loses an entry.
//
// Times are the broker host's steady clock. The queue is a model on its host: a consumer reaches
// it through sim::call (receive_from / ack_to below), so partitions and crashes of the consumer
// act on it as on any service. Thread-safety: none. Ownership: the caller owns the queue; the
// network and processes must outlive every call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::scenarios {

struct Delivery {
  std::uint64_t receipt = 0;  // names this entry (a duplicate publish is another entry)
  std::string message_id;
};

class SimQueue {
 public:
  SimQueue(sim::Process& host, Duration visibility) : host_(host), visibility_(visibility) {}

  void publish(std::string message_id);
  // The oldest entry visible now, hidden for the visibility timeout; nothing when none is.
  [[nodiscard]] std::optional<Delivery> receive();
  void ack(std::uint64_t receipt);
  // Entries not yet acked (visible or not).
  [[nodiscard]] std::size_t pending() const noexcept { return entries_.size(); }
  [[nodiscard]] sim::Process& host() noexcept { return host_; }

 private:
  struct Entry {
    Delivery delivery;
    TimePoint visible_at{};
  };
  sim::Process& host_;
  Duration visibility_;
  std::uint64_t next_receipt_ = 1;
  std::vector<Entry> entries_;  // in publish order
};

// The consumer's side, over the network, with a deadline.
Task<Result<std::optional<Delivery>>> receive_from(sim::Network& network, sim::Process& client,
                                                   SimQueue& queue, Duration timeout);
Task<Result<bool>> ack_to(sim::Network& network, sim::Process& client, SimQueue& queue,
                          std::uint64_t receipt, Duration timeout);

}  // namespace faultline::scenarios
