// The conformance suite's harness for the simulated Redis node (fault-free network).
#include <fmt/format.h>

#include <optional>
#include <vector>

#include "faultline/sim/network.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/world.h"
#include "tests/locks/lock_store_conformance.h"

namespace faultline::testing {
namespace {

class SimHarness final : public LockStoreHarness {
 public:
  SimHarness() : network_(world_), node_(world_.add_process("redis")) {
    for (int i = 0; i < kClients; ++i) {
      sim::Process& p = world_.add_process(fmt::format("client-{}", i));
      clients_.push_back(&p);
      stores_.push_back(std::make_unique<sim::SimLockStore>(network_, p, node_));
    }
    world_.start();
  }

  locks::LockStore& store(int client) override {
    return *stores_.at(static_cast<std::size_t>(client));
  }

  void run(std::function<Task<void>()> body) override {
    bool done = false;
    clients_.front()->spawn(wrap(std::move(body), done));
    while (!done && world_.step()) {
    }
    if (!done) throw std::runtime_error("simulated run ended before the body finished");
  }

  void wait(Duration duration) override { world_.run_until(world_.now() + duration); }

  std::string unique_key() override { return fmt::format("conformance:{}", next_key_++); }
  std::string name() const override { return "simulated redis node"; }

 private:
  static Task<void> wrap(std::function<Task<void>()> body, bool& done) {
    co_await body();
    done = true;
  }

  sim::World world_{0xC0FFEE};
  sim::Network network_;
  sim::RedisNode node_;
  std::vector<sim::Process*> clients_;
  std::vector<std::unique_ptr<sim::SimLockStore>> stores_;
  int next_key_ = 0;
};

}  // namespace

std::unique_ptr<LockStoreHarness> make_lock_store_harness(std::string&) {
  return std::make_unique<SimHarness>();
}

}  // namespace faultline::testing
