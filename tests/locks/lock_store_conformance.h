// The LockStore conformance suite's view of a backend.
//
// One suite (lock_store_conformance_test.cc) checks the same properties against every LockStore
// implementation: the simulator's RedisNode model and a real redis-server. Each backend provides
// make_lock_store_harness() in its own translation unit (lock_store_conformance_sim.cc,
// lock_store_conformance_redis.cc); the suite links against exactly one of them.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "faultline/clock.h"
#include "faultline/locks/lock_store.h"
#include "faultline/task.h"

namespace faultline::testing {

class LockStoreHarness {
 public:
  virtual ~LockStoreHarness() = default;
  // Clients 0..kClients-1 each have their own store instance (their own connection).
  static constexpr int kClients = 3;
  virtual locks::LockStore& store(int client) = 0;
  // Runs `body` to completion on the backend's executor.
  virtual void run(std::function<Task<void>()> body) = 0;
  // Lets `duration` pass on the server's clock (virtual in the simulator, real otherwise).
  virtual void wait(Duration duration) = 0;
  // A key no other test has used.
  virtual std::string unique_key() = 0;
  // Human-readable backend name, for messages.
  virtual std::string name() const = 0;
};

// Null when the backend is not available (the suite then skips with the reason).
std::unique_ptr<LockStoreHarness> make_lock_store_harness(std::string& why_not);

}  // namespace faultline::testing
