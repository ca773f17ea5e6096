// The LimitStore conformance suite's view of a backend.
//
// One suite (limit_store_conformance_test.cc) checks the same properties against every
// LimitStore: the simulated Redis node's module and real Redis. Each backend provides
// make_limit_store_harness() in its own translation unit; the suite links against exactly one.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "faultline/clock.h"
#include "faultline/ratelimit/limit_store.h"
#include "faultline/task.h"

namespace faultline::testing {

class LimitStoreHarness {
 public:
  virtual ~LimitStoreHarness() = default;
  // Clients 0..kClients-1 each have their own store instance (their own connection).
  static constexpr int kClients = 2;
  virtual ratelimit::LimitStore& store(int client) = 0;
  // Runs `body` to completion on the backend's executor.
  virtual void run(std::function<Task<void>()> body) = 0;
  // Runs `bodies` concurrently to completion (one per client, in order).
  virtual void run_concurrently(std::vector<std::function<Task<void>()>> bodies) = 0;
  // Lets `duration` pass on the store's clock (virtual in the simulator, real otherwise).
  virtual void wait(Duration duration) = 0;
  // The store's instant of `client`'s last decision (the store's clock, microseconds), so that
  // the model can be fed the same instants.
  virtual ratelimit::Instant last_instant(int client) = 0;
  // PTTL of `name`, a key in the store (limit_key): nullopt when it is missing, Duration::max()
  // when it has no expiry.
  virtual std::optional<Duration> pttl(const std::string& name) = 0;
  // Whether the backend runs `policy`'s algorithm (the suite skips the others).
  virtual bool supports(const ratelimit::Policy& policy) const = 0;
  // A key no other test has used.
  virtual std::string unique_key() = 0;
  virtual std::string name() const = 0;
};

// Null when the backend is not available (the suite then skips with the reason).
std::unique_ptr<LimitStoreHarness> make_limit_store_harness(std::string& why_not);

}  // namespace faultline::testing
