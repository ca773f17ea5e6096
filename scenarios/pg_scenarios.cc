#include "scenarios/pg_scenarios.h"

namespace faultline::scenarios {

std::vector<LockScenarioSpec> pg_advisory_specs() {
  using namespace std::chrono_literals;
  std::vector<LockScenarioSpec> specs;
  for (const bool fenced : {true, false}) {
    LockScenarioSpec s;
    s.kind = LockKind::kPgAdvisory;
    s.fenced = fenced;
    s.name = fenced ? "pg-advisory/fenced" : "pg-advisory/connection-drop";
    s.description =
        fenced ? "PostgreSQL advisory lock + fencing tokens from the database: no lost update "
                 "under dropped connections, pauses, crashes, partitions and lost messages "
                 "(must hold)"
               : "PostgreSQL advisory lock without fencing: a connection drops, the server "
                 "releases the session's lock, another client takes it, and the first one, "
                 "unaware, writes (must be found)";
    s.expect = fenced ? Expect::kHolds : Expect::kViolationFound;
    s.mutual_exclusion = !fenced;
    s.tokens = fenced ? TokenCheck::kRising : TokenCheck::kNone;
    // Fewest applied writes over 2000 seeds: 9 of 100 (without the pause after a failure: 1).
    s.min_sections_ok = fenced ? 5 : 0;
    // A client that fails to acquire waits before its next section. Without it, a server down
    // for up to 2s (node_crash below) ate whole workloads: a client burns its 20 sections on
    // refusals in about as long, and 2000 seeds had runs with a single applied write.
    if (fenced) s.workload.pause_after_failure = 300ms;
    sim::FaultSpace& f = s.faults;
    if (!fenced) f = sim::FaultSpace::none();  // the hazard needs dropped connections only
    f.horizon = 6s;
    f.max_faults = 8;
    f.disconnects = true;
    if (fenced) {
      f.pauses = true;
      f.pause_max = 2s;
      f.client_crashes = true;
      f.node_crashes = true;
      f.node_crash_without_persistence = false;  // the counter is a table: it survives
      f.clock_faults = true;
      f.partitions = true;
    }
    specs.push_back(std::move(s));
  }
  return specs;
}

}  // namespace faultline::scenarios
