// SimScenario: a scenario given as its parts — a topology, a workload, a fault space, an
// invariant over what the run recorded, and an expected verdict — so that a team can check its
// own service under the simulator without writing a Scenario by hand.
//
//   struct Stock { int sold = 0; std::vector<int> counts; };   // the run's own record
//   harness::SimScenarioSpec<Stock> spec;
//   spec.name = "inventory/reserve";
//   spec.expect = harness::Expect::kHolds;
//   spec.clients = 3;                                 // client-1 .. client-3
//   spec.topology = [](sim::TopologyBuilder& t) { t.redis("redis"); };
//   spec.faults = sim::FaultSpace::none();            // then switch on what the claim is about
//   spec.faults.pauses = true;
//   spec.faults.nodes = {"redis"};
//   spec.workload = [](harness::SimRun<Stock>& run, sim::Process& self, std::size_t i) {
//     self.spawn(reserve_items(run, self, i));         // a coroutine of the client
//   };
//   spec.done = [](const harness::SimRun<Stock>& run) { return run.state.finished == 3; };
//   spec.invariant = [](const harness::SimRun<Stock>& run) -> std::optional<Violation> {...};
//   catalogue.add(harness::make_sim_scenario(std::move(spec)));
//
// One run (run(seed, plan)): build the topology from the seed (the user's hosts, then the
// clients, each booted by `workload` at start and again after every restart), call `setup`,
// schedule the plan's faults (sim::apply), start, step the World until `done` says so or
// `run_limit` of virtual time passes, then judge: a run that did not finish is a violation
// (kind "unfinished"), else `invariant` decides. The plan is drawn from the seed within
// `faults`, whose client list is filled with the clients' names when left empty.
// Invariants judge what the environment saw (the history, the servers' state, what callers were
// told), never the pattern's own idea of itself; SimRun gives access to all of it.
//
// State: default-constructed for every run; coroutines refer to it through the SimRun, which
// outlives the World. Thread-safety: a SimScenario is immutable once made; runs share nothing.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "faultline/harness/scenario.h"
#include "faultline/sim/fault_plan.h"
#include "faultline/sim/history.h"
#include "faultline/sim/topology.h"

namespace faultline::harness {

// Everything one run of a SimScenario has: what the workload and the invariant work with.
// The World (in `topology`) goes first when a run ends, with every coroutine frame it owns, so
// that no frame outlives the history and state it refers to.
template <class State>
struct SimRun {
  SimRun() = default;
  SimRun(const SimRun&) = delete;
  SimRun& operator=(const SimRun&) = delete;
  ~SimRun() { topology.reset(); }

  std::uint64_t seed = 0;
  std::unique_ptr<sim::Topology> topology;
  std::unique_ptr<sim::History> history;
  State state{};

  [[nodiscard]] sim::World& world() { return topology->world(); }
  [[nodiscard]] sim::Network& network() { return topology->network(); }
  // True (simulated) time since the run began.
  [[nodiscard]] sim::SimTime now() const { return topology->world().now(); }
};

template <class State>
struct SimScenarioSpec {
  std::string name;
  std::string description;
  Expect expect = Expect::kHolds;
  int clients = 1;  // client-1 .. client-<clients>, after the topology's own hosts
  // Declares the servers (and any other hosts) of every run.
  std::function<void(sim::TopologyBuilder&)> topology;
  // Boots client `index` (0-based): spawns its coroutines. Runs again after a restart.
  std::function<void(SimRun<State>&, sim::Process&, std::size_t)> workload;
  // After the topology is built, before the World starts: models on service hosts, observers.
  std::function<void(SimRun<State>&)> setup;
  // The run is over (checked after every event); unset: when the World runs out of events.
  std::function<bool(const SimRun<State>&)> done;
  // Judges the finished run; nullopt when the claim held.
  std::function<std::optional<Violation>(SimRun<State>&)> invariant;
  // One line of counters for replay (optional).
  std::function<std::string(const SimRun<State>&)> summary;
  sim::FaultSpace faults = sim::FaultSpace::none();
  Duration run_limit = std::chrono::seconds(300);  // virtual time
};

// The parts of a finished run that do not depend on State (sim_scenario.cc).
[[nodiscard]] RunResult finish_run(const std::string& name, std::uint64_t seed,
                                   sim::Topology& topology, sim::History& history,
                                   std::optional<Violation> violation, const RunOptions& options);

template <class State>
class SimScenario final : public Scenario {
 public:
  explicit SimScenario(SimScenarioSpec<State> spec) : spec_(std::move(spec)) {
    if (spec_.faults.clients.empty()) {
      for (int i = 1; i <= spec_.clients; ++i) spec_.faults.clients.push_back(client_name(i - 1));
    }
  }

  [[nodiscard]] std::string name() const override { return spec_.name; }
  [[nodiscard]] std::string description() const override { return spec_.description; }
  [[nodiscard]] Expect expect() const override { return spec_.expect; }
  [[nodiscard]] const sim::FaultSpace* admitted_faults() const override { return &spec_.faults; }
  [[nodiscard]] sim::FaultPlan plan_for_seed(std::uint64_t seed) const override {
    sim::Rng rng(seed ^ kPlanStream);
    return sim::generate_plan(rng, spec_.faults);
  }

  using Scenario::run;
  [[nodiscard]] RunResult run(std::uint64_t seed, const sim::FaultPlan& plan,
                              const RunOptions& options) const override {
    auto run = std::make_unique<SimRun<State>>();
    run->seed = seed;
    run->topology = describe(seed, plan.network, *run).build();
    run->history = std::make_unique<sim::History>(run->world());
    if (spec_.setup) spec_.setup(*run);
    sim::apply(run->topology->faults(), *run->history, plan);
    run->topology->start();
    const bool finished = step_until_done(*run);
    std::optional<Violation> violation;
    if (!finished) {
      violation = Violation{fmt::format("the run did not finish within {:.0f}s of virtual time",
                                        std::chrono::duration<double>(spec_.run_limit).count()),
                            -1, "unfinished", {}};
    } else if (spec_.invariant) {
      violation = spec_.invariant(*run);
    }
    RunResult result =
        finish_run(spec_.name, seed, *run->topology, *run->history, std::move(violation), options);
    if (spec_.summary) result.summary = spec_.summary(*run);
    return result;
  }

 private:
  static constexpr std::uint64_t kPlanStream = 0x73696D706C616EULL;  // the plan's own stream

  static std::string client_name(std::size_t index) {
    return fmt::format("client-{}", index + 1);
  }

  sim::TopologyBuilder describe(std::uint64_t seed, const sim::NetworkFaults& faults,
                                SimRun<State>& run) const {
    const sim::LinkProfile base;
    sim::TopologyBuilder t(seed);
    t.client_links(sim::request_link(base, faults), sim::reply_link(base, faults));
    if (spec_.topology) spec_.topology(t);
    for (std::size_t i = 0; i < static_cast<std::size_t>(spec_.clients); ++i) {
      t.client(client_name(i), [this, &run, i](sim::Process& self) {
        if (spec_.workload) spec_.workload(run, self, i);
      });
    }
    return t;
  }

  // True when `done` said so (or the World ran dry without a `done`); false at the limit.
  bool step_until_done(SimRun<State>& run) const {
    sim::World& world = run.world();
    const sim::SimTime limit(spec_.run_limit);
    for (;;) {
      if (spec_.done && spec_.done(run)) return true;
      if (world.now() > limit) return false;
      if (!world.step()) return !spec_.done;
    }
  }

  SimScenarioSpec<State> spec_;
};

template <class State>
[[nodiscard]] std::unique_ptr<Scenario> make_sim_scenario(SimScenarioSpec<State> spec) {
  return std::make_unique<SimScenario<State>>(std::move(spec));
}

}  // namespace faultline::harness
