// RapidCheck integration: generators of sim::FaultPlans within a FaultSpace, and a property
// that a scenario's invariant holds under any generated plan, shrunk by RapidCheck.
//
//   RC_GTEST_PROP(Inventory, HoldsUnderAnyPlan, ()) {
//     faultline::harness::check_generated_plan(*scenario);  // generates a seed and a plan
//   }
//
// Header-only: the user's test links RapidCheck (and rapidcheck_gtest for RC_GTEST_PROP).
//
// Each fault is drawn by sim::draw_fault (the kind's own descriptor) from a seed RapidCheck
// picks, so a new fault kind needs nothing here; RapidCheck shrinks a plan by dropping faults,
// by trying earlier admitted kinds, and by simpler seeds, and the network rates towards zero.
// Every value stays inside the space, so a shrunk plan is still one the scenario admits.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "faultline/harness/scenario.h"
#include "faultline/sim/fault_plan.h"
#include "faultline/sim/rng.h"

namespace faultline::sim {
// How RapidCheck prints a counterexample.
inline std::ostream& operator<<(std::ostream& os, const FaultPlan& plan) {
  return os << "\n" << plan.to_string();
}
}  // namespace faultline::sim

namespace faultline::harness {

inline rc::Gen<std::uint32_t> gen_ppm(std::uint32_t max) {
  return rc::gen::inRange<std::uint32_t>(0, max + 1);
}

inline rc::Gen<sim::NetworkFaults> gen_network(const sim::NetworkFaults& max) {
  return rc::gen::apply(
      [spike_max = max.spike_max](std::uint32_t request, std::uint32_t reply, std::uint32_t dup,
                                  std::uint32_t spike) {
        return sim::NetworkFaults{request, reply, dup, spike, spike_max};
      },
      gen_ppm(max.request_loss_ppm), gen_ppm(max.reply_loss_ppm), gen_ppm(max.duplicate_ppm),
      gen_ppm(max.spike_ppm));
}

// One fault of a kind the space admits (the space must admit one).
inline rc::Gen<sim::Fault> gen_fault(const sim::FaultSpace& space) {
  return rc::gen::apply(
      [space](sim::FaultKind kind, std::uint64_t seed) {
        sim::Rng rng(seed);
        return sim::draw_fault(rng, kind, space);
      },
      rc::gen::elementOf(sim::admitted_kinds(space)), rc::gen::arbitrary<std::uint64_t>());
}

// A plan within `space`: at most max_faults faults, ordered by start time.
inline rc::Gen<sim::FaultPlan> gen_plan(const sim::FaultSpace& space) {
  const int most = sim::admitted_kinds(space).empty() ? 0 : std::max(0, space.max_faults);
  auto faults = rc::gen::mapcat(rc::gen::inRange(0, most + 1), [space](int count) {
    return rc::gen::container<std::vector<sim::Fault>>(static_cast<std::size_t>(count),
                                                        gen_fault(space));
  });
  return rc::gen::apply(
      [](sim::NetworkFaults network, std::vector<sim::Fault> list) {
        std::stable_sort(list.begin(), list.end(),
                         [](const sim::Fault& a, const sim::Fault& b) { return a.at < b.at; });
        return sim::FaultPlan{network, std::move(list)};
      },
      gen_network(space.network_max), std::move(faults));
}

// The property: for a generated seed and a plan generated within the scenario's fault space
// (Scenario::admitted_faults; the scenario must have one), the run's invariant holds. On a
// counterexample RapidCheck shrinks the plan and prints it; the message says how to replay it.
// `program` names the binary whose `replay` the message prints.
inline void check_generated_plan(const Scenario& scenario,
                                 const std::string& program = "<your binary>") {
  const sim::FaultSpace* space = scenario.admitted_faults();
  RC_ASSERT(space != nullptr);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  const auto plan = *gen_plan(*space);
  const RunResult result = scenario.run(seed, plan, RunOptions{});
  if (result.violation) {
    RC_FAIL(scenario.name() + ": " + result.violation->message +
            "\n  replay: save the plan printed below to FILE and run `" + program + " replay '" +
            scenario.name() + "' --seed " + std::to_string(seed) + " --plan FILE`");
  }
}

}  // namespace faultline::harness
