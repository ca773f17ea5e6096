// The conformance suite's harness for the simulated Redis node's idempotency module.
#include <fmt/format.h>

#include "faultline/sim/redis_idempotency.h"
#include "faultline/sim/topology.h"
#include "tests/idempotency/idempotency_store_conformance.h"

namespace faultline::testing {
namespace {

class SimHarness final : public IdempotencyStoreHarness {
 public:
  SimHarness() : topology_(sim::TopologyBuilder(0x1DE4).redis("redis").clients(kClients)) {
    for (int i = 0; i < kClients; ++i) {
      stores_.push_back(std::make_unique<sim::SimIdempotencyStore>(
          topology_.network(), topology_.client(static_cast<std::size_t>(i)),
          topology_.redis("redis")));
    }
    topology_.start();
  }

  idempotency::IdempotencyStore& store(int client) override {
    return *stores_.at(static_cast<std::size_t>(client));
  }

  void run(std::function<Task<void>()> body) override {
    bool done = false;
    topology_.client(0).spawn(wrap(std::move(body), done));
    while (!done && world().step()) {
    }
    if (!done) throw std::runtime_error("simulated run ended before the body finished");
  }

  void wait(Duration duration) override { world().run_until(world().now() + duration); }
  std::string unique_key() override { return fmt::format("conformance-{}", next_key_++); }
  std::string name() const override { return "simulated redis node"; }
  bool reaps() const override { return false; }

 private:
  static Task<void> wrap(std::function<Task<void>()> body, bool& done) {
    auto task = body();
    co_await std::move(task);
    done = true;
  }
  sim::World& world() { return topology_.world(); }

  sim::Topology topology_;
  std::vector<std::unique_ptr<sim::SimIdempotencyStore>> stores_;
  int next_key_ = 0;
};

}  // namespace

std::unique_ptr<IdempotencyStoreHarness> make_idempotency_store_harness(std::string&) {
  return std::make_unique<SimHarness>();
}

}  // namespace faultline::testing
