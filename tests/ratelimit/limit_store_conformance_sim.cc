// The conformance suite's harness for the simulated Redis node's rate-limit module.
#include <fmt/format.h>

#include "faultline/sim/redis_limits.h"
#include "faultline/sim/topology.h"
#include "tests/ratelimit/limit_store_conformance.h"

namespace faultline::testing {
namespace {

class SimHarness final : public LimitStoreHarness {
 public:
  SimHarness() : topology_(sim::TopologyBuilder(0x5A7E).redis("redis").clients(kClients)) {
    for (int i = 0; i < kClients; ++i) {
      stores_.push_back(std::make_unique<sim::SimLimitStore>(
          topology_.network(), topology_.client(static_cast<std::size_t>(i)),
          topology_.redis("redis")));
    }
    topology_.start();
  }

  ratelimit::LimitStore& store(int client) override { return at(client); }

  void run(std::function<Task<void>()> body) override {
    std::vector<std::function<Task<void>()>> bodies;
    bodies.push_back(std::move(body));
    run_concurrently(std::move(bodies));
  }

  void run_concurrently(std::vector<std::function<Task<void>()>> bodies) override {
    std::size_t done = 0;
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      topology_.client(i).spawn(wrap(std::move(bodies[i]), done));
    }
    while (done < bodies.size() && world().step()) {
    }
    if (done < bodies.size()) throw std::runtime_error("simulated run ended before the bodies");
  }

  void wait(Duration duration) override { world().run_until(world().now() + duration); }
  ratelimit::Instant last_instant(int client) override { return at(client).last_instant(); }
  std::string unique_key() override { return fmt::format("conformance-{}", next_key_++); }
  std::string name() const override { return "simulated redis node"; }
  std::optional<Duration> pttl(const std::string& name) override {
    return topology_.redis("redis").step([&](sim::RedisKeyspace& keys) {
      return keys.exists(name) ? std::optional(keys.pttl(name).value_or(Duration::max()))
                               : std::nullopt;
    });
  }
  bool supports(const ratelimit::Policy&) const override { return true; }

 private:
  static Task<void> wrap(std::function<Task<void>()> body, std::size_t& done) {
    auto task = body();
    co_await std::move(task);
    ++done;
  }
  sim::World& world() { return topology_.world(); }
  sim::SimLimitStore& at(int client) { return *stores_.at(static_cast<std::size_t>(client)); }

  sim::Topology topology_;
  std::vector<std::unique_ptr<sim::SimLimitStore>> stores_;
  int next_key_ = 0;
};

}  // namespace

std::unique_ptr<LimitStoreHarness> make_limit_store_harness(std::string&) {
  return std::make_unique<SimHarness>();
}

}  // namespace faultline::testing
