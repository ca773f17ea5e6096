// The inventory service's ports bound to the simulator: the stock in a simulated Redis
// (sim::RedisStrings, reached through sim::call), and a simulated payments service — a model on
// a service host that keeps the ledger of every charge as the server applied it. The scenarios
// (scenarios.h) judge their claims from that ledger and the stock on the Redis node, never from
// what the service believes.
//
// Every call the adapters make is recorded in the run's History (an operation on the calling
// process: invoked when sent, completed with ok / fail / unknown), and every charge the server
// applies is an operation on the "payments" process, so a replay's witness shows them.
//
// Ownership: borrow the network, processes, nodes and history, which must outlive them (the
// World's, the SimRun's). Thread-safety: none; one World.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "faultline/locks/lock_store.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_node.h"
#include "faultline/sim/world.h"
#include "inventory.h"

namespace inventory {

namespace sim = faultline::sim;

// The key of `sku`'s stock on the Redis node.
[[nodiscard]] std::string stock_key(const std::string& sku);

// The payments server: charges, deduplicated by idempotency key. Answers 503 (kUnavailable)
// during an outage of its host (a plan's outage fault), applying nothing.
class PaymentsServer {
 public:
  struct Entry {
    std::string charge_id;  // "ch-1", "ch-2", ... in the order applied
    Charge charge;
    sim::SimTime at{};
    std::size_t operation = 0;  // its operation in the History
  };

  PaymentsServer(sim::Network& network, sim::Process& host, sim::History& history);

  // One request, as the server handles it: one atomic step on the host. A request whose
  // idempotency key was seen before returns that charge's id and charges nothing.
  Result<std::string> handle(const Charge& charge);

  // Every charge applied, in order: the customer's statement.
  [[nodiscard]] const std::vector<Entry>& ledger() const noexcept { return ledger_; }
  [[nodiscard]] sim::Process& host() noexcept { return host_; }

 private:
  sim::Network& network_;
  sim::Process& host_;
  sim::History& history_;
  std::map<std::string, std::string> by_key_;  // idempotency key -> charge id
  std::vector<Entry> ledger_;
};

// The Payments port of one client process, over the simulated network.
class SimPayments final : public Payments {
 public:
  SimPayments(sim::Network& network, sim::Process& self, PaymentsServer& server,
              sim::History& history)
      : network_(network), self_(self), server_(server), history_(history) {}
  Task<Result<std::string>> charge(Charge charge, Duration timeout) override;

 private:
  sim::Network& network_;
  sim::Process& self_;
  PaymentsServer& server_;
  sim::History& history_;
};

// The StockStore port of one client process: GET / SET on the simulated Redis node.
class SimStock final : public StockStore {
 public:
  SimStock(sim::Network& network, sim::Process& self, sim::RedisNode& node, sim::History& history)
      : network_(network), self_(self), node_(node), history_(history) {}
  Task<Result<std::int64_t>> read(std::string sku, Duration timeout) override;
  Task<Result<void>> write(std::string sku, std::int64_t units, Duration timeout) override;

 private:
  sim::Network& network_;
  sim::Process& self_;
  sim::RedisNode& node_;
  sim::History& history_;
};

// A LockStore that forwards to another and records acquire and release in the History, so
// the timeline shows who held the item's lock when (a forwarding wrapper: the service is
// unchanged).
class RecordingLockStore final : public faultline::locks::LockStore {
 public:
  RecordingLockStore(faultline::locks::LockStore& inner, sim::Process& self, sim::History& history)
      : inner_(inner), self_(self), history_(history) {}
  Task<Result<faultline::locks::AcquireReply>> acquire(std::string_view key, std::string_view owner,
                                                       Duration ttl, Duration timeout) override;
  Task<Result<bool>> release(std::string_view key, std::string_view owner,
                             Duration timeout) override;
  Task<Result<bool>> extend(std::string_view key, std::string_view owner, Duration ttl,
                            Duration timeout) override {
    return inner_.extend(key, owner, ttl, timeout);
  }
  Task<Result<faultline::locks::FencingToken>> next_fencing_token(std::string_view key,
                                                                  Duration timeout) override {
    return inner_.next_fencing_token(key, timeout);
  }

 private:
  faultline::locks::LockStore& inner_;
  sim::Process& self_;
  sim::History& history_;
};

}  // namespace inventory
