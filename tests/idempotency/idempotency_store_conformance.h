// The IdempotencyStore conformance suite's view of a backend.
//
// One suite (idempotency_store_conformance_test.cc) checks the same properties against every
// IdempotencyStore: the simulated Redis node's module, real Redis and real PostgreSQL. Each
// backend provides make_idempotency_store_harness() in its own translation unit; the suite links
// against exactly one of them.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "faultline/clock.h"
#include "faultline/idempotency/idempotency_store.h"
#include "faultline/task.h"

namespace faultline::testing {

class IdempotencyStoreHarness {
 public:
  virtual ~IdempotencyStoreHarness() = default;
  // Clients 0..kClients-1 each have their own store instance (their own connection).
  static constexpr int kClients = 2;
  virtual idempotency::IdempotencyStore& store(int client) = 0;
  // Runs `body` to completion on the backend's executor.
  virtual void run(std::function<Task<void>()> body) = 0;
  // Lets `duration` pass on the store's clock (virtual in the simulator, real otherwise).
  virtual void wait(Duration duration) = 0;
  // A key no other test has used.
  virtual std::string unique_key() = 0;
  virtual std::string name() const = 0;
  // Whether reap deletes records itself (PostgreSQL) or the store's TTL does (Redis).
  virtual bool reaps() const = 0;
};

// Null when the backend is not available (the suite then skips with the reason).
std::unique_ptr<IdempotencyStoreHarness> make_idempotency_store_harness(std::string& why_not);

}  // namespace faultline::testing
