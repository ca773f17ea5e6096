// breaker/outage: clients call a dependency through a Pipeline with a circuit breaker while the
// dependency goes through outages (drawn from the seed) and comes back. Each client runs three
// concurrent callers over its one breaker, so that half-open probes compete for their slots.
//
// Invariants, checked on every call and at every recovery:
//   - no call reaches the network while its client's breaker is OPEN (or FORCED_OPEN): an
//     attempt starts only with the breaker CLOSED or HALF_OPEN;
//   - never more half-open probes in flight than permitted (counted by the scenario itself, not
//     read from the breaker);
//   - recovery: once an outage ends, every breaker is CLOSED again within the longest open wait
//     plus the time its probes take (bounded from the workload: one call per period, each
//     answered within the network's latency), unless another outage began meanwhile.
// The summary says how many times the breakers opened, so a run that never tripped shows.
#include "scenarios/resilience_scenarios.h"

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faultline/resilience/circuit_breaker.h"
#include "faultline/resilience/pipeline.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "scenarios/dependency.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;
using resilience::CallContext;
using resilience::CircuitBreaker;
using resilience::CircuitBreakerOptions;
using resilience::CircuitEventKind;
using resilience::CircuitState;
using resilience::Pipeline;
using resilience::PipelineOptions;

constexpr int kClients = 4;
constexpr int kCallersPerClient = 3;  // concurrent callers sharing a client's breaker
constexpr Duration kRunFor = 20s;
constexpr Duration kPeriodMin = 10ms;   // between one client's calls
constexpr Duration kPeriodMax = 30ms;
constexpr Duration kLatencyMax = 5ms;   // one way
constexpr Duration kAttemptTimeout = 100ms;
constexpr int kPermittedProbes = 2;
constexpr Duration kOpenWait = 300ms;
constexpr Duration kOpenWaitMax = 2s;

CircuitBreakerOptions breaker_options() {
  CircuitBreakerOptions o;
  o.name = "dep";
  o.window_size = 10;
  o.minimum_calls = 5;
  o.failure_rate_threshold = 50;
  o.wait_in_open = kOpenWait;
  o.wait_multiplier = 2;
  o.max_wait_in_open = kOpenWaitMax;
  o.permitted_calls_in_half_open = kPermittedProbes;
  return o;
}

struct Client {
  sim::Process* process = nullptr;
  std::unique_ptr<CircuitBreaker> breaker;
  std::optional<Pipeline> pipeline;
  int probes_in_flight = 0;
  std::uint64_t opened = 0;
};

struct Run : DependencyRun {
  using DependencyRun::DependencyRun;
  std::vector<Client> clients;
  std::uint64_t calls = 0;
  std::uint64_t refused = 0;
};

Task<void> run_client(Run& run, Client& client, std::uint64_t first_request) {
  sim::Process& self = *client.process;
  std::uint64_t request = first_request;
  while (run.world.now() < sim::SimTime(kRunFor)) {
    ++request;
    auto op = [&run, &client, &self, request](const CallContext& context) -> Task<Result<std::uint64_t>> {
      const CircuitState state = client.breaker->state();
      if (state != CircuitState::kClosed && state != CircuitState::kHalfOpen) {
        run.violate(fmt::format("{} sent request {} while its breaker was {}", self.name(), request,
                                resilience::to_string(state)));
      }
      const bool probe = state == CircuitState::kHalfOpen;
      if (probe && ++client.probes_in_flight > kPermittedProbes) {
        run.violate(fmt::format("{} has {} half-open probes in flight; {} permitted", self.name(),
                                client.probes_in_flight, kPermittedProbes));
      }
      Result<std::uint64_t> reply =
          co_await run.dependency.call(self, context.remaining(self.clock().now()), request);
      if (probe) --client.probes_in_flight;
      co_return reply;
    };
    ++run.calls;
    const std::size_t op_id = run.history.invoke(self.id(), "call", fmt::format("#{}", request));
    Result<std::uint64_t> result = co_await client.pipeline->execute<std::uint64_t>(op);
    if (!result.ok() && result.error().code == ErrorCode::kCircuitOpen) ++run.refused;
    run.history.complete(op_id, result.ok() ? sim::OpStatus::kOk : sim::OpStatus::kFail,
                         result.ok() ? "ok" : std::string(to_string(result.error().code)));
    co_await self.clock().sleep_for(uniform_duration(self.rng(), kPeriodMin, kPeriodMax));
  }
}

class BreakerOutageScenario final : public Scenario {
 public:
  [[nodiscard]] std::string name() const override { return "breaker/outage"; }
  [[nodiscard]] std::string description() const override {
    return "a dependency goes down and comes back; no call while OPEN, probes within the "
           "permitted number, CLOSED again within the open wait plus the probe time";
  }
  [[nodiscard]] Expect expect() const override { return Expect::kHolds; }
  [[nodiscard]] sim::FaultPlan plan_for_seed(std::uint64_t) const override { return {}; }

  [[nodiscard]] RunResult run(std::uint64_t seed, const sim::FaultPlan&,
                              const RunOptions& options) const override {
    sim::Rng draw(seed ^ 0x0D7A6E);
    Run run(seed, draw_outages(draw, 3, 1s, 15s, 200ms, 3s), kLatencyMax);
    run.clients.resize(kClients);
    for (int i = 0; i < kClients; ++i) {
      Client& c = run.clients[static_cast<std::size_t>(i)];
      c.process = &run.world.add_process(fmt::format("client-{}", i + 1));
      c.breaker = std::make_unique<CircuitBreaker>(
          CircuitBreaker::create(c.process->clock(), breaker_options()).value());
      const sim::ProcessId id = c.process->id();
      c.breaker->subscribe([&run, &c, id](const resilience::CircuitEvent& e) {
        if (e.kind != CircuitEventKind::kStateChanged) return;
        if (e.to == CircuitState::kOpen) ++c.opened;
        run.history.note(id, fmt::format("breaker {} -> {}", resilience::to_string(e.from),
                                         resilience::to_string(e.to)));
      });
      PipelineOptions po;
      po.circuit_breaker = c.breaker.get();
      po.attempt_timeout = kAttemptTimeout;
      c.pipeline.emplace(Pipeline::create(c.process->clock(), c.process->rng(), po).value());
    }
    // Recovery checks: after each outage, unless the next one starts first.
    const Duration bound = kOpenWaitMax + (kPermittedProbes + 1) * (kPeriodMax + 2 * kLatencyMax) + 10ms;
    const std::vector<Outage>& outages = run.dependency.outages();
    for (std::size_t i = 0; i < outages.size(); ++i) {
      const sim::SimTime check = outages[i].end + bound;
      if (i + 1 < outages.size() && outages[i + 1].start <= check) continue;
      if (check >= sim::SimTime(kRunFor)) continue;
      run.world.schedule(check, sim::kWorldProcess, 0, [&run, i, check] {
        for (Client& c : run.clients) {
          const CircuitState state = c.breaker->state();
          if (state != CircuitState::kClosed) {
            run.violate(fmt::format("{}'s breaker is still {} at {:.3f}s, {:.3f}s after outage {} ended",
                                    c.process->name(), resilience::to_string(state),
                                    std::chrono::duration<double>(check.time_since_epoch()).count(),
                                    std::chrono::duration<double>(check - run.dependency.outages()[i].end).count(),
                                    i + 1));
          }
        }
      });
    }
    run.world.start();
    std::uint64_t first_request = 0;
    for (Client& c : run.clients) {
      for (int k = 0; k < kCallersPerClient; ++k) {
        c.process->spawn(run_client(run, c, first_request));
        first_request += 1'000'000;
      }
    }
    run.world.run_until(sim::SimTime(kRunFor + 1s));

    std::uint64_t opened = 0;
    for (const Client& c : run.clients) opened += c.opened;
    return run.result(seed, name(),
                      fmt::format("{} outages; {} calls, {} refused by the breakers, {} reached "
                                  "the dependency; breakers opened {} times",
                                  outages.size(), run.calls, run.refused,
                                  run.dependency.arrivals().size(), opened),
                      options);
  }
};

}  // namespace

std::unique_ptr<Scenario> make_breaker_outage_scenario() {
  return std::make_unique<BreakerOutageScenario>();
}

}  // namespace faultline::scenarios
