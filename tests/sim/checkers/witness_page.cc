// Writes the HTML picture of a real lost update, for timeline_html_test.sh to load in a
// browser (the clients' leases, and the Redis node's grants on its own lane), and prints the
// replay's witness section.
//
// The run is the lease-lock/unfenced hazard (lease lock, no fencing, pauses, crashes, lost and
// delayed messages) with its mutual-exclusion check off, so that the violation found is the
// lost update the overlap causes, witnessed by both holders' acquisitions and writes. Seeds
// 1, 2, 3, ... are tried until one loses an update.
//
// Usage: witness_page OUT.html. Exit 0 with the page written; 1 if no seed in the first
// kSeeds lost an update; 2 on a usage or file error.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>

#include "scenarios/locks/lease_lock_scenario.h"
#include "scenarios/locks/lock_scenario.h"

namespace {

using faultline::scenarios::LeaseLockScenario;
using faultline::scenarios::LockScenario;
using faultline::scenarios::LockScenarioSpec;
using faultline::scenarios::RunOptions;
using faultline::scenarios::RunResult;

constexpr std::uint64_t kSeeds = 400;

LockScenario lost_update_scenario() {
  LockScenarioSpec spec = LeaseLockScenario(/*fenced=*/false).spec();
  spec.name = "lease-lock/unfenced (lost updates)";
  spec.mutual_exclusion = false;
  return LockScenario(spec);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: witness_page OUT.html\n";
    return 2;
  }
  const LockScenario scenario = lost_update_scenario();
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const RunResult found = scenario.run(seed);
    if (!found.violation || found.violation->kind != "lost-update") continue;
    const RunResult drawn =
        scenario.run(seed, scenario.plan_for_seed(seed), RunOptions{true, true});
    std::ofstream out(argv[1]);
    out << drawn.html;
    if (!out.flush()) {
      std::cerr << "witness_page: cannot write " << argv[1] << "\n";
      return 2;
    }
    std::cout << scenario.name() << " seed " << seed << ": " << drawn.violation->message << "\n"
              << drawn.timeline.substr(0, drawn.timeline.find("\ntimeline:\n")) << "\n";
    return 0;
  }
  std::cerr << "witness_page: no lost update in " << kSeeds << " seeds\n";
  return 1;
}
