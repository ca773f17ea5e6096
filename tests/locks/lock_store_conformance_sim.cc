// The conformance suite's harness for the simulated Redis node (fault-free network).
#include <fmt/format.h>

#include <optional>
#include <vector>

#include "faultline/sim/network.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/topology.h"
#include "faultline/sim/world.h"
#include "tests/locks/lock_store_conformance.h"

namespace faultline::testing {
namespace {

class SimHarness final : public LockStoreHarness {
 public:
  SimHarness() : topology_(sim::TopologyBuilder(0xC0FFEE).redis("redis").clients(kClients)) {
    topology_.start();
  }

  locks::LockStore& store(int client) override {
    return topology_.lock_store(topology_.client(static_cast<std::size_t>(client)).name(), "redis");
  }

  void run(std::function<Task<void>()> body) override {
    bool done = false;
    topology_.client(0).spawn(wrap(std::move(body), done));
    while (!done && world().step()) {
    }
    if (!done) throw std::runtime_error("simulated run ended before the body finished");
  }

  void wait(Duration duration) override { world().run_until(world().now() + duration); }

  std::string unique_key() override { return fmt::format("conformance:{}", next_key_++); }
  std::string name() const override { return "simulated redis node"; }

 private:
  static Task<void> wrap(std::function<Task<void>()> body, bool& done) {
    co_await body();
    done = true;
  }

  sim::World& world() { return topology_.world(); }

  sim::Topology topology_;
  int next_key_ = 0;
};

}  // namespace

std::unique_ptr<LockStoreHarness> make_lock_store_harness(std::string&) {
  return std::make_unique<SimHarness>();
}

}  // namespace faultline::testing
